import type { EventRecord } from '../types';
import { filterSides, type BucketCount, type EventQueries, type Segment, type SideDialect, type WindowFilter } from '../events-plan';
import type { PgDatabase } from './db';

/** The primitives ../events-plan.ts asks of a driver, on PostgreSQL; the same answers as ../sqlite/events.ts. */

export interface EventRow {
  id: string; time: string; type: string; outcome: EventRecord['outcome']; reason: string | null;
  actor_type: EventRecord['actorType']; actor_id: string | null; actor_label: string | null;
  target_type: string | null; target_id: string | null; target_label: string | null;
  app_id: string | null; client_ip: string | null; detail_json: string;
  [column: string]: unknown;
}

// pg returns int8 as a string (it may not fit a double); event ids do.
export const toEvent = (row: EventRow): EventRecord => ({
  id: Number(row.id), time: row.time, type: row.type, outcome: row.outcome, reason: row.reason,
  actorType: row.actor_type, actorId: row.actor_id, actorLabel: row.actor_label,
  targetType: row.target_type, targetId: row.target_id, targetLabel: row.target_label,
  appId: row.app_id, clientIp: row.client_ip, detail: JSON.parse(row.detail_json) as Record<string, unknown>,
});

/** Number `?` placeholders in order: the SQL here holds no other question mark. */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

const DIALECT: SideDialect = { idBetween: 'id BETWEEN ?::bigint AND ?::bigint', actorIsNot: 'actor_id IS DISTINCT FROM ?::text' };
const sidesOf = (filter: WindowFilter, segment: Segment) => filterSides(filter, segment, DIALECT);

export function listSql(filter: WindowFilter, segment: Segment, limit: number): { sql: string; params: unknown[] } {
  const sides = sidesOf(filter, segment);
  const select = (s: { sql: string }) => `SELECT * FROM events WHERE ${s.sql} ORDER BY id DESC LIMIT ?`;
  if (sides.length === 1) return { sql: numbered(select(sides[0])), params: [...sides[0].params, limit] };
  return {
    sql: numbered(`${sides.map((s) => `(${select(s)})`).join(' UNION ALL ')} ORDER BY id DESC LIMIT ?`),
    params: [...sides.flatMap((s) => [...s.params, limit]), limit],
  };
}

const toSegment = (pair: [number | null, number | null] | null): Segment | undefined =>
  pair && pair[0] !== null && pair[1] !== null ? { lo: Number(pair[0]), hi: Number(pair[1]) } : undefined;

export function createPgEventQueries(db: PgDatabase): EventQueries {
  return {
    async meta({ dims, windows, buckets }) {
      // One statement, one snapshot: a rebuild step moves ids from a gap to the roll-ups atomically.
      const params: unknown[] = [dims.type, dims.appId];
      const where = `type = $1 AND app_id = $2${dims.outcome ? ' AND outcome = $3' : ''}`;
      if (dims.outcome) params.push(dims.outcome);
      const next = (value: unknown) => `$${params.push(value)}`;
      const columns = windows.map((w, i) => `(SELECT json_build_array(min(min_id), max(max_id)) FROM event_hours
        WHERE ${where} AND hour BETWEEN ${next(w.from)}::bigint AND ${next(w.to)}::bigint) AS r${i}`);
      if (buckets) {
        const size = next(buckets.size);
        columns.push(`(SELECT coalesce(json_agg(json_build_array(bucket, success, failure)), '[]'::json) FROM (
          SELECT hour / ${size}::bigint * ${size}::bigint AS bucket,
            coalesce(sum(count) FILTER (WHERE outcome = 'success'), 0) AS success,
            coalesce(sum(count) FILTER (WHERE outcome = 'failure'), 0) AS failure
          FROM event_hours WHERE ${where} AND hour >= ${next(buckets.from)}::bigint AND hour < ${next(buckets.to)}::bigint
          GROUP BY 1) b) AS buckets`);
      }
      const row = (await db.one(`SELECT (SELECT coalesce(json_agg(json_build_array(from_id, to_id) ORDER BY to_id DESC), '[]'::json)
        FROM event_hours_gaps) AS gaps${columns.map((c) => `, ${c}`).join('')}`, params))!;
      return {
        gaps: (row.gaps as [number, number][]).map(([lo, hi]) => ({ lo: Number(lo), hi: Number(hi) })),
        ranges: windows.map((_, i) => toSegment(row[`r${i}`] as [number | null, number | null] | null)),
        buckets: ((row.buckets ?? []) as [number, number, number][])
          .map(([bucket, success, failure]) => ({ bucket: Number(bucket), success: Number(success), failure: Number(failure) })),
      };
    },
    async listRange(filter, segment, limit) {
      const { sql, params } = listSql(filter, segment, limit);
      return (await db.longRead<EventRow>(sql, params)).map(toEvent);
    },
    async rawBuckets(filter, segment, size) {
      // SQLite: CAST(strftime('%s', time) AS INTEGER) / CAST(b AS INTEGER) * CAST(b AS INTEGER), whole
      // seconds truncated, then integer division; trunc(…)::bigint and bigint division do the same,
      // and the bucket width is truncated in JS as SQLite's CAST would (pg refuses '1.5' as bigint).
      const sides = sidesOf(filter, segment);
      const rows = sides.map((s) => `SELECT time, outcome FROM events WHERE ${s.sql}`).join(' UNION ALL ');
      const result = await db.longRead<{ bucket: string; success: string; failure: string }>(numbered(
        `SELECT trunc(extract(epoch FROM time::timestamptz))::bigint / ?::bigint * ?::bigint AS bucket,
          count(*) FILTER (WHERE outcome = 'success') AS success, count(*) FILTER (WHERE outcome = 'failure') AS failure
        FROM (${rows}) s GROUP BY bucket`), [Math.trunc(size), Math.trunc(size), ...sides.flatMap((s) => s.params)]);
      return result.map((r): BucketCount => ({ bucket: Number(r.bucket), success: Number(r.success), failure: Number(r.failure) }));
    },
  };
}
