/**
 * PostgreSQL migration 5: the user search index, the same words as SQLite's FTS5 table
 * (sqlite/schema-search.ts), so both drivers find the same users for the same query.
 *
 * `search_words` is a generated column (computed with the row, so never behind and nothing to
 * rebuild): username, e-mail, first, last and display name, lower-cased in the "C" collation
 * (ASCII only, as SQLite's NOCASE and the `ascii` tokenizer fold), cut at every ASCII character
 * that is not a letter or digit (characters beyond ASCII belong to words), and made a tsvector
 * of those words as they are: array_to_tsvector applies no dictionary, so no stemming, no stop
 * words and no locale's idea of case. A GIN index answers prefix queries (`'jo':*`) on it.
 *
 * Not pg_trgm: trigrams answer "contains these letters", and a word-prefix rule would then be
 * re-checked by a regular expression on every candidate; one-letter and two-letter prefixes give
 * no trigram at all. A tsvector of the words needs no extension (none to install or trust).
 */
export const USER_SEARCH_PG = `
ALTER TABLE users ADD COLUMN search_words tsvector GENERATED ALWAYS AS (
  array_to_tsvector(array_remove(regexp_split_to_array(
    lower((username || ' ' || email || ' ' || first_name || ' ' || last_name || ' ' || display_name) COLLATE "C"),
    '[^a-z0-9\\u0080-\\U0010FFFF]+'), ''))
) STORED;
CREATE INDEX users_search ON users USING gin (search_words);
-- Applications page by (display label, creation, id) (directory-applications.ts BY_LABEL).
CREATE INDEX applications_by_label ON applications (display_label, created_at, (id COLLATE "C"));
`;
