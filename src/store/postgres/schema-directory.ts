/**
 * PostgreSQL DDL for the directory tables (see migrations.ts): the SQLite schema of migrations
 * 1–13 in its final shape. Every constraint and index is named, because DIRECTORY_FIELDS maps
 * those names to the field names the SQLite driver reports (`users.username`).
 *
 * Columns that SQLite compares case-insensitively (COLLATE NOCASE), searches with LIKE or orders
 * by are `COLLATE "C"`: lower() then folds ASCII only and ILIKE ignores ASCII case only, exactly
 * like NOCASE and SQLite's LIKE, and ORDER BY is byte order like SQLite's BINARY, whatever locale
 * the database was created with. Ids keep the default collation so joins from the other parts'
 * tables (user_id, application_id) can use their indexes.
 */
export const DIRECTORY_TABLES = `
CREATE TABLE users (
  id text CONSTRAINT users_pkey PRIMARY KEY,
  username text COLLATE "C" NOT NULL,
  email text COLLATE "C" NOT NULL,
  first_name text NOT NULL DEFAULT '',
  last_name text NOT NULL DEFAULT '',
  display_name text COLLATE "C" NOT NULL DEFAULT '',
  employee_id text NOT NULL DEFAULT '',
  title text NOT NULL DEFAULT '',
  state text NOT NULL DEFAULT 'active' CONSTRAINT users_state_check CHECK (state IN ('active', 'suspended')),
  is_admin boolean NOT NULL DEFAULT false,
  mfa_required boolean NOT NULL DEFAULT false,
  password_hash text,
  created_at text COLLATE "C" NOT NULL,
  updated_at text COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE groups (
  id text CONSTRAINT groups_pkey PRIMARY KEY,
  name text COLLATE "C" NOT NULL,
  description text NOT NULL DEFAULT '',
  created_at text COLLATE "C" NOT NULL,
  updated_at text COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX groups_name_key ON groups (lower(name));

CREATE TABLE memberships (
  group_id text NOT NULL CONSTRAINT memberships_group_id_fkey REFERENCES groups(id) ON DELETE CASCADE,
  user_id text NOT NULL CONSTRAINT memberships_user_id_fkey REFERENCES users(id) ON DELETE CASCADE,
  CONSTRAINT memberships_pkey PRIMARY KEY (group_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE signing_keys (
  id text CONSTRAINT signing_keys_pkey PRIMARY KEY,
  label text NOT NULL,
  encrypted_private_key text NOT NULL,
  certificate_pem text NOT NULL,
  fingerprint_sha256 text NOT NULL CONSTRAINT signing_keys_fingerprint_sha256_key UNIQUE,
  not_before text COLLATE "C" NOT NULL,
  not_after text COLLATE "C" NOT NULL,
  status text NOT NULL CONSTRAINT signing_keys_status_check CHECK (status IN ('next', 'active', 'retired')),
  is_default boolean NOT NULL DEFAULT false,
  created_at text COLLATE "C" NOT NULL
);
-- At most one default key: two instances that start on an empty database both try to create one.
CREATE UNIQUE INDEX one_default_signing_key ON signing_keys (is_default) WHERE is_default;

CREATE TABLE applications (
  id text CONSTRAINT applications_pkey PRIMARY KEY,
  catalog_id text NOT NULL,
  slug text COLLATE "C" NOT NULL CONSTRAINT applications_slug_key UNIQUE
    CONSTRAINT applications_slug_check CHECK (slug ~ '^[a-z0-9-]{1,64}$'),
  display_label text COLLATE "C" NOT NULL
    CONSTRAINT applications_display_label_check CHECK (char_length(display_label) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '',
  show_in_portal boolean NOT NULL DEFAULT true,
  sso_active boolean NOT NULL DEFAULT true,
  signing_key_id text CONSTRAINT applications_signing_key_id_fkey REFERENCES signing_keys(id) ON DELETE RESTRICT,
  sp_entity_id text COLLATE "C" NOT NULL,
  sso_json text NOT NULL,
  attributes_json text NOT NULL,
  placeholders_json text NOT NULL DEFAULT '{}',
  portal_json text NOT NULL DEFAULT '{"image":"logo","color":"#57606a"}',
  bookmark_url text,
  -- SQLite migration 11: apps that shared an entity ID before the rule stay out of the unique
  -- index until their ID changes (applications.ts update()). A fresh database has none, but a
  -- copied one may.
  sp_entity_shared_before boolean NOT NULL DEFAULT false,
  created_at text COLLATE "C" NOT NULL,
  updated_at text COLLATE "C" NOT NULL
);
-- One application per SP entity ID (SAML metadata §2.3.2), except bookmarks (''), IDs still
-- holding a YOUR_… placeholder, and the flagged apps above. The regex is the GLOB of migration 11:
-- case-sensitive, and PostgreSQL regex ranges go by code point.
CREATE UNIQUE INDEX applications_sp_entity_id_unique ON applications (sp_entity_id)
  WHERE sp_entity_id <> '' AND NOT sp_entity_shared_before AND sp_entity_id !~ 'YOUR_[A-Z0-9_]';
CREATE INDEX applications_sp_entity_id ON applications (sp_entity_id);

CREATE TABLE application_groups (
  application_id text NOT NULL CONSTRAINT application_groups_application_id_fkey REFERENCES applications(id) ON DELETE CASCADE,
  group_id text NOT NULL CONSTRAINT application_groups_group_id_fkey REFERENCES groups(id) ON DELETE CASCADE,
  created_at text COLLATE "C" NOT NULL,
  CONSTRAINT application_groups_pkey PRIMARY KEY (application_id, group_id)
);
CREATE INDEX application_groups_by_group ON application_groups (group_id);
`;
