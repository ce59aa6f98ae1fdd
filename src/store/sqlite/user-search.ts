import type Database from 'better-sqlite3';
import { COUNT_CAP, cappedTotal, keysetPage, searchWords, type Page, type PageOf, type User } from '../types';
import { keyset, whereOf } from './keyset';

/**
 * Users by username a page at a time: the whole list, a search (the users_search FTS5 index of
 * schema-search.ts) and a group's members. A capped count comes first and picks the plan, as a
 * planner would from statistics: "by username" and "only these users" pull different ways.
 *
 * - At most COUNT_CAP matches: read the matches (through the index) and sort them. At most a
 *   thousand rows, whatever the store's size.
 * - More: walk users in username order (the username index) and keep the matches, which are then
 *   at least one in a hundred users at 100,000. A search first looks at the next WINDOW users
 *   only, checking each row's own text (the common case: a first letter typed matches a page
 *   within a few rows); when matches are bunched elsewhere in the order ("robert" starts the
 *   usernames of the Roberts), it checks rows against the index's hits gathered once (an IN
 *   list with a Bloom filter). Never a scan of the text of every row.
 *
 * Each search hit is confirmed against the row itself (GLOB, the tokenizer's rule written in SQL),
 * so an index gone stale (see schema-search.ts) can miss users but never shows the wrong ones.
 */
export const USER_COLUMNS = `id, username, email, first_name, last_name, display_name, employee_id, title,
  state, is_admin, mfa_required, created_at, updated_at`;
const U_COLUMNS = USER_COLUMNS.replace(/(\w+)/g, 'u.$1');

/** The searched fields, lower-cased as the `ascii` tokenizer folds (SQLite's lower() is ASCII-only). */
const SEARCH_TEXT = `(' ' || lower(u.username) || ' ' || lower(u.email) || ' ' || lower(u.first_name) || ' ' || lower(u.last_name) || ' ' || lower(u.display_name))`;
/** Any character that separates words: not an ASCII letter or digit, not beyond ASCII. */
const SEPARATOR_CLASS = '[^a-z0-9\u0080-\u{10FFFF}]';
/** Rows a dense search reads by their text before it turns to the index (each about 5-10 µs). */
export const WINDOW = 300;

/** An FTS5 prefix query for each word, ANDed. The words hold no `"` (searchWords), doubled anyway. */
export const ftsQuery = (words: readonly string[]) => words.map((w) => `"${w.replace(/"/g, '""')}"*`).join(' ');

export function createUserLister<Row>(db: Database.Database, toUser: (row: Row) => User) {
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, statement = db.prepare(sql));
    return statement;
  };
  const count = (sql: string, params: Record<string, unknown>) =>
    (prepared(`SELECT count(*) AS n FROM (${sql} LIMIT ${COUNT_CAP + 1})`).get(params) as { n: number }).n;

  /** Rows by username: `from` and `filter` narrow them, `dense` picks the walk in username order. */
  function pageOf(page: Page, counted: number, query: { from: string; filter: string; dense: boolean }, params: Record<string, unknown>): PageOf<User> {
    if (counted === 0) return { items: [], ...cappedTotal(0), next: null, prev: null };
    // Sorting a few matches: `+` keeps the username index from driving (and NOCASE from leaving).
    const { where, orderBy } = keyset(page, [query.dense ? 'u.username' : '+u.username'], ['u.username'], params);
    const rows = prepared(`SELECT ${U_COLUMNS} FROM ${query.from} ${whereOf(query.filter, where)} ORDER BY ${orderBy} LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: page.limit + 1, offset: page.offset ?? 0 }) as Row[];
    const users = rows.map(toUser);
    return { ...keysetPage(users, page, (u) => [u.username]), ...cappedTotal(counted) };
  }

  return {
    list(page: Page): PageOf<User> {
      const words = searchWords(page.q);
      if (words.length === 0) return pageOf(page, count('SELECT 1 FROM users', {}), { from: 'users u', filter: '', dense: true }, {});
      const params: Record<string, unknown> = { match: ftsQuery(words) };
      words.forEach((w, i) => { params[`w${i}`] = `*${SEPARATOR_CLASS}${w}*`; });
      const hits = 'SELECT rowid FROM users_search WHERE users_search MATCH @match';
      const counted = count(hits, params);
      const confirmed = words.map((_, i) => `${SEARCH_TEXT} GLOB @w${i}`).join(' AND ');
      // Few hits drive by rowid; many are a membership test (`+` stops the rowid lookup plan).
      const dense = counted > COUNT_CAP;
      if (dense && !page.offset) {
        const window = keyset(page, ['username'], ['username'], params);
        const near = pageOf(page, counted, {
          from: `(SELECT * FROM users ${whereOf(window.where)} ORDER BY ${window.orderBy} LIMIT ${WINDOW}) u`, filter: confirmed, dense,
        }, params);
        if (page.before ? near.prev : near.next) return near;
      }
      return pageOf(page, counted, { from: 'users u', filter: `${dense ? '+u.rowid' : 'u.rowid'} IN (${hits}) AND ${confirmed}`, dense }, params);
    },

    members(groupId: string, page: Page): PageOf<User> {
      const params = { group: groupId };
      const counted = count('SELECT 1 FROM memberships WHERE group_id = @group', params);
      const dense = counted > COUNT_CAP;
      return pageOf(page, counted, dense
        ? { from: 'users u', filter: 'EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = @group AND m.user_id = u.id)', dense }
        : { from: 'memberships m JOIN users u ON u.id = m.user_id', filter: 'm.group_id = @group', dense }, params);
    },
  };
}
