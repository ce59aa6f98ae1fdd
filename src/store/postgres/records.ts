import type { PendingSso, SessionRepository, SettingsRepository, SsoStateRepository, Store } from '../types';
import type { PgDatabase } from './db';
import { createPgEventRepository } from './records-events';

/**
 * Constraint name (schema-records.ts) → the field the SQLite driver names in its message
 * (`UNIQUE constraint failed: sessions.sid`; for a composite key, its first column).
 * SQLite's foreign-key failures name no column (its driver reports `unknown`); here the
 * constraint is known, so pending_sso's says which column it is. Either way the kind is
 * `reference`, which is all the HTTP layer reads.
 */
export const RECORD_FIELDS: Readonly<Record<string, string>> = {
  events_pkey: 'events.id',
  sessions_pkey: 'sessions.sid',
  seen_request_ids_pkey: 'seen_request_ids.sp_entity_id',
  pending_sso_pkey: 'pending_sso.id',
  pending_sso_application_id_fkey: 'pending_sso.application_id',
  settings_pkey: 'settings.key',
};

/**
 * Ended sessions stay as tombstones (`ended`, data cleared) until their cookie would have
 * expired: a request of that session still running when it was ended saves it at its end, and
 * that write must not bring it back. On PostgreSQL the write can come from another instance at
 * the same moment as the end, so every check is inside the one statement that writes: the
 * upsert's `WHERE sessions.ended = false` is evaluated on the row it has locked (the latest
 * committed version), so a set that races a destroy either lands before it (and is ended) or
 * after it (and is ignored).
 */
export function createPgSessionRepository(db: PgDatabase): SessionRepository {
  return {
    async get(sid, now) {
      return (await db.one<{ data: string }>('SELECT data FROM sessions WHERE sid = $1 AND expires_at > $2 AND NOT ended', [sid, now]))?.data;
    },
    async set(sid, data, expiresAt, userId = null) {
      await db.query(`INSERT INTO sessions (sid, data, expires_at, user_id) VALUES ($1, $2, $3, $4)
        ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, user_id = excluded.user_id
        WHERE sessions.ended = false`, [sid, data, expiresAt, userId]);
    },
    async touch(sid, expiresAt) {
      await db.query('UPDATE sessions SET expires_at = $1 WHERE sid = $2 AND NOT ended', [expiresAt, sid]);
    },
    async destroy(sid) {
      await db.query("UPDATE sessions SET ended = true, data = '{}' WHERE sid = $1 AND NOT ended", [sid]);
    },
    async destroyForUser(userId, exceptSid) {
      // SQLite's `sid IS NOT ?`: with no exception (NULL) every session of the user ends.
      const result = await db.query(`UPDATE sessions SET ended = true, data = '{}'
        WHERE user_id = $1 AND sid IS DISTINCT FROM $2::text AND NOT ended`, [userId, exceptSid ?? null]);
      return result.rowCount ?? 0;
    },
    async purgeExpired(now) {
      return (await db.query('DELETE FROM sessions WHERE expires_at <= $1', [now])).rowCount ?? 0;
    },
  };
}

interface PendingRow { id: string; application_id: string; payload_json: string; created_at: string; expires_at: string; [column: string]: unknown }

export function createPgSsoStateRepository(db: PgDatabase): SsoStateRepository {
  return {
    async rememberRequestId(spEntityId, requestId, expiresAt, now) {
      // One statement, so instances that see the same ID at once cannot both take it: the
      // losers of the insert wait for the winner's row and find it unexpired, and the update
      // (which lets an expired ID be used again, as in SQLite) does nothing: rowCount 0 = replay.
      const result = await db.query(`INSERT INTO seen_request_ids (sp_entity_id, request_id, expires_at) VALUES ($1, $2, $3)
        ON CONFLICT (sp_entity_id, request_id) DO UPDATE SET expires_at = excluded.expires_at
        WHERE seen_request_ids.expires_at <= $4`, [spEntityId, requestId, expiresAt, now]);
      return (result.rowCount ?? 0) > 0;
    },
    async putPending(p: PendingSso) {
      await db.query('INSERT INTO pending_sso (id, application_id, payload_json, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
        [p.id, p.appId, JSON.stringify(p.payload), p.createdAt, p.expiresAt]);
    },
    async findPending(id, now) {
      const row = await db.one<PendingRow>('SELECT * FROM pending_sso WHERE id = $1 AND expires_at > $2', [id, now]);
      return row && {
        id: row.id, appId: row.application_id, createdAt: row.created_at, expiresAt: row.expires_at,
        payload: JSON.parse(row.payload_json) as Record<string, unknown>,
      };
    },
    async deletePending(id) {
      // true for the one caller whose DELETE removed the row, when two instances finish it at once.
      return ((await db.query('DELETE FROM pending_sso WHERE id = $1', [id])).rowCount ?? 0) > 0;
    },
    async purgeExpired(now) {
      const a = (await db.query('DELETE FROM seen_request_ids WHERE expires_at <= $1', [now])).rowCount ?? 0;
      const b = (await db.query('DELETE FROM pending_sso WHERE expires_at <= $1', [now])).rowCount ?? 0;
      return a + b;
    },
  };
}

export function createPgSettingsRepository(db: PgDatabase): SettingsRepository {
  return {
    async get(key) {
      return (await db.one<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]))?.value;
    },
    async set(key, value) {
      await db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    },
    async claimTurn(key, now, notAfter) {
      // A concurrent caller's upsert waits for the winner's row, re-checks the WHERE against it
      // (READ COMMITTED) and updates nothing.
      const result = await db.query(`INSERT INTO settings (key, value) VALUES ($1, $2)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE settings.value COLLATE "C" < $3`, [key, now, notAfter]);
      return (result.rowCount ?? 0) > 0;
    },
    async setIfAbsent(key, value) {
      // First writer wins across instances, in one statement: a losing insert waits for the
      // winner's row, and the no-op update locks it and RETURNING gives its value (DO NOTHING
      // returns no row, and a second SELECT is another statement, another snapshot). Called at
      // start-up only, so the extra row version costs nothing.
      const row = await db.one<{ value: string }>(`INSERT INTO settings (key, value) VALUES ($1, $2)
        ON CONFLICT (key) DO UPDATE SET value = settings.value RETURNING value`, [key, value]);
      return row!.value;
    },
  };
}

export function createPgRecordRepositories(db: PgDatabase): Pick<Store, 'events' | 'sessions' | 'ssoState' | 'settings'> {
  return {
    events: createPgEventRepository(db),
    sessions: createPgSessionRepository(db),
    ssoState: createPgSsoStateRepository(db),
    settings: createPgSettingsRepository(db),
  };
}
