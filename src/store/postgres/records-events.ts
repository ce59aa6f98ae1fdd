import type { EventBucket, EventFilter, EventRecord, EventRepository, NewEvent } from '../types';
import type { PgDatabase } from './db';

/** Directory Insights events on PostgreSQL; the same filters, order and buckets as sqlite/records.ts. */

interface EventRow {
  id: string; time: string; type: string; outcome: EventRecord['outcome']; reason: string | null;
  actor_type: EventRecord['actorType']; actor_id: string | null; actor_label: string | null;
  target_type: string | null; target_id: string | null; target_label: string | null;
  app_id: string | null; client_ip: string | null; detail_json: string;
  [column: string]: unknown;
}

// pg returns int8 as a string (it may not fit a double); event ids do.
const toEvent = (row: EventRow): EventRecord => ({
  id: Number(row.id), time: row.time, type: row.type, outcome: row.outcome, reason: row.reason,
  actorType: row.actor_type, actorId: row.actor_id, actorLabel: row.actor_label,
  targetType: row.target_type, targetId: row.target_id, targetLabel: row.target_label,
  appId: row.app_id, clientIp: row.client_ip, detail: JSON.parse(row.detail_json) as Record<string, unknown>,
});

/** WHERE clause of a filter, numbering its parameters after `offset` others. Empty strings filter nothing, as in SQLite. */
function whereOf(filter: Omit<EventFilter, 'limit'>, offset = 0): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    clauses.push(sql.replaceAll('?', `$${offset + params.length}`));
  };
  if (filter.type) add('type = ?', filter.type);
  if (filter.outcome) add('outcome = ?', filter.outcome);
  if (filter.actorId) add('actor_id = ?', filter.actorId);
  if (filter.targetId) add('target_id = ?', filter.targetId);
  if (filter.userId) add('(actor_id = ? OR target_id = ?)', filter.userId);
  if (filter.appId) add('app_id = ?', filter.appId);
  if (filter.since) add('time >= ?', filter.since);
  if (filter.until) add('time < ?', filter.until);
  if (filter.before !== undefined) add('id < ?', filter.before);
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/**
 * One INSERT per append. SQLite batches appends into group commits because each WAL commit is
 * costly; here a pooled autocommit is cheap enough, and the identity gives each append its id at
 * once. Inside store.transaction the insert runs on the transaction's client (db.ts), so the
 * event commits or rolls back with its unit of work. Ids come from one sequence: appends awaited
 * one after the other get increasing ids, which the `before` cursor pages on.
 */
export function createPgEventRepository(db: PgDatabase): EventRepository & { flush(): Promise<void> } {
  return {
    async flush() {
      // Nothing waits: every append is committed (or part of its transaction) when it resolves.
    },
    async append(e: NewEvent) {
      const row = await db.one<{ id: string }>(`INSERT INTO events (time, type, outcome, reason, actor_type, actor_id,
        actor_label, target_type, target_id, target_label, app_id, client_ip, detail_json)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
      [e.time, e.type, e.outcome, e.reason, e.actorType, e.actorId, e.actorLabel, e.targetType, e.targetId,
        e.targetLabel, e.appId, e.clientIp, JSON.stringify(e.detail)]);
      return Number(row!.id);
    },
    async list(filter: EventFilter) {
      const { where, params } = whereOf(filter);
      const rows = await db.many<EventRow>(`SELECT * FROM events ${where} ORDER BY id DESC LIMIT $${params.length + 1}`,
        [...params, filter.limit]);
      return rows.map(toEvent);
    },
    async histogram(filter, bucketSeconds) {
      // SQLite: CAST(strftime('%s', time) AS INTEGER) / CAST(b AS INTEGER) * CAST(b AS INTEGER), whole
      // seconds truncated, then integer division; trunc(…)::bigint and bigint division do the same,
      // and the bucket width is truncated in JS as SQLite's CAST would (pg refuses '1.5' as bigint).
      const { where, params } = whereOf(filter, 1);
      const rows = await db.many<{ bucket: string; success: string; failure: string }>(
        `SELECT trunc(extract(epoch FROM time::timestamptz))::bigint / $1::bigint * $1::bigint AS bucket,
          count(*) FILTER (WHERE outcome = 'success') AS success, count(*) FILTER (WHERE outcome = 'failure') AS failure
        FROM events ${where} GROUP BY bucket ORDER BY bucket`, [Math.trunc(bucketSeconds), ...params]);
      const counts = new Map(rows.map((r) => [Number(r.bucket), { success: Number(r.success), failure: Number(r.failure) }]));
      const out: EventBucket[] = [];
      const first = Math.floor(Date.parse(filter.since) / 1000 / bucketSeconds) * bucketSeconds;
      for (let t = first; t * 1000 < Date.parse(filter.until); t += bucketSeconds) {
        const c = counts.get(t);
        out.push({ start: new Date(t * 1000).toISOString(), success: c?.success ?? 0, failure: c?.failure ?? 0 });
      }
      return out;
    },
  };
}
