import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { createStore, type EventFilter } from '../../src/store';
import { listSql } from '../../src/store/sqlite/events';
import { migrate } from '../../src/store/sqlite/migrations';

/**
 * Issue 11: at 10M events a page of the insights sorted its whole time window into a temporary
 * B-tree, and the user filter scanned the table. A page of an id range is now read in id order
 * from the primary key or one (column, id) index; the user filter merges its two sides.
 */
const plan = (db: Database.Database, sql: string, params: unknown[]) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');

describe('SQLite event queries: plans', () => {
  const db = new Database(':memory:');
  migrate(db);
  after(() => db.close());
  const window = { since: '2026-11-01T00:00:00.000Z', until: '2026-12-01T00:00:00.000Z' };
  const cases: [Omit<EventFilter, 'limit' | 'before'>, RegExp[]][] = [
    [window, [/SEARCH events USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/]],
    [{ ...window, type: 'sso_auth' }, [/USING INDEX events_by_type \(type=\? AND id>\? AND id<\?\)/]],
    [{ ...window, appId: 'app1' }, [/USING INDEX events_by_app \(app_id=\? AND id>\? AND id<\?\)/]],
    [{ ...window, outcome: 'failure' }, [/USING INDEX events_by_outcome \(outcome=\? AND id>\? AND id<\?\)/]],
    [{ ...window, actorId: 'u1' }, [/USING INDEX events_by_actor \(actor_id=\? AND id>\? AND id<\?\)/]],
    [{ ...window, targetId: 'u1' }, [/USING INDEX events_by_target \(target_id=\? AND id>\? AND id<\?\)/]],
    [{ ...window, userId: 'u1' }, [/MERGE \(UNION ALL\)/, /USING INDEX events_by_actor \(actor_id=\? AND id>\? AND id<\?\)/, /USING INDEX events_by_target \(target_id=\? AND id>\? AND id<\?\)/]],
  ];
  for (const [filter, expected] of cases) {
    it(`reads a page of ${JSON.stringify(Object.keys(filter))} in id order from an index, sorting nothing`, () => {
      const { sql, params } = listSql(filter, { lo: 1000, hi: 90_000 }, 50);
      const detail = plan(db, sql, params);
      expect(detail).not.to.contain('TEMP B-TREE');
      expect(detail).not.to.contain('SCAN events');
      for (const pattern of expected) expect(detail).to.match(pattern);
    });
  }

  it('maps a window to ids and counts whole hours from the roll-ups by their primary key', () => {
    expect(plan(db, `SELECT min(min_id), max(max_id) FROM event_hours WHERE type = ? AND app_id = ? AND hour BETWEEN ? AND ?`, ['', '', 0, 1]))
      .to.match(/SEARCH event_hours USING PRIMARY KEY \(type=\? AND app_id=\? AND hour>\? AND hour<\?\)/);
  });
});

describe('SQLite planner statistics', () => {
  it('are written for the event indexes when the store refreshes them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-stats-'));
    const file = path.join(dir, 'gatehouse.db');
    const store = createStore(`sqlite:${file}`);
    const raw = new Database(file);
    try {
      raw.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
        INSERT INTO events (time, type, outcome, actor_type, actor_id, detail_json)
        SELECT '2026-12-01T00:00:00.000Z', 'type' || (i % 7), 'success', 'user', 'u' || i, '{}' FROM n`);
      await store.refreshStatistics();
      const indexes = (raw.prepare("SELECT idx FROM sqlite_stat1 WHERE tbl = 'events'").all() as { idx: string }[]).map((r) => r.idx);
      expect(indexes).to.include.members(['events_by_actor', 'events_by_target', 'events_by_type']);
    } finally {
      raw.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
