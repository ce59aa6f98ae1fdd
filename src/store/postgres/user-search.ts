import { COUNT_CAP, cappedTotal, keysetPage, searchWords, type Page, type PageOf, type User } from '../types';
import type { PgDatabase } from './db';
import { holdsNul, keyset, listPage, nocase, toUser, USER_COLUMNS, whereOf, type UserRow } from './directory-sql';

/**
 * Users by username a page at a time, as the SQLite driver's user-search.ts (read it first): the
 * whole list, a search through users.search_words (schema-search.ts: a GIN-indexed tsvector of
 * the same words the FTS5 index holds), and a group's members.
 *
 * The planner cannot tell how many users a prefix query matches (it assumes a few), and guessing
 * wrong either way costs a scan: so a capped count comes first and picks the plan. At most
 * COUNT_CAP matches: gather them through the index (a materialized CTE, so the planner cannot
 * trade it for the username order) and sort them. More: walk the next WINDOW users in username
 * order and keep the matches; when those hold less than a page (matches bunched elsewhere in
 * the order), gather and sort after all. The walk costs about 1.5 µs a row (the tsvector test).
 */
export const WINDOW = 5000;
const U_COLUMNS = USER_COLUMNS.replace(/(\w+)/g, 'u.$1');
const BY_USERNAME = { compare: ['lower(u.username)'], order: ['lower(u.username)'], key: nocase };
const BY_USERNAME_UNALIASED = { compare: ['lower(username)'], order: ['lower(username)'], key: nocase };

/** A prefix query per word, ANDed. tsquery's input takes lexemes as written (no dictionary). */
export const tsQuery = (words: readonly string[]) => words.map((w) => `'${w.replace(/'/g, "''")}':*`).join(' & ');

async function count(db: PgDatabase, sql: string, params: unknown[]): Promise<number> {
  return Number((await db.one<{ n: string }>(`SELECT count(*) AS n FROM (${sql} LIMIT ${COUNT_CAP + 1}) c`, params))!.n);
}

async function pageOf(db: PgDatabase, page: Page, counted: number, sql: { with?: string; from: string; filter: string }, params: unknown[]): Promise<PageOf<User>> {
  if (counted === 0) return { items: [], ...cappedTotal(0), next: null, prev: null };
  const all = [...params];
  const { where, orderBy } = keyset(page, BY_USERNAME, all);
  all.push(page.limit + 1, page.offset ?? 0);
  const rows = await db.many<UserRow>(`${sql.with ?? ''} SELECT ${U_COLUMNS} FROM ${sql.from} ${whereOf(sql.filter, where)}
    ORDER BY ${orderBy} LIMIT $${all.length - 1} OFFSET $${all.length}`, all);
  return { ...keysetPage(rows.map(toUser), page, (u) => [u.username]), ...cappedTotal(counted) };
}

export function createPgUserLister(db: PgDatabase) {
  return {
    async list(page: Page): Promise<PageOf<User>> {
      const words = searchWords(page.q);
      if (words.length === 0) {
        const { rows, counted } = await listPage<UserRow>(db, { columns: USER_COLUMNS, from: 'users', filter: '', keys: BY_USERNAME_UNALIASED }, [], page);
        return { ...keysetPage(rows.map(toUser), page, (u) => [u.username]), ...cappedTotal(counted) };
      }
      const params = [tsQuery(words)];
      const counted = await count(db, 'SELECT 1 FROM users WHERE search_words @@ $1::tsquery', params);
      if (counted > COUNT_CAP && !page.offset) {
        const all: unknown[] = [...params];
        const window = keyset(page, BY_USERNAME_UNALIASED, all);
        const near = await pageOf(db, page, counted, {
          from: `(SELECT ${USER_COLUMNS}, search_words FROM users ${whereOf(window.where)} ORDER BY ${window.orderBy} LIMIT ${WINDOW}) u`,
          filter: 'u.search_words @@ $1::tsquery',
        }, all);
        if (page.before ? near.prev : near.next) return near;
      }
      return pageOf(db, page, counted, {
        with: `WITH hits AS MATERIALIZED (SELECT ${USER_COLUMNS} FROM users WHERE search_words @@ $1::tsquery)`, from: 'hits u', filter: '',
      }, params);
    },

    async members(groupId: string, page: Page): Promise<PageOf<User>> {
      if (holdsNul(groupId)) return { items: [], ...cappedTotal(0), next: null, prev: null };
      const params = [groupId];
      const counted = await count(db, 'SELECT 1 FROM memberships WHERE group_id = $1', params);
      return pageOf(db, page, counted, counted > COUNT_CAP
        ? { from: 'users u', filter: 'EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = $1 AND m.user_id = u.id)' }
        : { with: 'WITH ids AS MATERIALIZED (SELECT user_id FROM memberships WHERE group_id = $1)', from: 'users u', filter: 'u.id IN (SELECT user_id FROM ids)' },
      params);
    },
  };
}
