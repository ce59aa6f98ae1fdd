/**
 * PostgreSQL migration 3, the same as SQLite's 15 (../sqlite/schema-events.ts explains it):
 * (column, id) indexes for actor, target and outcome, the time index dropped, per-hour roll-ups
 * and the ids they do not cover yet (a store upgraded with events in it: all of them).
 * Statistics: autovacuum's ANALYZE keeps them current (after 10 % of a table changes, by
 * default); an id bound beyond the last histogram is estimated from the index's actual end, so
 * fresh ids need no fresh statistics.
 */
export const EVENT_SCALE_PG = `
CREATE INDEX events_by_actor ON events (actor_id, id);
CREATE INDEX events_by_target ON events (target_id, id);
CREATE INDEX events_by_outcome ON events (outcome, id);
DROP INDEX events_by_time;
CREATE TABLE event_hours (
  type text NOT NULL,
  app_id text NOT NULL,
  hour bigint NOT NULL,
  outcome text NOT NULL,
  count bigint NOT NULL,
  min_id bigint NOT NULL,
  max_id bigint NOT NULL,
  CONSTRAINT event_hours_pkey PRIMARY KEY (type, app_id, hour, outcome)
);
CREATE TABLE event_hours_gaps (
  from_id bigint NOT NULL,
  to_id bigint NOT NULL,
  CONSTRAINT event_hours_gaps_pkey PRIMARY KEY (from_id),
  CONSTRAINT event_hours_gaps_check CHECK (to_id >= from_id)
);
INSERT INTO event_hours_gaps (from_id, to_id)
  SELECT lo, hi FROM (SELECT min(id) AS lo, max(id) AS hi FROM events) r WHERE lo IS NOT NULL;
`;

/**
 * Roll up the rows of `source` (a relation with id, time, type, app_id, outcome), adding to what
 * event_hours holds: the four grains in one pass (GROUPING SETS), '' for "any". The hour is the
 * raw histogram's bucket expression (records-events.ts). Used in the statement that inserts the
 * events (a data-modifying CTE over its RETURNING rows) and by the rebuild.
 */
export const rollUpFrom = (source: string) => `
  INSERT INTO event_hours (type, app_id, hour, outcome, count, min_id, max_id)
  SELECT coalesce(type_k, ''), coalesce(app_k, ''), hour, outcome, count(*), min(id), max(id)
  FROM (SELECT id, outcome, trunc(extract(epoch FROM time::timestamptz))::bigint / 3600 * 3600 AS hour,
      nullif(type, '') AS type_k, nullif(app_id, '') AS app_k FROM ${source}) s
  GROUP BY GROUPING SETS ((hour, outcome), (type_k, hour, outcome), (app_k, hour, outcome), (type_k, app_k, hour, outcome))
  HAVING (GROUPING(type_k) = 1 OR type_k IS NOT NULL) AND (GROUPING(app_k) = 1 OR app_k IS NOT NULL)
  ON CONFLICT (type, app_id, hour, outcome) DO UPDATE SET count = event_hours.count + excluded.count,
    min_id = least(event_hours.min_id, excluded.min_id), max_id = greatest(event_hours.max_id, excluded.max_id)`;
