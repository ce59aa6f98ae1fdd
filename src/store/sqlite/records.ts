import type Database from 'better-sqlite3';
import type {
  EventBucket, EventFilter, EventRecord, EventRepository, NewEvent, PendingSso, SessionRepository, SettingsRepository,
  SigningKey, SigningKeyRepository, SsoStateRepository,
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

interface EventRow {
  id: number; time: string; type: string; outcome: EventRecord['outcome']; reason: string | null;
  actor_type: EventRecord['actorType']; actor_id: string | null; actor_label: string | null;
  target_type: string | null; target_id: string | null; target_label: string | null;
  app_id: string | null; client_ip: string | null; detail_json: string;
}

const toEvent = (row: EventRow): EventRecord => ({
  id: row.id, time: row.time, type: row.type, outcome: row.outcome, reason: row.reason,
  actorType: row.actor_type, actorId: row.actor_id, actorLabel: row.actor_label,
  targetType: row.target_type, targetId: row.target_id, targetLabel: row.target_label,
  appId: row.app_id, clientIp: row.client_ip, detail: JSON.parse(row.detail_json) as Record<string, unknown>,
});

/**
 * Events are appended on every SSO attempt, and in WAL mode each autocommit costs a WAL write of
 * every page it touches. Appends that arrive in the same event-loop turn are committed together in
 * one transaction (group commit); each caller's promise resolves only once its row is committed,
 * so an acknowledged event is as durable as before, at a fraction of the cost under load.
 */
function whereOf(filter: Omit<EventFilter, 'limit'>): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => { clauses.push(sql); params.push(...values); };
  if (filter.type) add('type = ?', filter.type);
  if (filter.outcome) add('outcome = ?', filter.outcome);
  if (filter.actorId) add('actor_id = ?', filter.actorId);
  if (filter.targetId) add('target_id = ?', filter.targetId);
  if (filter.userId) add('(actor_id = ? OR target_id = ?)', filter.userId, filter.userId);
  if (filter.appId) add('app_id = ?', filter.appId);
  if (filter.since) add('time >= ?', filter.since);
  if (filter.until) add('time < ?', filter.until);
  if (filter.before !== undefined) add('id < ?', filter.before);
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export function createEventRepository(db: Database.Database): EventRepository & { flush(): void } {
  const insert = db.prepare(`INSERT INTO events (time, type, outcome, reason, actor_type, actor_id, actor_label,
    target_type, target_id, target_label, app_id, client_ip, detail_json)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertOne = (e: NewEvent) => Number(insert.run(e.time, e.type, e.outcome, e.reason, e.actorType, e.actorId,
    e.actorLabel, e.targetType, e.targetId, e.targetLabel, e.appId, e.clientIp, JSON.stringify(e.detail)).lastInsertRowid);
  const insertAll = db.transaction((rows: NewEvent[]) => rows.map(insertOne));
  let queue: { event: NewEvent; resolve: (id: number) => void; reject: (error: unknown) => void }[] = [];

  function flush(): void {
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    try {
      insertAll(batch.map((q) => q.event)).forEach((id, i) => batch[i].resolve(id));
    } catch {
      // One bad row must not take the others with it: retry one by one, each with its own outcome.
      for (const q of batch) {
        try {
          q.resolve(insertOne(q.event));
        } catch (error) {
          q.reject(error);
        }
      }
    }
  }

  return {
    flush,
    append(e) {
      // Inside a store transaction the event belongs to that unit of work: written at once.
      if (db.inTransaction) return Promise.resolve(insertOne(e));
      return new Promise<number>((resolve, reject) => {
        if (queue.push({ event: e, resolve, reject }) === 1) setImmediate(flush);
      });
    },
    async list(filter: EventFilter) {
      const { where, params } = whereOf(filter);
      flush();
      const rows = db.prepare(`SELECT * FROM events ${where} ORDER BY id DESC LIMIT ?`).all(...params, filter.limit) as EventRow[];
      return rows.map(toEvent);
    },
    async histogram(filter, bucketSeconds) {
      const { where, params } = whereOf(filter);
      flush();
      const rows = db.prepare(`SELECT (CAST(strftime('%s', time) AS INTEGER) / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS bucket,
        SUM(outcome = 'success') AS success, SUM(outcome = 'failure') AS failure
        FROM events ${where} GROUP BY bucket ORDER BY bucket`).all(bucketSeconds, bucketSeconds, ...params) as { bucket: number; success: number; failure: number }[];
      const counts = new Map(rows.map((r) => [r.bucket, r]));
      const out: EventBucket[] = [];
      const first = Math.floor(Date.parse(filter.since) / 1000 / bucketSeconds) * bucketSeconds;
      for (let t = first; t * 1000 < Date.parse(filter.until); t += bucketSeconds) {
        const c = counts.get(t);
        out.push({ start: new Date(t * 1000).toISOString(), success: c?.success ?? 0, failure: c?.failure ?? 0 });
      }
      return out;
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
