import type Database from 'better-sqlite3';
import type { LongReads } from './long-reads';
import type { DerivedProgress, EventRecord, EventRepository, NewEvent } from '../types';
import {
  filterSides, histogramOf, listEvents, type SideDialect, type BucketCount, type EventQueries, type Meta, type MetaRequest, type Segment, type WindowFilter,
} from '../events-plan';
import { ROLL_UP_SQL } from './schema-events';

/** Directory Insights events on SQLite: appends with their roll-ups, and the queries of ../events-plan.ts. */

interface EventRow {
  id: number; time: string; type: string; outcome: EventRecord['outcome']; reason: string | null;
  actor_type: EventRecord['actorType']; actor_id: string | null; actor_label: string | null;
  target_type: string | null; target_id: string | null; target_label: string | null;
  app_id: string | null; client_ip: string | null; detail_json: string;
}

const toEvent = (row: EventRow): EventRecord => ({
  id: row.id, time: row.time, type: row.type, outcome: row.outcome, reason: row.reason,
  actorType: row.actor_type, actorId: row.actor_id, actorLabel: row.actor_label,
  targetType: row.target_type, targetId: row.target_id, targetLabel: row.target_label,
  appId: row.app_id, clientIp: row.client_ip, detail: JSON.parse(row.detail_json) as Record<string, unknown>,
});

const DIALECT: SideDialect = { idBetween: 'id BETWEEN ? AND ?', actorIsNot: 'actor_id IS NOT ?' };
const sidesOf = (filter: WindowFilter, segment: Segment) => filterSides(filter, segment, DIALECT);

/** The SQL of a page of one segment: exported for the query-plan tests. */
export function listSql(filter: WindowFilter, segment: Segment, limit: number): { sql: string; params: unknown[] } {
  const sides = sidesOf(filter, segment);
  return {
    sql: `${sides.map((s) => `SELECT * FROM events WHERE ${s.sql}`).join(' UNION ALL ')} ORDER BY id DESC LIMIT ?`,
    params: [...sides.flatMap((s) => s.params), limit],
  };
}

/**
 * `longReads` runs the raw event scans (a page of a window, raw buckets) off the event loop when
 * the store is a file (long-reads.ts); the roll-up lookups are indexed and stay on the connection.
 */
export function createEventRepository(db: Database.Database, longReads?: LongReads): EventRepository & { flush(): void } {
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, s = db.prepare(sql));
    return s;
  };
  const scan = <T>(sql: string, params: unknown[]): Promise<T[]> =>
    (longReads ? longReads.all<T>(sql, params) : Promise.resolve(prepared(sql).all(...params) as T[]));
  const insert = db.prepare(`INSERT INTO events (time, type, outcome, reason, actor_type, actor_id, actor_label,
    target_type, target_id, target_label, app_id, client_ip, detail_json)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const rollUp = db.prepare(ROLL_UP_SQL);
  const insertOne = (e: NewEvent) => Number(insert.run(e.time, e.type, e.outcome, e.reason, e.actorType, e.actorId,
    e.actorLabel, e.targetType, e.targetId, e.targetLabel, e.appId, e.clientIp, JSON.stringify(e.detail)).lastInsertRowid);
  // An append and its roll-up are one unit: nobody sees the event without its counts.
  const insertAll = db.transaction((rows: NewEvent[]) => {
    const ids = rows.map(insertOne);
    // One writer, one transaction: the batch's ids are consecutive.
    rollUp.run({ lo: ids[0], hi: ids[ids.length - 1] });
    return ids;
  });
  let queue: { event: NewEvent; resolve: (id: number) => void; reject: (error: unknown) => void }[] = [];

  /**
   * Events are appended on every SSO attempt, and in WAL mode each commit costs a WAL write of
   * every page it touches. Appends that arrive in the same event-loop turn are committed together
   * in one transaction (group commit); each caller's promise resolves only once its row is
   * committed, so an acknowledged event is as durable as before, at a fraction of the cost.
   */
  function flush(): void {
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    try {
      insertAll(batch.map((q) => q.event)).forEach((id, i) => batch[i].resolve(id));
    } catch {
      // One bad row must not take the others with it: retry one by one, each with its own outcome.
      for (const q of batch) {
        try {
          q.resolve(insertAll([q.event])[0]);
        } catch (error) {
          q.reject(error);
        }
      }
    }
  }

  const gapsOf = () => prepared('SELECT from_id AS lo, to_id AS hi FROM event_hours_gaps ORDER BY to_id DESC').all() as Segment[];
  const dimsSql = (outcome: unknown) => `type = ? AND app_id = ?${outcome ? ' AND outcome = ?' : ''}`;
  // CAST: better-sqlite3 may bind a JS number as REAL, and hour / size must divide as integers.
  const readMeta = db.transaction((request: MetaRequest): Meta => {
    const { type, appId, outcome } = request.dims;
    const dims = outcome ? [type, appId, outcome] : [type, appId];
    const range = prepared(`SELECT min(min_id) AS lo, max(max_id) AS hi FROM event_hours
      WHERE ${dimsSql(outcome)} AND hour BETWEEN CAST(? AS INTEGER) AND CAST(? AS INTEGER)`);
    const ranges = request.windows.map((w) => {
      const r = range.get(...dims, w.from, w.to) as { lo: number | null; hi: number | null };
      return r.lo === null || r.hi === null ? undefined : { lo: r.lo, hi: r.hi };
    });
    const b = request.buckets;
    const buckets = b ? prepared(`SELECT hour / CAST(? AS INTEGER) * CAST(? AS INTEGER) AS bucket,
        sum(CASE WHEN outcome = 'success' THEN count ELSE 0 END) AS success, sum(CASE WHEN outcome = 'failure' THEN count ELSE 0 END) AS failure
      FROM event_hours WHERE ${dimsSql(outcome)} AND hour >= CAST(? AS INTEGER) AND hour < CAST(? AS INTEGER) GROUP BY bucket`)
      .all(b.size, b.size, ...dims, b.from, b.to) as BucketCount[] : [];
    return { gaps: gapsOf(), ranges, buckets };
  });

  const queries: EventQueries = {
    async meta(request) {
      return readMeta.deferred(request);
    },
    async listRange(filter, segment, limit) {
      const { sql, params } = listSql(filter, segment, limit);
      return (await scan<EventRow>(sql, params)).map(toEvent);
    },
    async rawBuckets(filter, segment, size) {
      const sides = sidesOf(filter, segment);
      const rows = sides.map((s) => `SELECT time, outcome FROM events WHERE ${s.sql}`).join(' UNION ALL ');
      return scan<BucketCount>(`SELECT (CAST(strftime('%s', time) AS INTEGER) / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS bucket,
        SUM(outcome = 'success') AS success, SUM(outcome = 'failure') AS failure FROM (${rows}) GROUP BY bucket`,
      [size, size, ...sides.flatMap((s) => s.params)]);
    },
  };

  const span = (gaps: Segment[]) => gaps.reduce((n, g) => n + g.hi - g.lo + 1, 0);
  const restart = db.transaction(() => {
    db.exec('DELETE FROM event_hours; DELETE FROM event_hours_gaps;');
    db.exec(`INSERT INTO event_hours_gaps (from_id, to_id)
      SELECT lo, hi FROM (SELECT min(id) AS lo, max(id) AS hi FROM events) WHERE lo IS NOT NULL`);
    return span(gapsOf());
  });
  /** Roll up the newest `size` ids of the newest gap and shrink it; 0 when no gap is left. */
  const fillStep = db.transaction((size: number) => {
    const gap = gapsOf()[0];
    if (!gap) return 0;
    const lo = Math.max(gap.lo, gap.hi - size + 1);
    rollUp.run({ lo, hi: gap.hi });
    if (lo === gap.lo) prepared('DELETE FROM event_hours_gaps WHERE from_id = ?').run(gap.lo);
    else prepared('UPDATE event_hours_gaps SET to_id = ? WHERE from_id = ?').run(lo - 1, gap.lo);
    return gap.hi - lo + 1;
  });
  const findBehind = db.transaction(() => {
    const gaps = gapsOf();
    const rolled = (prepared("SELECT max(max_id) AS id FROM event_hours WHERE type = '' AND app_id = ''").get() as { id: number | null }).id ?? 0;
    const known = Math.max(rolled, ...gaps.map((g) => g.hi));
    const next = prepared('SELECT id FROM events WHERE id > ? ORDER BY id LIMIT 1').get(known) as { id: number } | undefined;
    if (next) {
      const last = (prepared('SELECT max(id) AS id FROM events').get() as { id: number }).id;
      prepared('INSERT INTO event_hours_gaps (from_id, to_id) VALUES (?, ?)').run(next.id, last);
      gaps.push({ lo: next.id, hi: last });
    }
    return span(gaps);
  });

  return {
    flush,
    append(e) {
      // Inside a store transaction the event belongs to that unit of work: written at once.
      if (db.inTransaction) return Promise.resolve(insertAll([e])[0]);
      return new Promise<number>((resolve, reject) => {
        if (queue.push({ event: e, resolve, reject }) === 1) setImmediate(flush);
      });
    },
    async list(filter) {
      flush();
      return listEvents(queries, filter);
    },
    async histogram(filter, bucketSeconds) {
      flush();
      return histogramOf(queries, filter, bucketSeconds);
    },
    async rebuildDerived(onProgress, options = {}) {
      flush();
      // Immediate: the restart and each step take the write lock at once, so appends (here or in
      // another process) commit either before a step or after it, never between its reads and writes.
      const progress: DerivedProgress = { done: 0, total: restart.immediate() };
      for (;;) {
        const done = fillStep.immediate(options.batchSize ?? 5000);
        if (done === 0) return progress;
        progress.done += done;
        onProgress?.({ ...progress });
        // Let the requests of this process run between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    async derivedBehind() {
      flush();
      return findBehind.immediate();
    },
  };
}
