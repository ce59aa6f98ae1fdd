/**
 * PostgreSQL DDL for the records tables (see migrations.ts): events, sessions, the SSO state
 * (replay cache, pending requests) and settings, in the final shape of SQLite versions 1–13.
 *
 * Times are ISO-8601 text compared and ordered as text. SQLite compares text bytewise (BINARY);
 * a PostgreSQL column compares by the database's collation, which under a linguistic locale
 * (en_US.UTF-8) weighs punctuation differently. The time columns are COLLATE "C" so `time >= $1`,
 * `expires_at <= $1` and their indexes order exactly as SQLite does, whatever locale initdb chose.
 *
 * Every constraint and index is named: RECORD_FIELDS (records.ts) maps the names to the field
 * names the SQLite driver reports.
 */
export const RECORD_TABLES = `
CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY,
  time text COLLATE "C" NOT NULL,
  type text NOT NULL,
  outcome text NOT NULL,
  reason text,
  actor_type text NOT NULL,
  actor_id text,
  actor_label text,
  target_type text,
  target_id text,
  target_label text,
  app_id text,
  client_ip text,
  detail_json text NOT NULL DEFAULT '{}',
  CONSTRAINT events_pkey PRIMARY KEY (id),
  CONSTRAINT events_outcome_check CHECK (outcome IN ('success', 'failure'))
);
CREATE INDEX events_by_time ON events (time);
CREATE INDEX events_by_type ON events (type, id);
CREATE INDEX events_by_app ON events (app_id, id);

-- Ended sessions stay as tombstones (ended, data cleared) until they expire: see records.ts.
CREATE TABLE sessions (
  sid text NOT NULL,
  data text NOT NULL,
  expires_at text COLLATE "C" NOT NULL,
  user_id text,
  ended boolean NOT NULL DEFAULT false,
  CONSTRAINT sessions_pkey PRIMARY KEY (sid)
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_user ON sessions (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE seen_request_ids (
  sp_entity_id text NOT NULL,
  request_id text NOT NULL,
  expires_at text COLLATE "C" NOT NULL,
  CONSTRAINT seen_request_ids_pkey PRIMARY KEY (sp_entity_id, request_id)
);
CREATE INDEX seen_request_ids_by_expiry ON seen_request_ids (expires_at);

CREATE TABLE pending_sso (
  id text NOT NULL,
  application_id text NOT NULL,
  payload_json text NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  expires_at text COLLATE "C" NOT NULL,
  CONSTRAINT pending_sso_pkey PRIMARY KEY (id),
  CONSTRAINT pending_sso_application_id_fkey FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE
);
-- Not in SQLite: PostgreSQL does not index a referencing column by itself, and deleting an
-- application would scan pending_sso for the cascade; purgeExpired deletes by expiry.
CREATE INDEX pending_sso_by_application ON pending_sso (application_id);
CREATE INDEX pending_sso_by_expiry ON pending_sso (expires_at);

CREATE TABLE settings (
  key text NOT NULL,
  value text NOT NULL,
  CONSTRAINT settings_pkey PRIMARY KEY (key)
);
`;
