import type { Group, Page, User, UserState } from '../types';
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

/** `%`, `_` and `\` in a search are literal characters, not wildcards (as in the SQLite driver). */
export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * One page and the total of all matching rows, from ONE statement: both come from the same
 * snapshot, as they do in synchronous SQLite, so a concurrent insert cannot make the total
 * disagree with the page. A page past the end still returns the total (one row of NULLs, dropped).
 * `where` may use $1…$n of `params`; the page's limit and offset are appended after them.
 */
export async function listPage<R extends Row & { id: string }>(
  db: PgDatabase,
  query: { columns: string; from: string; where: string; orderBy: string },
  params: readonly unknown[],
  page: Page,
): Promise<{ rows: R[]; total: number }> {
  const n = params.length;
  const rows = await db.many<R & { page_total: string }>(
    `SELECT t.page_total, p.* FROM (SELECT count(*) AS page_total FROM ${query.from} ${query.where}) t
      LEFT JOIN LATERAL (SELECT ${query.columns} FROM ${query.from} ${query.where}
        ORDER BY ${query.orderBy} LIMIT $${n + 1} OFFSET $${n + 2}) p ON true
      ORDER BY ${query.orderBy}`,
    [...params, page.limit, page.offset],
  );
  return { rows: rows.filter((r) => r.id !== null), total: Number(rows[0]?.page_total ?? 0) };
}
