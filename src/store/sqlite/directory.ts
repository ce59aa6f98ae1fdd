import type Database from 'better-sqlite3';
import { cappedTotal, COUNT_CAP, keysetPage, type Group, type GroupRepository, type User, type UserProfile, type UserRepository, type UserState } from '../types';
import { keyset, whereOf } from './keyset';
import { rebuildUserSearch } from './schema-search';
import { createUserLister, USER_COLUMNS } from './user-search';

interface UserRow {
  id: string; username: string; email: string; first_name: string; last_name: string;
  display_name: string; employee_id: string; title: string; state: UserState; is_admin: number;
  mfa_required: number; created_at: string; updated_at: string;
}

export function toUser(row: UserRow): User {
  return {
    id: row.id, username: row.username, email: row.email, firstName: row.first_name,
    lastName: row.last_name, displayName: row.display_name, employeeId: row.employee_id,
    title: row.title, state: row.state, isAdmin: row.is_admin === 1, mfaRequired: row.mfa_required === 1,
    createdAt: row.created_at, updatedAt: row.updated_at,
  };
}

const PROFILE_COLUMNS: Record<keyof UserProfile | 'state' | 'isAdmin' | 'mfaRequired', string> = {
  username: 'username', email: 'email', firstName: 'first_name', lastName: 'last_name',
  displayName: 'display_name', employeeId: 'employee_id', title: 'title', state: 'state', isAdmin: 'is_admin',
  mfaRequired: 'mfa_required',
};

/** `%` and `_` in a search are literal characters, not wildcards. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function createUserRepository(db: Database.Database): UserRepository {
  const lister = createUserLister(db, toUser);
  const byId = db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`);
  const byLogin = db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE username = @login OR email = @login LIMIT 1`);
  const passwordHash = db.prepare('SELECT password_hash AS h FROM users WHERE id = ?');
  return {
    async create(user, hash) {
      db.prepare(`INSERT INTO users (id, username, email, first_name, last_name, display_name, employee_id,
        title, state, is_admin, mfa_required, password_hash, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        user.id, user.username, user.email, user.firstName, user.lastName, user.displayName,
        user.employeeId, user.title, user.state, user.isAdmin ? 1 : 0, user.mfaRequired ? 1 : 0, hash, user.createdAt, user.updatedAt);
    },
    async update(id, changes, now) {
      const sets: string[] = [];
      const values: unknown[] = [];
      for (const [key, value] of Object.entries(changes)) {
        if (value === undefined) continue;
        sets.push(`${PROFILE_COLUMNS[key as keyof typeof PROFILE_COLUMNS]} = ?`);
        values.push(typeof value === 'boolean' ? (value ? 1 : 0) : value);
      }
      if (sets.length === 0) return;
      db.prepare(`UPDATE users SET ${sets.join(', ')}, updated_at = ? WHERE id = ?`).run(...values, now, id);
    },
    async delete(id) {
      return db.prepare('DELETE FROM users WHERE id = ?').run(id).changes > 0;
    },
    async findById(id) {
      const row = byId.get(id) as UserRow | undefined;
      return row && toUser(row);
    },
    async findByLogin(login) {
      const row = byLogin.get({ login }) as UserRow | undefined;
      return row && toUser(row);
    },
    async list(page) {
      return lister.list(page);
    },
    async rebuildSearchIndex() {
      rebuildUserSearch(db);
    },
    async getPasswordHash(id) {
      const row = passwordHash.get(id) as { h: string | null } | undefined;
      return row ? row.h : undefined;
    },
    async setPasswordHash(id, hash, now) {
      db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?').run(hash, now, id);
    },
    async countAdmins() {
      return (db.prepare('SELECT COUNT(*) AS n FROM users WHERE is_admin = 1').get() as { n: number }).n;
    },
    async lockAdmins() {
      // A transaction here began with BEGIN IMMEDIATE: the only writer on the file until it
      // commits (other processes wait on busy_timeout), so reading inside it is enough.
      return (db.prepare("SELECT id FROM users WHERE is_admin = 1 AND state = 'active' ORDER BY id").all() as { id: string }[]).map((r) => r.id);
    },
  };
}

interface GroupRow { id: string; name: string; description: string; created_at: string; updated_at: string }

export function toGroup(row: GroupRow): Group {
  return { id: row.id, name: row.name, description: row.description, createdAt: row.created_at, updatedAt: row.updated_at };
}

export function createGroupRepository(db: Database.Database): GroupRepository {
  const lister = createUserLister(db, toUser);
  // Read on every SSO launch that sends a groups attribute, so prepared once.
  const groupsOfUser = db.prepare(`SELECT g.* FROM groups g JOIN memberships m ON m.group_id = g.id
    WHERE m.user_id = ? ORDER BY g.name`);
  const accessOf = db.prepare(`SELECT g.*, EXISTS (SELECT 1 FROM application_groups ag
      WHERE ag.application_id = ? AND ag.group_id = g.id) AS bound
    FROM groups g JOIN memberships m ON m.group_id = g.id WHERE m.user_id = ? ORDER BY g.name`);
  return {
    async create(group) {
      db.prepare('INSERT INTO groups (id, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
        .run(group.id, group.name, group.description, group.createdAt, group.updatedAt);
    },
    async update(id, changes, now) {
      const current = db.prepare('SELECT * FROM groups WHERE id = ?').get(id) as GroupRow | undefined;
      if (!current) return;
      db.prepare('UPDATE groups SET name = ?, description = ?, updated_at = ? WHERE id = ?')
        .run(changes.name ?? current.name, changes.description ?? current.description, now, id);
    },
    async delete(id) {
      return db.prepare('DELETE FROM groups WHERE id = ?').run(id).changes > 0;
    },
    async findById(id) {
      const row = db.prepare('SELECT * FROM groups WHERE id = ?').get(id) as GroupRow | undefined;
      return row && toGroup(row);
    },
    async list(page) {
      // better-sqlite3 binds named parameters (@q), not numbered ones (?1).
      const params: Record<string, unknown> = page.q ? { q: likePattern(page.q) } : {};
      const search = page.q ? `name LIKE @q ESCAPE '\\'` : '';
      const { where, orderBy } = keyset(page, ['name'], ['name'], params);
      const rows = db.prepare(`SELECT * FROM groups ${whereOf(search, where)} ORDER BY ${orderBy} LIMIT @limit OFFSET @offset`)
        .all({ ...params, limit: page.limit + 1, offset: page.offset ?? 0 }) as GroupRow[];
      const counted = (db.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM groups ${whereOf(search)} LIMIT ${COUNT_CAP + 1})`).get(params) as { n: number }).n;
      return { ...keysetPage(rows.map(toGroup), page, (g) => [g.name]), ...cappedTotal(counted) };
    },
    async addMember(groupId, userId) {
      return db.prepare('INSERT OR IGNORE INTO memberships (group_id, user_id) VALUES (?, ?)').run(groupId, userId).changes > 0;
    },
    async removeMember(groupId, userId) {
      return db.prepare('DELETE FROM memberships WHERE group_id = ? AND user_id = ?').run(groupId, userId).changes > 0;
    },
    async listMembers(groupId) {
      const rows = db.prepare(`SELECT ${USER_COLUMNS.replace(/(\w+)/g, 'u.$1')} FROM users u
        JOIN memberships m ON m.user_id = u.id WHERE m.group_id = ? ORDER BY u.username`).all(groupId) as UserRow[];
      return rows.map(toUser);
    },
    async pageMembers(groupId, page) {
      return lister.members(groupId, page);
    },
    async membersAmong(groupId, userIds) {
      if (userIds.length === 0) return [];
      const rows = db.prepare(`SELECT user_id AS id FROM memberships WHERE group_id = ? AND user_id IN (${userIds.map(() => '?').join(', ')})`)
        .all(groupId, ...userIds) as { id: string }[];
      return rows.map((r) => r.id);
    },
    async listGroupsOfUser(userId) {
      const rows = groupsOfUser.all(userId) as GroupRow[];
      return rows.map(toGroup);
    },
    async accessOf(userId, appId) {
      const rows = accessOf.all(appId, userId) as (GroupRow & { bound: number })[];
      return { authorized: rows.some((r) => r.bound === 1), groups: rows.map(({ bound: _, ...row }) => toGroup(row as GroupRow)) };
    },
  };
}
