import type { EventBucket, EventFilter, EventRecord, Outcome } from './types';

/**
 * How Directory Insights queries stay fast on a large events table, the same for every driver.
 * A driver supplies a few primitives (EventQueries); this module decides what to ask.
 *
 * - Per-hour roll-ups (table event_hours, written in the same transaction as the events) hold,
 *   for each hour and outcome, at four grains (all events, by type, by application, by type and
 *   application, with '' meaning "any"), the count and the lowest and highest event id.
 * - Time bounds become id bounds: the events of [since, until) are among the ids from the lowest
 *   min_id to the highest max_id of the hours the window touches, so a list walks that id range
 *   by primary key (or by a filter's (column, id) index) instead of sorting the window. The time
 *   predicate stays on every query, so the range only has to be a superset.
 * - Histograms with buckets of whole hours sum roll-ups for the hours the window covers fully and
 *   count raw rows for the partial hours at its edges; other buckets (5 min) and filters the
 *   roll-ups lack (user, actor, target) count raw rows over the id range.
 * - Ids not rolled up yet (event_hours_gaps: a store upgraded from before the roll-ups, or events
 *   imported straight into the table) are read raw, so answers stay exact until
 *   `npm run store:rebuild` has filled them in.
 *
 * Hours are taken from the text of the times ('YYYY-MM-DDTHH'), the way the time predicate
 * compares them, and event times are UTC ISO-8601 as the recorder writes them (toISOString).
 */

/** Inclusive event id bounds. */
export interface Segment { lo: number; hi: number }
/** Inclusive hour bounds, in epoch seconds of each hour's start. */
export interface HourRange { from: number; to: number }
/** The roll-up grain a filter reads: '' is "any". */
export interface RollupDims { type: string; appId: string; outcome?: Outcome }
export interface BucketCount { bucket: number; success: number; failure: number }

export interface MetaRequest {
  dims: RollupDims;
  /** For each window, the id range its hours cover (undefined when they hold no events). */
  windows: HourRange[];
  /** Roll-up counts per bucket of `size` seconds for the hours in [from, to). */
  buckets?: { from: number; to: number; size: number };
}
export interface Meta { gaps: Segment[]; ranges: (Segment | undefined)[]; buckets: BucketCount[] }

/** A window filter: every EventFilter condition but paging. */
export type WindowFilter = Omit<EventFilter, 'limit' | 'before'>;

export interface EventQueries {
  /** Gaps, ranges and roll-up buckets read together, from one snapshot (a rebuild moves ids from gaps to roll-ups). */
  meta(request: MetaRequest): Promise<Meta>;
  /** Newest first, at most `limit`, with every condition of the filter, ids within the segment. */
  listRange(filter: WindowFilter, segment: Segment, limit: number): Promise<EventRecord[]>;
  /** Raw counts per bucket with every condition of the filter, ids within the segment. */
  rawBuckets(filter: WindowFilter, segment: Segment, size: number): Promise<BucketCount[]>;
}

/** How a dialect writes the two conditions that differ between the drivers. */
export interface SideDialect {
  /** The id range, two placeholders (PostgreSQL casts them so the (column, id) indexes apply). */
  idBetween: string;
  /** "actor is not the user", null-safe, one placeholder. */
  actorIsNot: string;
}

/**
 * The conditions of a filter and an id range, with `?` placeholders, and where the user filter
 * splits the query: the user as actor, UNION ALL the user as target but not actor, each side read
 * from its own (column, id) index in id order (no OR, which no single index serves). Empty
 * strings filter nothing, as the routes pass them.
 */
export function filterSides(filter: WindowFilter, segment: Segment, dialect: SideDialect): { sql: string; params: unknown[] }[] {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => { clauses.push(sql); params.push(value); };
  if (filter.type) add('type = ?', filter.type);
  if (filter.outcome) add('outcome = ?', filter.outcome);
  if (filter.actorId) add('actor_id = ?', filter.actorId);
  if (filter.targetId) add('target_id = ?', filter.targetId);
  if (filter.appId) add('app_id = ?', filter.appId);
  if (filter.since) add('time >= ?', filter.since);
  if (filter.until) add('time < ?', filter.until);
  clauses.push(dialect.idBetween);
  params.push(segment.lo, segment.hi);
  if (!filter.userId) return [{ sql: clauses.join(' AND '), params }];
  return [
    { sql: ['actor_id = ?', ...clauses].join(' AND '), params: [filter.userId, ...params] },
    { sql: ['target_id = ?', dialect.actorIsNot, ...clauses].join(' AND '), params: [filter.userId, filter.userId, ...params] },
  ];
}

export const MAX_ID = Number.MAX_SAFE_INTEGER;
const HOUR = 3600;
const NO_HOUR_BELOW = -1e15;
const NO_HOUR_ABOVE = 1e15;

const hourStart = (hour: number) => new Date(hour * 1000).toISOString();

/** The hour a time's text names, or undefined when it does not start like 'YYYY-MM-DDTHH'. */
export function hourOf(time: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}/.test(time)) return undefined;
  const ms = Date.parse(`${time.slice(0, 13)}:00:00.000Z`);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/**
 * The hours that can hold an event with since <= time < until (as text): a prefix of a string
 * never sorts after the prefix of a larger one. An until that is exactly an hour's start
 * ('…T11:00:00.000Z') excludes that hour.
 */
export function hoursOf(since?: string, until?: string): HourRange {
  const from = since === undefined ? undefined : hourOf(since);
  let to = until === undefined ? undefined : hourOf(until);
  if (to !== undefined && hourStart(to) === until) to -= HOUR;
  return { from: from ?? NO_HOUR_BELOW, to: to ?? NO_HOUR_ABOVE };
}

/**
 * Split [since, until) into whole hours [from, to) (every time in them inside the window) and the
 * partial windows at its edges, which are counted raw.
 */
export function splitHours(since: string, until: string): { full?: { from: number; to: number }; edges: { since: string; until: string }[] } {
  const first = hourOf(since);
  const last = hourOf(until);
  if (first === undefined || last === undefined) return { edges: [{ since, until }] };
  const from = hourStart(first) >= since ? first : first + HOUR;
  const to = hourStart(last) <= until ? last : last - HOUR;
  if (from >= to) return { edges: [{ since, until }] };
  const edges: { since: string; until: string }[] = [];
  if (since < hourStart(from)) edges.push({ since, until: hourStart(from) });
  if (hourStart(to) < until) edges.push({ since: hourStart(to), until });
  return { full: { from, to }, edges };
}

/** Disjoint segments covering the given ones, newest (highest ids) first. */
export function mergeSegments(segments: (Segment | undefined)[]): Segment[] {
  const sorted = segments.filter((s): s is Segment => s !== undefined && s.lo <= s.hi).sort((a, b) => b.hi - a.hi);
  const out: Segment[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.hi >= last.lo - 1) last.lo = Math.min(last.lo, s.lo);
    else out.push({ ...s });
  }
  return out;
}

/** The parts of `segment` outside every gap. */
export function withoutGaps(segment: Segment | undefined, gaps: Segment[]): Segment[] {
  if (!segment) return [];
  let parts = [segment];
  for (const g of gaps) {
    parts = parts.flatMap((p) => (g.hi < p.lo || g.lo > p.hi ? [p]
      : [{ lo: p.lo, hi: g.lo - 1 }, { lo: g.hi + 1, hi: p.hi }].filter((s) => s.lo <= s.hi)));
  }
  return parts;
}

const dimsOf = (filter: WindowFilter): RollupDims => ({ type: filter.type || '', appId: filter.appId || '', outcome: filter.outcome || undefined });

export async function listEvents(q: EventQueries, filter: EventFilter): Promise<EventRecord[]> {
  const top = filter.before !== undefined ? filter.before - 1 : MAX_ID;
  let segments: Segment[];
  if (!filter.since && !filter.until) {
    segments = [{ lo: 0, hi: top }];
  } else {
    const meta = await q.meta({ dims: dimsOf(filter), windows: [hoursOf(filter.since || undefined, filter.until || undefined)] });
    segments = mergeSegments([meta.ranges[0], ...meta.gaps].map((s) => s && { lo: s.lo, hi: Math.min(s.hi, top) }));
  }
  const { limit, before: _before, ...window } = filter;
  const out: EventRecord[] = [];
  for (const segment of segments) {
    if (out.length >= limit) break;
    out.push(...await q.listRange(window, segment, limit - out.length));
  }
  return out;
}

/** Roll-ups serve whole-hour buckets and the dimensions they have. */
const rollupServes = (filter: WindowFilter, size: number) =>
  Number.isInteger(size) && size % HOUR === 0 && !filter.userId && !filter.actorId && !filter.targetId;

export async function histogramOf(q: EventQueries, filter: WindowFilter & { since: string; until: string }, bucketSeconds: number): Promise<EventBucket[]> {
  const counts = new Map<number, { success: number; failure: number }>();
  const add = (rows: BucketCount[]) => {
    for (const r of rows) {
      const c = counts.get(r.bucket) ?? { success: 0, failure: 0 };
      c.success += r.success;
      c.failure += r.failure;
      counts.set(r.bucket, c);
    }
  };
  const dims = dimsOf(filter);
  if (!rollupServes(filter, bucketSeconds)) {
    const meta = await q.meta({ dims, windows: [hoursOf(filter.since, filter.until)] });
    for (const s of mergeSegments([meta.ranges[0], ...meta.gaps])) add(await q.rawBuckets(filter, s, bucketSeconds));
  } else {
    const { full, edges } = splitHours(filter.since, filter.until);
    const meta = await q.meta({
      dims, windows: edges.map((e) => hoursOf(e.since, e.until)), buckets: full && { ...full, size: bucketSeconds },
    });
    const gaps = mergeSegments(meta.gaps);
    add(meta.buckets);
    // Edges: rolled-up ids only; ids in gaps are counted once below, over the whole window.
    for (const [i, edge] of edges.entries()) {
      for (const s of withoutGaps(meta.ranges[i], gaps)) add(await q.rawBuckets({ ...filter, ...edge }, s, bucketSeconds));
    }
    for (const g of gaps) add(await q.rawBuckets(filter, g, bucketSeconds));
  }
  const out: EventBucket[] = [];
  const first = Math.floor(Date.parse(filter.since) / 1000 / bucketSeconds) * bucketSeconds;
  for (let t = first; t * 1000 < Date.parse(filter.until); t += bucketSeconds) {
    const c = counts.get(t);
    out.push({ start: new Date(t * 1000).toISOString(), success: c?.success ?? 0, failure: c?.failure ?? 0 });
  }
  return out;
}
