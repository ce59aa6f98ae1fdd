import type Database from 'better-sqlite3';
import type {
  PendingSso, SessionRepository, SettingsRepository, SigningKey, SigningKeyRepository, SsoStateRepository,
} from '../types';

interface KeyRow {
  id: string; label: string; encrypted_private_key: string; certificate_pem: string;
  fingerprint_sha256: string; not_before: string; not_after: string; status: SigningKey['status'];
  is_default: number; created_at: string;
}

const toKey = (row: KeyRow): SigningKey => ({
  id: row.id, label: row.label, encryptedPrivateKey: row.encrypted_private_key,
  certificatePem: row.certificate_pem, fingerprintSha256: row.fingerprint_sha256,
  notBefore: row.not_before, notAfter: row.not_after, status: row.status,
  isDefault: row.is_default === 1, createdAt: row.created_at,
});

export function createSigningKeyRepository(db: Database.Database): SigningKeyRepository {
  return {
    async create(key) {
      db.prepare(`INSERT INTO signing_keys (id, label, encrypted_private_key, certificate_pem, fingerprint_sha256,
        not_before, not_after, status, is_default, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(key.id, key.label, key.encryptedPrivateKey, key.certificatePem, key.fingerprintSha256,
          key.notBefore, key.notAfter, key.status, key.isDefault ? 1 : 0, key.createdAt);
    },
    async findById(id) {
      const row = db.prepare('SELECT * FROM signing_keys WHERE id = ?').get(id) as KeyRow | undefined;
      return row && toKey(row);
    },
    async findDefault() {
      const row = db.prepare('SELECT * FROM signing_keys WHERE is_default = 1').get() as KeyRow | undefined;
      return row && toKey(row);
    },
    async list() {
      return (db.prepare('SELECT * FROM signing_keys ORDER BY created_at').all() as KeyRow[]).map(toKey);
    },
  };
}

/**
 * Ended sessions stay as tombstones (`ended = 1`, data cleared) until their cookie would have
 * expired: a request of that session still running when it was ended (a sign-out, a password
 * change elsewhere) saves it at its end, and that write must not bring it back.
 */
export function createSessionRepository(db: Database.Database): SessionRepository {
  const get = db.prepare('SELECT data FROM sessions WHERE sid = ? AND expires_at > ? AND ended = 0');
  const set = db.prepare(`INSERT INTO sessions (sid, data, expires_at, user_id) VALUES (?, ?, ?, ?)
    ON CONFLICT(sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, user_id = excluded.user_id
    WHERE sessions.ended = 0`);
  const end = db.prepare("UPDATE sessions SET ended = 1, data = '{}' WHERE sid = ? AND ended = 0");
  const endForUser = db.prepare("UPDATE sessions SET ended = 1, data = '{}' WHERE user_id = ? AND sid IS NOT ? AND ended = 0");
  return {
    async get(sid, now) {
      return (get.get(sid, now) as { data: string } | undefined)?.data;
    },
    async set(sid, data, expiresAt, userId = null) {
      set.run(sid, data, expiresAt, userId);
    },
    async destroyForUser(userId, exceptSid) {
      return endForUser.run(userId, exceptSid ?? null).changes;
    },
    async touch(sid, expiresAt) {
      db.prepare('UPDATE sessions SET expires_at = ? WHERE sid = ? AND ended = 0').run(expiresAt, sid);
    },
    async destroy(sid) {
      end.run(sid);
    },
    async purgeExpired(now) {
      return db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now).changes;
    },
  };
}

interface PendingRow { id: string; application_id: string; payload_json: string; created_at: string; expires_at: string }

export function createSsoStateRepository(db: Database.Database): SsoStateRepository {
  const remember = db.prepare(`INSERT INTO seen_request_ids (sp_entity_id, request_id, expires_at) VALUES (?, ?, ?)
    ON CONFLICT(sp_entity_id, request_id) DO UPDATE SET expires_at = excluded.expires_at
    WHERE seen_request_ids.expires_at <= ?`);
  return {
    async rememberRequestId(spEntityId, requestId, expiresAt, now) {
      // A conflicting row that has not expired makes the upsert a no-op: changes = 0 means replay.
      return remember.run(spEntityId, requestId, expiresAt, now).changes > 0;
    },
    async putPending(p: PendingSso) {
      db.prepare('INSERT INTO pending_sso (id, application_id, payload_json, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
        .run(p.id, p.appId, JSON.stringify(p.payload), p.createdAt, p.expiresAt);
    },
    async findPending(id, now) {
      const row = db.prepare('SELECT * FROM pending_sso WHERE id = ? AND expires_at > ?').get(id, now) as PendingRow | undefined;
      return row && {
        id: row.id, appId: row.application_id, createdAt: row.created_at, expiresAt: row.expires_at,
        payload: JSON.parse(row.payload_json) as Record<string, unknown>,
      };
    },
    async deletePending(id) {
      return db.prepare('DELETE FROM pending_sso WHERE id = ?').run(id).changes > 0;
    },
    async purgeExpired(now) {
      const a = db.prepare('DELETE FROM seen_request_ids WHERE expires_at <= ?').run(now).changes;
      const b = db.prepare('DELETE FROM pending_sso WHERE expires_at <= ?').run(now).changes;
      return a + b;
    },
  };
}

export function createSettingsRepository(db: Database.Database): SettingsRepository {
  return {
    async get(key) {
      return (db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value;
    },
    async set(key, value) {
      db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
    },
    async claimTurn(key, now, notAfter) {
      return db.prepare(`INSERT INTO settings (key, value) VALUES (@key, @now)
        ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE settings.value < @notAfter`).run({ key, now, notAfter }).changes > 0;
    },
    async setIfAbsent(key, value) {
      db.prepare('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)').run(key, value);
      return (db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string }).value;
    },
  };
}
