/**
 * PostgreSQL DDL for sign-in protection (throttle, MFA) and Identity Management (SCIM connection,
 * provisioning outbox, remote links, imports): SQLite migrations 3–9 and 12 folded into their
 * final shape. users and applications come from DIRECTORY_TABLES, which runs first.
 *
 * Times are ISO-8601 text compared as text, as in SQLite; COLLATE "C" makes that a byte
 * comparison whatever the database's locale (en_US would order by letters first and ignore
 * punctuation), so `due` and `purgeBefore` compare exactly as SQLite's BINARY does.
 * Every constraint and index is named: ACCOUNT_FIELDS (account-records.ts) maps the names to the
 * fields the SQLite driver reports.
 */
export const ACCOUNT_TABLES = `
CREATE TABLE login_throttle (
  key text COLLATE "C" NOT NULL,
  failures integer NOT NULL,
  window_start text COLLATE "C" NOT NULL,
  blocked_until text COLLATE "C",
  CONSTRAINT login_throttle_pkey PRIMARY KEY (key),
  CONSTRAINT login_throttle_failures_check CHECK (failures >= 0)
);
CREATE INDEX login_throttle_by_window ON login_throttle (window_start);

CREATE TABLE user_mfa (
  user_id text NOT NULL,
  sealed_secret text NOT NULL,
  confirmed boolean NOT NULL,
  recovery_json text NOT NULL,
  -- A TOTP step (unix time / 30); SQLite's INTEGER is 64-bit, so bigint.
  last_used_step bigint,
  created_at text COLLATE "C" NOT NULL,
  CONSTRAINT user_mfa_pkey PRIMARY KEY (user_id),
  CONSTRAINT user_mfa_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE application_idm (
  application_id text NOT NULL,
  base_url text NOT NULL,
  sealed_token text NOT NULL,
  token_hint text NOT NULL,
  active boolean NOT NULL DEFAULT false,
  groups_enabled boolean NOT NULL DEFAULT false,
  excluded_mappings_json text NOT NULL DEFAULT '[]',
  activated_at text COLLATE "C",
  updated_at text COLLATE "C" NOT NULL,
  role_json text,
  CONSTRAINT application_idm_pkey PRIMARY KEY (application_id),
  CONSTRAINT application_idm_application_id_fkey FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE INDEX application_idm_active ON application_idm (application_id) WHERE active;

-- user_id has no foreign key: it may be 'group:<id>', and jobs (like links) outlive the user,
-- whose remote account they deactivate.
-- enqueued_by / enqueued_seeing: the transaction that enqueued the job and what it could see.
-- Identity ids are handed out at INSERT, not at COMMIT, so an older id may commit after a newer
-- one has been run; complete and retryLater finish only the older jobs the job's own enqueuer
-- saw committed (provisioning-records.ts). SQLite serializes writers, so its ids follow commits.
CREATE TABLE provisioning_jobs (
  id bigint GENERATED ALWAYS AS IDENTITY,
  application_id text NOT NULL,
  user_id text COLLATE "C" NOT NULL,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at text COLLATE "C" NOT NULL,
  last_error text,
  created_at text COLLATE "C" NOT NULL,
  updated_at text COLLATE "C" NOT NULL,
  enqueued_by xid8 NOT NULL DEFAULT pg_current_xact_id(),
  enqueued_seeing pg_snapshot NOT NULL DEFAULT pg_current_snapshot(),
  CONSTRAINT provisioning_jobs_pkey PRIMARY KEY (id),
  CONSTRAINT provisioning_jobs_application_id_fkey FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE,
  CONSTRAINT provisioning_jobs_status_check CHECK (status IN ('pending', 'done', 'failed'))
);
-- due groups the pending jobs by (app, user) and complete/retryLater touch one group's pending
-- jobs up to an id: both read this small partial index, not the whole history.
CREATE INDEX provisioning_jobs_pending ON provisioning_jobs (application_id, user_id, id) WHERE status = 'pending';
-- list (newest first per app) and the cascade when an application is deleted.
CREATE INDEX provisioning_jobs_by_app ON provisioning_jobs (application_id, id);

CREATE TABLE provisioned_users (
  application_id text NOT NULL,
  user_id text COLLATE "C" NOT NULL,
  remote_id text NOT NULL,
  active boolean NOT NULL,
  updated_at text COLLATE "C" NOT NULL,
  sent_json text,
  CONSTRAINT provisioned_users_pkey PRIMARY KEY (application_id, user_id),
  CONSTRAINT provisioned_users_application_id_fkey FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE
);

CREATE TABLE provisioned_groups (
  application_id text NOT NULL,
  group_id text COLLATE "C" NOT NULL,
  remote_id text NOT NULL,
  updated_at text COLLATE "C" NOT NULL,
  sent_json text,
  CONSTRAINT provisioned_groups_pkey PRIMARY KEY (application_id, group_id),
  CONSTRAINT provisioned_groups_application_id_fkey FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE
);

CREATE TABLE user_imports (
  id text NOT NULL,
  application_id text NOT NULL,
  total integer NOT NULL,
  done integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  status text NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  updated_at text COLLATE "C" NOT NULL,
  CONSTRAINT user_imports_pkey PRIMARY KEY (id),
  CONSTRAINT user_imports_application_id_fkey FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE,
  CONSTRAINT user_imports_status_check CHECK (status IN ('running', 'finished'))
);
CREATE INDEX user_imports_by_app ON user_imports (application_id);
`;
