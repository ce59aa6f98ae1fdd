import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { createStore } from '../../src/store';

describe('Store: the SQLite file', () => {
  it('is readable by its owner only, with its WAL files, even when it existed with a loose mode', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-store-'));
    const file = path.join(dir, 'nested', 'gatehouse.db');
    try {
      const store = createStore(`sqlite:${file}`);
      await store.settings.setIfAbsent('k', 'v');
      await store.close();
      expect(fs.statSync(path.dirname(file)).mode & 0o777).to.equal(0o700);
      fs.chmodSync(file, 0o644);
      const reopened = createStore(`sqlite:${file}`);
      await reopened.settings.setIfAbsent('k2', 'v2');
      for (const f of [file, `${file}-wal`, `${file}-shm`]) {
        expect(fs.statSync(f).mode & 0o777, f).to.equal(0o600);
      }
      expect(await reopened.settings.get('k')).to.equal('v');
      await reopened.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to open a database that recorded a schema version this Gatehouse does not know', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-store-'));
    const file = path.join(dir, 'gatehouse.db');
    try {
      await createStore(`sqlite:${file}`).close();
      const db = new Database(file);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from the future', '2030-01-01T00:00:00Z')").run();
      db.close();
      expect(() => createStore(`sqlite:${file}`)).to.throw(/version 9999, which this Gatehouse .* does not know/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
