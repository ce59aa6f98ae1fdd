import type { ImportRepository, UserImport } from '../types';
import type { PgDatabase } from './db';

/**
 * User imports with their chosen remote users (user_import_items) and a lease, so that a restart
 * resumes an import whose process died. claimStale is one UPDATE … RETURNING: two instances
 * starting at once each re-check the lease on the row they update (READ COMMITTED re-reads a row
 * another transaction changed), so one of them takes each import.
 */
export function createPgImportRepository(db: PgDatabase): ImportRepository {
  interface Row { [k: string]: unknown; id: string; application_id: string; total: number; done: number; failed: number; status: UserImport['status']; created_at: string }
  return {
    async create(e) {
      await db.query(`INSERT INTO user_imports (id, application_id, total, done, failed, status, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, [e.id, e.appId, e.total, e.done, e.failed, e.status, e.createdAt]);
    },
    async start(e, groupId, users, owner, until) {
      // One statement: the import and its items appear together or not at all.
      await db.query(`WITH entry AS (
          INSERT INTO user_imports (id, application_id, total, done, failed, status, created_at, updated_at, group_id, owner, leased_until)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10) RETURNING id)
        INSERT INTO user_import_items (import_id, position, remote_json)
        SELECT entry.id, u.ordinality - 1, u.value FROM entry, jsonb_array_elements_text($11::jsonb) WITH ORDINALITY AS u(value, ordinality)`,
      [e.id, e.appId, e.total, e.done, e.failed, e.status, e.createdAt, groupId, owner, until, JSON.stringify(users.map((u) => JSON.stringify(u)))]);
    },
    async claimStale(now, owner, until) {
      return (await db.many<{ id: string }>(`UPDATE user_imports SET owner = $1, leased_until = $2
        WHERE status = 'running' AND (leased_until IS NULL OR leased_until <= $3) RETURNING id`, [owner, until, now])).map((r) => r.id);
    },
    async renew(id, owner, until) {
      return ((await db.query('UPDATE user_imports SET leased_until = $1 WHERE id = $2 AND owner = $3', [until, id, owner])).rowCount ?? 0) > 0;
    },
    async remaining(id) {
      const entry = (await db.one<{ group_id: string | null; done: number; failed: number }>('SELECT group_id, done, failed FROM user_imports WHERE id = $1', [id]))!;
      const rows = await db.many<{ position: number; remote_json: string; outcome: string | null }>(
        'SELECT position, remote_json, outcome FROM user_import_items WHERE import_id = $1 ORDER BY position', [id]);
      // Imports from before items were recorded keep the counts they had.
      if (rows.length === 0) return { groupId: entry.group_id, done: entry.done, failed: entry.failed, items: [] };
      return {
        groupId: entry.group_id, done: rows.filter((r) => r.outcome === 'done').length, failed: rows.filter((r) => r.outcome === 'failed').length,
        items: rows.filter((r) => r.outcome === null).map((r) => ({ position: r.position, user: JSON.parse(r.remote_json) as Record<string, unknown> })),
      };
    },
    async recordItem(id, position, outcome) {
      await db.query('UPDATE user_import_items SET outcome = $1 WHERE import_id = $2 AND position = $3', [outcome, id, position]);
    },
    async progress(id, done, failed, status, now) {
      // Absolute counts, not increments: the one worker holding the import reports its totals.
      await db.query('UPDATE user_imports SET done = $1, failed = $2, status = $3, updated_at = $4 WHERE id = $5', [done, failed, status, now, id]);
    },
    async find(id) {
      const r = await db.one<Row>('SELECT * FROM user_imports WHERE id = $1', [id]);
      return r && { id: r.id, appId: r.application_id, total: r.total, done: r.done, failed: r.failed, status: r.status, createdAt: r.created_at };
    },
  };
}
