import Database from 'better-sqlite3';
import { expect } from 'chai';
import { MIGRATIONS, migrate } from '../../src/store/sqlite/migrations';

describe('Store: sessions by user (migration 10)', () => {
  it('gives sessions stored before the upgrade their signed-in user, so a password change can end them', () => {
    const db = new Database(':memory:');
    try {
      // A database at schema 9 holding one signed-in and one anonymous session.
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      for (const m of MIGRATIONS.filter((m) => m.version <= 9)) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
      }
      const insert = db.prepare('INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?)');
      insert.run('signed-in', JSON.stringify({ cookie: {}, passport: { user: 'user-1' } }), '2999-01-01T00:00:00Z');
      insert.run('anonymous', JSON.stringify({ cookie: {}, pendingMfa: { userId: 'user-1' } }), '2999-01-01T00:00:00Z');
      migrate(db);
      const rows = db.prepare('SELECT sid, user_id AS userId FROM sessions ORDER BY sid').all();
      expect(rows).to.deep.equal([{ sid: 'anonymous', userId: null }, { sid: 'signed-in', userId: 'user-1' }]);
    } finally {
      db.close();
    }
  });
});
