import type { EventBucket, EventFilter, EventRecord, EventRepository, NewEvent } from '../types';
import type { PgDatabase } from './db';
import { StoreUnavailableError } from '../types';

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

/** pg_advisory_xact_lock key that numbers events in commit order: "evnt" as a number, the same in every instance. */
const EVENT_ORDER_LOCK = 0x6576_6e74;
/** At most this many rows in one INSERT; a longer queue is written in several. */
const MAX_BATCH = 500;

const COLUMNS = ['time', 'type', 'outcome', 'reason', 'actor_type', 'actor_id', 'actor_label', 'target_type', 'target_id',
  'target_label', 'app_id', 'client_ip', 'detail_json'] as const;
const valuesOf = (e: NewEvent): (string | null)[] => [e.time, e.type, e.outcome, e.reason, e.actorType, e.actorId,
  e.actorLabel, e.targetType, e.targetId, e.targetLabel, e.appId, e.clientIp, JSON.stringify(e.detail)];

/**
 * Rows are numbered under a transaction-level advisory lock taken in the same statement, so an
 * event id is drawn only while no other instance holds an uncommitted one: ids follow commit
 * order, and a reader that has seen id n will never later find a new event below n (paging and
 * tailing by id lose nothing). The lock CTE is volatile, so it is evaluated before the rows it
 * is joined with reach the INSERT, whose identity default is drawn per row in ordinality order.
 */
const INSERT_ORDERED = `WITH ordered AS MATERIALIZED (SELECT pg_advisory_xact_lock(${EVENT_ORDER_LOCK}))
  INSERT INTO events (${COLUMNS.join(', ')})
  SELECT ${COLUMNS.map((c) => `t.${c}`).join(', ')}
  FROM ordered, unnest(${COLUMNS.map((_, i) => `$${i + 1}::text[]`).join(', ')}) WITH ORDINALITY AS t(${COLUMNS.join(', ')}, n)
  ORDER BY t.n
  RETURNING id`;

interface Waiting { event: NewEvent; resolve: (id: number) => void; reject: (error: unknown) => void }

/**
 * Group commit, as the SQLite driver does: appends made while a batch is being written wait and
 * go together in the next one (one statement, one commit), so a burst of sign-ins costs a few
 * round trips instead of one each; every caller's promise resolves once its row is committed.
 * An append inside store.transaction belongs to that unit of work: it is written on the
 * transaction's client just before COMMIT (PgDatabase.beforeCommit), numbered then, and kept
 * or rolled back with the unit; its id is not known while the unit runs, so it resolves null.
 */
export function createPgEventRepository(db: PgDatabase): EventRepository & { flush(): Promise<void> } {
  const insert = async (events: NewEvent[]): Promise<number[]> => {
    const columns = COLUMNS.map((_, i) => events.map((e) => valuesOf(e)[i]));
    const rows = await db.many<{ id: string }>(INSERT_ORDERED, columns);
    // Ids were drawn in ordinality order: ascending ids belong to the events in the order given.
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  };

  let queue: Waiting[] = [];
  let writing: Promise<void> | null = null;

  async function write(batch: Waiting[]): Promise<void> {
    try {
      (await insert(batch.map((w) => w.event))).forEach((id, i) => batch[i].resolve(id));
    } catch (error) {
      if (error instanceof StoreUnavailableError || batch.length === 1) {
        for (const w of batch) w.reject(error);
        return;
      }
      // One bad row must not take the others with it: one by one, each with its own outcome.
      for (const w of batch) await insert([w.event]).then(([id]) => w.resolve(id), w.reject);
    }
  }

  async function drain(): Promise<void> {
    // Let the appends of this event-loop turn join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(MAX_BATCH);
      await write(batch);
    }
    writing = null;
  }

  const flush = async () => {
    while (writing) await writing;
  };

  return {
    flush,
    async append(e: NewEvent) {
      if (db.beforeCommit(async () => { await insert([e]); })) return null;
      return new Promise<number>((resolve, reject) => {
        queue.push({ event: e, resolve, reject });
        writing ??= drain();
      });
    },
    async list(filter: EventFilter) {
      await flush();
      const { where, params } = whereOf(filter);
      const rows = await db.many<EventRow>(`SELECT * FROM events ${where} ORDER BY id DESC LIMIT $${params.length + 1}`,
        [...params, filter.limit]);
      return rows.map(toEvent);
    },
    async histogram(filter, bucketSeconds) {
      await flush();
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
