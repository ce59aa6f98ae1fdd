import { COUNT_CAP, type Group, type Page, type User, type UserState } from '../types';
import type { PgDatabase, Row } from './db';

/** Rows and helpers shared by the directory repositories (users, groups, applications). */

export interface UserRow extends Row {
  id: string; username: string; email: string; first_name: string; last_name: string;
  display_name: string; employee_id: string; title: string; state: UserState; is_admin: boolean;
  mfa_required: boolean; created_at: string; updated_at: string;
}

export const USER_COLUMNS = `id, username, email, first_name, last_name, display_name, employee_id, title,
  state, is_admin, mfa_required, created_at, updated_at`;

export function toUser(row: UserRow): User {
  return {
    id: row.id, username: row.username, email: row.email, firstName: row.first_name,
    lastName: row.last_name, displayName: row.display_name, employeeId: row.employee_id,
    title: row.title, state: row.state, isAdmin: row.is_admin, mfaRequired: row.mfa_required,
    createdAt: row.created_at, updatedAt: row.updated_at,
  };
}

export interface GroupRow extends Row { id: string; name: string; description: string; created_at: string; updated_at: string }

export const GROUP_COLUMNS = 'id, name, description, created_at, updated_at';

export function toGroup(row: GroupRow): Group {
  return { id: row.id, name: row.name, description: row.description, createdAt: row.created_at, updatedAt: row.updated_at };
}

/**
 * SQLite's NOCASE, in PostgreSQL: the columns are COLLATE "C" (schema-directory.ts), so lower()
 * folds ASCII only. A parameter has the database's collation until told otherwise, hence the cast.
 */
export const nocase = (param: string) => `lower(${param}::text COLLATE "C")`;

/**
 * `%`, `_` and `\` in a search are literal characters, not wildcards (as in the SQLite driver).
 * SQLite's LIKE reads its pattern up to a NUL, so `%an<NUL>…%` is `%an`; PostgreSQL refuses NUL in
 * text outright (a 500 for a crafted `?q=`), so the pattern is cut the same way.
 */
export function likePattern(q: string): string {
  const nul = q.indexOf('\u0000');
  const escaped = (nul < 0 ? q : q.slice(0, nul)).replace(/[\\%_]/g, (c) => `\\${c}`);
  return nul < 0 ? `%${escaped}%` : `%${escaped}`;
}

/**
 * PostgreSQL text cannot hold NUL, so no stored row matches a key that has one: lookups answer
 * "not found" without asking (as SQLite does), instead of failing with 22021 (a 500 for a crafted
 * login, slug or id).
 */
export const holdsNul = (...keys: (string | undefined)[]) => keys.some((k) => k?.includes('\u0000'));

/**
 * The keyset half of a page's SQL (types-paging.ts): "after (or before) the key" over `compare`
 * (the key's column expressions; `key` turns each parameter into what its column is compared
 * with, e.g. `nocase`), and ORDER BY `order`, descending before a key. Parameters are appended.
 */
export function keyset(page: Page, columns: { compare: readonly string[]; order: readonly string[]; key?: (param: string) => string }, params: unknown[]) {
  const key = page.before ?? page.after;
  const descending = Boolean(page.before);
  const orderBy = columns.order.map((c) => `${c}${descending ? ' DESC' : ''}`).join(', ');
  if (!key) return { where: '', orderBy };
  if (key.length !== columns.compare.length) throw new Error(`A sort key of this list has ${columns.compare.length} values, not ${key.length}`);
  const names = key.map((value) => {
    params.push(value);
    return (columns.key ?? ((p: string) => p))(`$${params.length}`);
  });
  const op = descending ? '<' : '>';
  const where = names.length === 1 ? `${columns.compare[0]} ${op} ${names[0]}` : `(${columns.compare.join(', ')}) ${op} (${names.join(', ')})`;
  return { where, orderBy };
}

export const whereOf = (...conditions: string[]) => {
  const kept = conditions.filter(Boolean);
  return kept.length ? `WHERE ${kept.join(' AND ')}` : '';
};

/**
 * One page (LIMIT limit + 1, for keysetPage) and the count of all matching rows up to
 * COUNT_CAP + 1, from ONE statement: both come from the same snapshot, as they do in synchronous
 * SQLite, so a concurrent insert cannot make the count disagree with the page. A page past the
 * end still returns the count (one row of NULLs, dropped). `filter` may use $1…$n of `params`.
 */
export async function listPage<R extends Row & { id: string }>(
  db: PgDatabase,
  query: { columns: string; from: string; filter: string; keys: Parameters<typeof keyset>[1] },
  params: readonly unknown[],
  page: Page,
): Promise<{ rows: R[]; counted: number }> {
  const all = [...params];
  const { where, orderBy } = keyset(page, query.keys, all);
  all.push(page.limit + 1, page.offset ?? 0);
  const rows = await db.many<R & { page_total: string }>(
    `SELECT t.page_total, p.* FROM (SELECT count(*) AS page_total FROM (SELECT 1 FROM ${query.from} ${whereOf(query.filter)} LIMIT ${COUNT_CAP + 1}) c) t
      LEFT JOIN LATERAL (SELECT ${query.columns} FROM ${query.from} ${whereOf(query.filter, where)}
        ORDER BY ${orderBy} LIMIT $${all.length - 1} OFFSET $${all.length}) p ON true
      ORDER BY ${orderBy}`,
    all,
  );
  return { rows: rows.filter((r) => r.id !== null), counted: Number(rows[0]?.page_total ?? 0) };
}

/**
 * A write that a constraint may refuse: inside a transaction it runs under a savepoint, so the
 * refusal undoes only this statement and the service can go on (see PgDatabase.savepoint).
 */
export function refusableWrite(db: PgDatabase, sql: string, params: readonly unknown[]) {
  return db.savepoint(() => db.query(sql, params));
}
