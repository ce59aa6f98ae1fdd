import type { DerivedProgress, EventRepository, NewEvent } from '../types';
import type { PgDatabase } from './db';
import { StoreUnavailableError } from '../types';
import { histogramOf, listEvents, type Segment } from '../events-plan';
import { createPgEventQueries } from './events-queries';
import { rollUpFrom } from './schema-events';

/** Directory Insights events on PostgreSQL; the same filters, order and buckets as sqlite/events.ts. */

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
const INSERT_ORDERED = `WITH ordered AS MATERIALIZED (SELECT pg_advisory_xact_lock(${EVENT_ORDER_LOCK})),
  inserted AS (INSERT INTO events (${COLUMNS.join(', ')})
    SELECT ${COLUMNS.map((c) => `t.${c}`).join(', ')}
    FROM ordered, unnest(${COLUMNS.map((_, i) => `$${i + 1}::text[]`).join(', ')}) WITH ORDINALITY AS t(${COLUMNS.join(', ')}, n)
    ORDER BY t.n
    RETURNING id, time, type, app_id, outcome),
  -- The roll-ups in the same statement: committed, or rolled back, with the events.
  rolled AS (${rollUpFrom('inserted')})
  SELECT id FROM inserted`;

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
  const queries = createPgEventQueries(db);
  const lockEvents = () => db.query(`SELECT pg_advisory_xact_lock(${EVENT_ORDER_LOCK})`);
  const gaps = async (): Promise<Segment[]> => (await db.many<{ lo: string; hi: string }>(
    'SELECT from_id AS lo, to_id AS hi FROM event_hours_gaps ORDER BY to_id DESC')).map((g) => ({ lo: Number(g.lo), hi: Number(g.hi) }));
  const span = (list: Segment[]) => list.reduce((n, g) => n + g.hi - g.lo + 1, 0);
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
    async list(filter) {
      await flush();
      return listEvents(queries, filter);
    },
    async histogram(filter, bucketSeconds) {
      await flush();
      return histogramOf(queries, filter, bucketSeconds);
    },
    async rebuildDerived(onProgress, options = {}) {
      await flush();
      // Each step holds the event-order lock: appends commit before or after it, and a step and an
      // append never update the same roll-up rows in opposite orders (no deadlock).
      const progress: DerivedProgress = {
        done: 0,
        total: await db.transaction(async () => {
          await lockEvents();
          await db.query('TRUNCATE event_hours');
          await db.query('DELETE FROM event_hours_gaps');
          await db.query(`INSERT INTO event_hours_gaps (from_id, to_id)
            SELECT lo, hi FROM (SELECT min(id) AS lo, max(id) AS hi FROM events) r WHERE lo IS NOT NULL`);
          return span(await gaps());
        }),
      };
      const size = options.batchSize ?? 5000;
      for (;;) {
        const done = await db.transaction(async () => {
          await lockEvents();
          const gap = (await gaps())[0];
          if (!gap) return 0;
          const lo = Math.max(gap.lo, gap.hi - size + 1);
          await db.query(rollUpFrom('(SELECT id, time, type, app_id, outcome FROM events WHERE id BETWEEN $1 AND $2) src'), [lo, gap.hi]);
          if (lo === gap.lo) await db.query('DELETE FROM event_hours_gaps WHERE from_id = $1', [gap.lo]);
          else await db.query('UPDATE event_hours_gaps SET to_id = $1 WHERE from_id = $2', [lo - 1, gap.lo]);
          return gap.hi - lo + 1;
        });
        if (done === 0) return progress;
        progress.done += done;
        onProgress?.({ ...progress });
      }
    },
    async derivedBehind() {
      await flush();
      return db.transaction(async () => {
        // Under the event-order lock no append commits meanwhile: what is rolled up and what is
        // in the table are read as of one moment.
        await lockEvents();
        const known = await gaps();
        const rolled = Number((await db.one<{ id: string | null }>("SELECT max(max_id) AS id FROM event_hours WHERE type = '' AND app_id = ''"))?.id ?? 0);
        const beyond = await db.one<{ lo: string | null; hi: string | null }>(
          'SELECT min(id) AS lo, max(id) AS hi FROM events WHERE id > $1', [Math.max(rolled, ...known.map((g) => g.hi))]);
        if (beyond?.lo != null && beyond.hi != null) {
          await db.query('INSERT INTO event_hours_gaps (from_id, to_id) VALUES ($1, $2)', [beyond.lo, beyond.hi]);
          known.push({ lo: Number(beyond.lo), hi: Number(beyond.hi) });
        }
        return span(known);
      });
    },
  };
}
