import type Database from 'better-sqlite3';

/**
 * The user search index (migration 17): an FTS5 table over users' username, e-mail and names,
 * "external content" (sqlite.org/fts5.html §4.4.3: it holds the index only and reads the rows from
 * `users` by rowid), kept current by triggers in the same transaction as every change.
 *
 * - `tokenize='ascii'`: a word is a run of ASCII letters and digits and of any non-ASCII
 *   characters; ASCII case folds, nothing else does, as users.username's NOCASE. The JS side cuts
 *   queries the same way (searchWords in types-paging.ts) and PostgreSQL's column (schema-search
 *   there) too, so both drivers find the same users.
 * - `prefix='1 2 3'`: prefix queries of one to three characters, the ones that match most words,
 *   read one prepared list instead of merging every word that starts so (§4.2).
 * - The rowid is users' implicit rowid. VACUUM keeps rowids (its copy transfers them), but a
 *   migration that rebuilds `users` (CREATE new, INSERT … SELECT, DROP, RENAME) renumbers them and
 *   drops these triggers: such a migration must recreate the triggers and run rebuildUserSearch.
 *   Reads confirm each hit against the row itself (sqlite/user-search.ts), so a stale index can
 *   miss users but never shows the wrong ones.
 */
export const USER_SEARCH_COLUMNS = 'username, email, first_name, last_name, display_name';
const NEW = USER_SEARCH_COLUMNS.split(', ').map((c) => `new.${c}`).join(', ');
const OLD = USER_SEARCH_COLUMNS.split(', ').map((c) => `old.${c}`).join(', ');

export const USER_SEARCH_SQL = `
  CREATE VIRTUAL TABLE users_search USING fts5(${USER_SEARCH_COLUMNS},
    content='users', content_rowid='rowid', tokenize='ascii', prefix='1 2 3');
  CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, ${USER_SEARCH_COLUMNS}) VALUES (new.rowid, ${NEW});
  END;
  -- External content: the index forgets a row when told the values it indexed (§4.4.3).
  CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, ${USER_SEARCH_COLUMNS}) VALUES ('delete', old.rowid, ${OLD});
  END;
  CREATE TRIGGER users_search_update AFTER UPDATE OF ${USER_SEARCH_COLUMNS} ON users BEGIN
    INSERT INTO users_search (users_search, rowid, ${USER_SEARCH_COLUMNS}) VALUES ('delete', old.rowid, ${OLD});
    INSERT INTO users_search (rowid, ${USER_SEARCH_COLUMNS}) VALUES (new.rowid, ${NEW});
  END;
  INSERT INTO users_search (users_search) VALUES ('rebuild');
  -- Applications page by (display label, creation, id), as the keyset in applications.ts reads.
  CREATE INDEX applications_by_label ON applications (display_label, created_at, id);
`;

/** Rebuild the index from the users table (§6.3 'rebuild'): for a restored or imported store. */
export function rebuildUserSearch(db: Database.Database): void {
  db.prepare("INSERT INTO users_search (users_search) VALUES ('rebuild')").run();
}
