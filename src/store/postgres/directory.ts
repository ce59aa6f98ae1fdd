import { cappedTotal, keysetPage, type GroupRepository, type Store, type UserProfile, type UserRepository } from '../types';
import type { PgDatabase } from './db';
import { createPgApplicationRepository } from './directory-applications';
import { createPgSigningKeyRepository } from './directory-keys';
import {
  GROUP_COLUMNS, USER_COLUMNS, holdsNul, likePattern, listPage, nocase, refusableWrite, toGroup, toUser, type GroupRow, type UserRow,
} from './directory-sql';
import { createPgUserLister } from './user-search';

/**
 * Constraint and index name (schema-directory.ts) → the field name the SQLite driver reports for
 * the same violation, so the HTTP layer maps one set of names. CHECK constraints report the bare
 * column, as SQLite's message does; foreign keys, for which SQLite names nothing ('unknown'),
 * name the referencing column.
 */
export const DIRECTORY_FIELDS: Readonly<Record<string, string>> = {
  users_pkey: 'users.id',
  users_username_key: 'users.username',
  users_email_key: 'users.email',
  users_state_check: 'state',
  groups_pkey: 'groups.id',
  groups_name_key: 'groups.name',
  memberships_pkey: 'memberships.group_id',
  memberships_group_id_fkey: 'memberships.group_id',
  memberships_user_id_fkey: 'memberships.user_id',
  signing_keys_pkey: 'signing_keys.id',
  signing_keys_fingerprint_sha256_key: 'signing_keys.fingerprint_sha256',
  signing_keys_status_check: 'status',
  one_default_signing_key: 'signing_keys.is_default',
  applications_pkey: 'applications.id',
  applications_slug_key: 'applications.slug',
  applications_slug_check: 'slug',
  applications_display_label_check: 'display_label',
  applications_signing_key_id_fkey: 'applications.signing_key_id',
  applications_sp_entity_id_unique: 'applications.sp_entity_id',
  application_groups_pkey: 'application_groups.application_id',
  application_groups_application_id_fkey: 'application_groups.application_id',
  application_groups_group_id_fkey: 'application_groups.group_id',
};

const PROFILE_COLUMNS: Record<keyof UserProfile | 'state' | 'isAdmin' | 'mfaRequired', string> = {
  username: 'username', email: 'email', firstName: 'first_name', lastName: 'last_name',
  displayName: 'display_name', employeeId: 'employee_id', title: 'title', state: 'state', isAdmin: 'is_admin',
  mfaRequired: 'mfa_required',
};

export function createPgUserRepository(db: PgDatabase): UserRepository {
  const lister = createPgUserLister(db);
  return {
    async create(user, hash) {
      await refusableWrite(db, `INSERT INTO users (id, username, email, first_name, last_name, display_name, employee_id,
        title, state, is_admin, mfa_required, password_hash, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, [
        user.id, user.username, user.email, user.firstName, user.lastName, user.displayName,
        user.employeeId, user.title, user.state, user.isAdmin, user.mfaRequired, hash, user.createdAt, user.updatedAt]);
    },
    async update(id, changes, now) {
      // One UPDATE naming only the changed columns: two instances changing different fields of
      // the same user both keep their change.
      const sets: string[] = [];
      const values: unknown[] = [];
      for (const [key, value] of Object.entries(changes)) {
        if (value === undefined) continue;
        // Column names are spliced into the SQL: only the mapped ones, never a key as given.
        if (!Object.hasOwn(PROFILE_COLUMNS, key)) throw new Error(`users.update: unknown field ${key}`);
        const column = PROFILE_COLUMNS[key as keyof typeof PROFILE_COLUMNS];
        values.push(value);
        sets.push(`${column} = $${values.length}`);
      }
      if (sets.length === 0) return;
      await refusableWrite(db, `UPDATE users SET ${sets.join(', ')}, updated_at = $${values.length + 1} WHERE id = $${values.length + 2}`,
        [...values, now, id]);
    },
    async delete(id) {
      return ((await db.query('DELETE FROM users WHERE id = $1', [id])).rowCount ?? 0) > 0;
    },
    async findById(id) {
      if (holdsNul(id)) return undefined;
      const row = await db.one<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
      return row && toUser(row);
    },
    async findByLogin(login) {
      if (holdsNul(login)) return undefined;
      // A login that is one user's username and another's e-mail finds the username's owner, as
      // SQLite's OR over the two indexes does (username first).
      const row = await db.one<UserRow>(`SELECT ${USER_COLUMNS} FROM users
        WHERE lower(username) = ${nocase('$1')} OR lower(email) = ${nocase('$1')}
        ORDER BY lower(username) = ${nocase('$1')} DESC LIMIT 1`, [login]);
      return row && toUser(row);
    },
    async list(page) {
      return lister.list(page);
    },
    async rebuildSearchIndex() {
      // users.search_words is a generated column: computed with the row, never behind.
    },
    async getPasswordHash(id) {
      if (holdsNul(id)) return undefined;
      const row = await db.one<{ h: string | null }>('SELECT password_hash AS h FROM users WHERE id = $1', [id]);
      return row ? row.h : undefined;
    },
    async setPasswordHash(id, hash, now) {
      await db.query('UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3', [hash, now, id]);
    },
    async countAdmins() {
      return Number((await db.one<{ n: string }>('SELECT count(*) AS n FROM users WHERE is_admin'))!.n);
    },
    async lockAdmins() {
      // In READ COMMITTED a second instance blocks on the first admin row locked here; after the
      // first commits, each row it locks is re-checked in its newest version, so a demoted or
      // deleted admin drops out and it counts what is left. Locked in id order, so two callers
      // never wait on each other crosswise. NO KEY UPDATE (what an UPDATE of is_admin takes)
      // rather than UPDATE: rows that reference an admin (memberships, MFA enrolment) can still be written.
      // Every admin row is locked, suspended ones too (a reactivation waits as well); only the
      // active ones are counted.
      const rows = await db.many<{ id: string; state: string }>('SELECT id, state FROM users WHERE is_admin ORDER BY id FOR NO KEY UPDATE');
      return rows.filter((r) => r.state === 'active').map((r) => r.id);
    },
  };
}

export function createPgGroupRepository(db: PgDatabase): GroupRepository {
  const lister = createPgUserLister(db);
  return {
    async create(group) {
      await refusableWrite(db, 'INSERT INTO groups (id, name, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)',
        [group.id, group.name, group.description, group.createdAt, group.updatedAt]);
    },
    async update(id, changes, now) {
      // SQLite reads the row and writes both fields back; here that would let two instances
      // undo each other's change. COALESCE keeps what was not given, from the row as locked.
      await refusableWrite(db, `UPDATE groups SET name = COALESCE($1, name), description = COALESCE($2, description),
        updated_at = $3 WHERE id = $4`, [changes.name ?? null, changes.description ?? null, now, id]);
    },
    async delete(id) {
      return ((await db.query('DELETE FROM groups WHERE id = $1', [id])).rowCount ?? 0) > 0;
    },
    async findById(id) {
      if (holdsNul(id)) return undefined;
      const row = await db.one<GroupRow>(`SELECT ${GROUP_COLUMNS} FROM groups WHERE id = $1`, [id]);
      return row && toGroup(row);
    },
    async list(page) {
      const { rows, counted } = await listPage<GroupRow>(db, {
        columns: GROUP_COLUMNS, from: 'groups', filter: page.q ? `name ILIKE $1 ESCAPE '\\'` : '',
        // lower(name) is unique (groups_name_key): one total order, as SQLite's NOCASE name.
        keys: { compare: ['lower(name)'], order: ['lower(name)'], key: nocase },
      }, page.q ? [likePattern(page.q)] : [], page);
      return { ...keysetPage(rows.map(toGroup), page, (g) => [g.name]), ...cappedTotal(counted) };
    },
    async addMember(groupId, userId) {
      // Atomic: of two instances adding the same member, exactly one is told it changed something.
      // A missing group or user is still a reference error (DO NOTHING covers the key only).
      const result = await refusableWrite(db, `INSERT INTO memberships (group_id, user_id) VALUES ($1, $2)
        ON CONFLICT (group_id, user_id) DO NOTHING`, [groupId, userId]);
      return (result.rowCount ?? 0) > 0;
    },
    async removeMember(groupId, userId) {
      return ((await db.query('DELETE FROM memberships WHERE group_id = $1 AND user_id = $2', [groupId, userId])).rowCount ?? 0) > 0;
    },
    async listMembers(groupId) {
      const rows = await db.many<UserRow>(`SELECT ${USER_COLUMNS.replace(/(\w+)/g, 'u.$1')} FROM users u
        JOIN memberships m ON m.user_id = u.id WHERE m.group_id = $1 ORDER BY lower(u.username), u.username`, [groupId]);
      return rows.map(toUser);
    },
    async pageMembers(groupId, page) {
      return lister.members(groupId, page);
    },
    async membersAmong(groupId, userIds) {
      const ids = userIds.filter((id) => !holdsNul(id));
      if (holdsNul(groupId) || ids.length === 0) return [];
      return (await db.many<{ id: string }>('SELECT user_id AS id FROM memberships WHERE group_id = $1 AND user_id = ANY($2::text[])', [groupId, ids]))
        .map((r) => r.id);
    },
    async listGroupsOfUser(userId) {
      const rows = await db.many<GroupRow>(`SELECT ${GROUP_COLUMNS.replace(/(\w+)/g, 'g.$1')} FROM groups g
        JOIN memberships m ON m.group_id = g.id WHERE m.user_id = $1 ORDER BY lower(g.name), g.name`, [userId]);
      return rows.map(toGroup);
    },
    async accessOf(userId, appId) {
      if (holdsNul(userId, appId)) return { authorized: false, groups: [] };
      const rows = await db.many<GroupRow & { bound: boolean }>(`SELECT ${GROUP_COLUMNS.replace(/(\w+)/g, 'g.$1')},
          EXISTS (SELECT 1 FROM application_groups ag WHERE ag.application_id = $2 AND ag.group_id = g.id) AS bound
        FROM groups g JOIN memberships m ON m.group_id = g.id WHERE m.user_id = $1 ORDER BY lower(g.name), g.name`, [userId, appId]);
      return { authorized: rows.some((r) => r.bound), groups: rows.map(({ bound: _, ...row }) => toGroup(row as GroupRow)) };
    },
  };
}

export function createPgDirectoryRepositories(db: PgDatabase): Pick<Store, 'users' | 'groups' | 'applications' | 'signingKeys'> {
  return {
    users: createPgUserRepository(db),
    groups: createPgGroupRepository(db),
    applications: createPgApplicationRepository(db),
    signingKeys: createPgSigningKeyRepository(db),
  };
}
