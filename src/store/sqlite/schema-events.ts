/**
 * SQLite migration 15: what keeps Directory Insights fast on a large events table
 * (../events-plan.ts explains how the queries use it).
 *
 * - An index per filter, each ending in id, so a filtered page is read newest first from the
 *   index, within an id range, without sorting: type and app (version 1), actor, target (the user
 *   filter is a union of both sides) and outcome. The time index goes: time bounds are turned
 *   into id bounds, and a planner that picked it would sort the whole window again.
 * - event_hours: per-hour roll-ups written in the same transaction as the events. '' in type or
 *   app_id means "any": each event counts in up to four rows (all; its type; its app; both).
 * - event_hours_gaps: event ids not rolled up; queries read them raw. A store upgraded with
 *   events in it starts with one gap over all of them; `npm run store:rebuild` fills it in.
 */
export const EVENT_SCALE_SQL = `
  CREATE INDEX events_by_actor ON events(actor_id, id);
  CREATE INDEX events_by_target ON events(target_id, id);
  CREATE INDEX events_by_outcome ON events(outcome, id);
  DROP INDEX events_by_time;
  CREATE TABLE event_hours (
    type TEXT NOT NULL,
    app_id TEXT NOT NULL,
    hour INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    count INTEGER NOT NULL,
    min_id INTEGER NOT NULL,
    max_id INTEGER NOT NULL,
    PRIMARY KEY (type, app_id, hour, outcome)
  ) WITHOUT ROWID;
  CREATE TABLE event_hours_gaps (
    from_id INTEGER PRIMARY KEY,
    to_id INTEGER NOT NULL CHECK (to_id >= from_id)
  );
  INSERT INTO event_hours_gaps (from_id, to_id)
    SELECT lo, hi FROM (SELECT min(id) AS lo, max(id) AS hi FROM events) WHERE lo IS NOT NULL;
`;

/** The hour of an event, as the raw histogram buckets it (records-events.ts). */
const HOUR = `CAST(strftime('%s', time) AS INTEGER) / 3600 * 3600`;

/**
 * Roll up the events with ids in [@lo, @hi], adding to what event_hours holds: run by every
 * append in its own transaction (group commit, in-transaction appends) and by the rebuild. The
 * rows are read back by id, so the hour is computed by the same SQL the raw histogram uses.
 * (Measured against an AFTER INSERT trigger doing the four upserts per row: about as cheap for
 * one event, cheaper for a batch, and the rebuild runs the same statement.)
 */
export const ROLL_UP_SQL = `
  WITH b AS MATERIALIZED (SELECT id, type, app_id, outcome, ${HOUR} AS hour FROM events WHERE id BETWEEN @lo AND @hi)
  INSERT INTO event_hours (type, app_id, hour, outcome, count, min_id, max_id)
  SELECT * FROM (
    SELECT '', '', hour, outcome, count(*), min(id), max(id) FROM b WHERE hour IS NOT NULL GROUP BY hour, outcome
    UNION ALL SELECT type, '', hour, outcome, count(*), min(id), max(id) FROM b
      WHERE hour IS NOT NULL AND type <> '' GROUP BY type, hour, outcome
    UNION ALL SELECT '', app_id, hour, outcome, count(*), min(id), max(id) FROM b
      WHERE hour IS NOT NULL AND app_id <> '' GROUP BY app_id, hour, outcome
    UNION ALL SELECT type, app_id, hour, outcome, count(*), min(id), max(id) FROM b
      WHERE hour IS NOT NULL AND type <> '' AND app_id <> '' GROUP BY type, app_id, hour, outcome
  ) WHERE true
  ON CONFLICT (type, app_id, hour, outcome) DO UPDATE SET count = count + excluded.count,
    min_id = min(min_id, excluded.min_id), max_id = max(max_id, excluded.max_id)
`;
