import type Database from 'better-sqlite3';
import type {
  EventBucket, EventFilter, IdmRepository, ImportRepository, UserImport, MfaRepository, ProvisioningJob, ProvisioningRepository, NewEvent, ThrottleRepository, ThrottleState, EventRecord, EventRepository, PendingSso, SessionRepository, SettingsRepository,
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

export function createSessionRepository(db: Database.Database): SessionRepository {
  const get = db.prepare('SELECT data FROM sessions WHERE sid = ? AND expires_at > ?');
  const set = db.prepare(`INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?)
    ON CONFLICT(sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`);
  return {
    async get(sid, now) {
      return (get.get(sid, now) as { data: string } | undefined)?.data;
    },
    async set(sid, data, expiresAt) {
      set.run(sid, data, expiresAt);
    },
    async touch(sid, expiresAt) {
      db.prepare('UPDATE sessions SET expires_at = ? WHERE sid = ?').run(expiresAt, sid);
    },
    async destroy(sid) {
      db.prepare('DELETE FROM sessions WHERE sid = ?').run(sid);
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
    async setIfAbsent(key, value) {
      db.prepare('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)').run(key, value);
      return (db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string }).value;
    },
  };
}

export function createThrottleRepository(db: Database.Database): ThrottleRepository {
  const find = db.prepare('SELECT key, failures, window_start AS windowStart, blocked_until AS blockedUntil FROM login_throttle WHERE key = ?');
  const put = db.prepare(`INSERT INTO login_throttle (key, failures, window_start, blocked_until) VALUES (@key, @failures, @windowStart, @blockedUntil)
    ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, blocked_until = excluded.blocked_until`);
  return {
    async find(key) {
      return find.get(key) as ThrottleState | undefined;
    },
    async put(state) {
      put.run(state);
    },
    async delete(key) {
      db.prepare('DELETE FROM login_throttle WHERE key = ?').run(key);
    },
    async purgeBefore(time) {
      return db.prepare('DELETE FROM login_throttle WHERE window_start < ? AND (blocked_until IS NULL OR blocked_until < ?)').run(time, time).changes;
    },
  };
}

export function createMfaRepository(db: Database.Database): MfaRepository {
  interface Row { user_id: string; sealed_secret: string; confirmed: number; recovery_json: string; last_used_step: number | null; created_at: string }
  return {
    async find(userId) {
      const row = db.prepare('SELECT * FROM user_mfa WHERE user_id = ?').get(userId) as Row | undefined;
      return row && {
        userId: row.user_id, sealedSecret: row.sealed_secret, confirmed: row.confirmed === 1,
        recoveryCodeHashes: JSON.parse(row.recovery_json) as string[], lastUsedStep: row.last_used_step, createdAt: row.created_at,
      };
    },
    async put(e) {
      db.prepare(`INSERT INTO user_mfa (user_id, sealed_secret, confirmed, recovery_json, last_used_step, created_at)
        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret,
        confirmed = excluded.confirmed, recovery_json = excluded.recovery_json, last_used_step = excluded.last_used_step`)
        .run(e.userId, e.sealedSecret, e.confirmed ? 1 : 0, JSON.stringify(e.recoveryCodeHashes), e.lastUsedStep, e.createdAt);
    },
    async delete(userId) {
      return db.prepare('DELETE FROM user_mfa WHERE user_id = ?').run(userId).changes > 0;
    },
  };
}

export function createIdmRepository(db: Database.Database): IdmRepository {
  interface Row {
    application_id: string; base_url: string; sealed_token: string; token_hint: string; active: number;
    groups_enabled: number; excluded_mappings_json: string; activated_at: string | null; updated_at: string; role_json: string | null;
  }
  return {
    async find(appId) {
      const row = db.prepare('SELECT * FROM application_idm WHERE application_id = ?').get(appId) as Row | undefined;
      return row && {
        appId: row.application_id, baseUrl: row.base_url, sealedToken: row.sealed_token, tokenHint: row.token_hint,
        active: row.active === 1, groupsEnabled: row.groups_enabled === 1,
        excludedMappings: JSON.parse(row.excluded_mappings_json) as string[], activatedAt: row.activated_at, updatedAt: row.updated_at,
        role: row.role_json ? JSON.parse(row.role_json) as { attribute: string; value: string } : null,
      };
    },
    async put(c) {
      db.prepare(`INSERT INTO application_idm (application_id, base_url, sealed_token, token_hint, active, groups_enabled,
        excluded_mappings_json, activated_at, updated_at, role_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(application_id) DO UPDATE SET base_url = excluded.base_url, sealed_token = excluded.sealed_token,
        token_hint = excluded.token_hint, active = excluded.active, groups_enabled = excluded.groups_enabled,
        excluded_mappings_json = excluded.excluded_mappings_json, activated_at = excluded.activated_at, updated_at = excluded.updated_at,
        role_json = excluded.role_json`)
        .run(c.appId, c.baseUrl, c.sealedToken, c.tokenHint, c.active ? 1 : 0, c.groupsEnabled ? 1 : 0,
          JSON.stringify(c.excludedMappings), c.activatedAt, c.updatedAt, c.role ? JSON.stringify(c.role) : null);
    },
    async delete(appId) {
      return db.prepare('DELETE FROM application_idm WHERE application_id = ?').run(appId).changes > 0;
    },
  };
}

export function createProvisioningRepository(db: Database.Database): ProvisioningRepository {
  interface Row { id: number; application_id: string; user_id: string; status: ProvisioningJob['status']; attempts: number; next_attempt_at: string; last_error: string | null; created_at: string }
  const toJob = (r: Row): ProvisioningJob => ({
    id: r.id, appId: r.application_id, userId: r.user_id, status: r.status, attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at, lastError: r.last_error, createdAt: r.created_at,
  });
  return {
    async enqueue(appId, userId, now) {
      db.prepare(`INSERT INTO provisioning_jobs (application_id, user_id, status, next_attempt_at, created_at, updated_at)
        VALUES (?, ?, 'pending', ?, ?, ?)`).run(appId, userId, now, now, now);
    },
    async due(now, limit) {
      // The newest pending job per user stands for the older ones (they reconcile the same state);
      // it is due when the oldest one is, so a retry wait is never skipped by a newer job.
      const rows = db.prepare(`SELECT j.* FROM provisioning_jobs j
        JOIN (SELECT application_id, user_id, MAX(id) AS id, MAX(next_attempt_at) AS next_at FROM provisioning_jobs
              WHERE status = 'pending' GROUP BY application_id, user_id) latest ON latest.id = j.id
        WHERE latest.next_at <= ? ORDER BY j.id LIMIT ?`).all(now, limit) as Row[];
      return rows.map(toJob);
    },
    async complete(job, status, error, now) {
      db.prepare(`UPDATE provisioning_jobs SET status = ?, last_error = ?, attempts = attempts + 1, updated_at = ?
        WHERE application_id = ? AND user_id = ? AND status = 'pending' AND id <= ?`).run(status, error, now, job.appId, job.userId, job.id);
    },
    async retryLater(job, at, error, now) {
      db.prepare(`UPDATE provisioning_jobs SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, updated_at = ?
        WHERE application_id = ? AND user_id = ? AND status = 'pending' AND id <= ?`).run(at, error, now, job.appId, job.userId, job.id);
    },
    async list(appId, limit) {
      return (db.prepare('SELECT * FROM provisioning_jobs WHERE application_id = ? ORDER BY id DESC LIMIT ?').all(appId, limit) as Row[]).map(toJob);
    },
    async findLink(appId, userId) {
      const r = db.prepare('SELECT remote_id, active FROM provisioned_users WHERE application_id = ? AND user_id = ?').get(appId, userId) as { remote_id: string; active: number } | undefined;
      return r && { appId, userId, remoteId: r.remote_id, active: r.active === 1 };
    },
    async putLink(link, now) {
      db.prepare(`INSERT INTO provisioned_users (application_id, user_id, remote_id, active, updated_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(application_id, user_id) DO UPDATE SET remote_id = excluded.remote_id, active = excluded.active, updated_at = excluded.updated_at`)
        .run(link.appId, link.userId, link.remoteId, link.active ? 1 : 0, now);
    },
    async deleteLink(appId, userId) {
      db.prepare('DELETE FROM provisioned_users WHERE application_id = ? AND user_id = ?').run(appId, userId);
    },
    async findGroupLink(appId, groupId) {
      const r = db.prepare('SELECT remote_id FROM provisioned_groups WHERE application_id = ? AND group_id = ?').get(appId, groupId) as { remote_id: string } | undefined;
      return r && { remoteId: r.remote_id };
    },
    async putGroupLink(appId, groupId, remoteId, now) {
      db.prepare(`INSERT INTO provisioned_groups (application_id, group_id, remote_id, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT(application_id, group_id) DO UPDATE SET remote_id = excluded.remote_id, updated_at = excluded.updated_at`).run(appId, groupId, remoteId, now);
    },
    async deleteGroupLink(appId, groupId) {
      db.prepare('DELETE FROM provisioned_groups WHERE application_id = ? AND group_id = ?').run(appId, groupId);
    },
    async linkedUserIds(appId) {
      return (db.prepare('SELECT user_id FROM provisioned_users WHERE application_id = ?').all(appId) as { user_id: string }[]).map((r) => r.user_id);
    },
  };
}

export function createImportRepository(db: Database.Database): ImportRepository {
  interface Row { id: string; application_id: string; total: number; done: number; failed: number; status: UserImport['status']; created_at: string }
  return {
    async create(e) {
      db.prepare(`INSERT INTO user_imports (id, application_id, total, done, failed, status, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(e.id, e.appId, e.total, e.done, e.failed, e.status, e.createdAt, e.createdAt);
    },
    async progress(id, done, failed, status, now) {
      db.prepare('UPDATE user_imports SET done = ?, failed = ?, status = ?, updated_at = ? WHERE id = ?').run(done, failed, status, now, id);
    },
    async find(id) {
      const r = db.prepare('SELECT * FROM user_imports WHERE id = ?').get(id) as Row | undefined;
      return r && { id: r.id, appId: r.application_id, total: r.total, done: r.done, failed: r.failed, status: r.status, createdAt: r.created_at };
    },
  };
}
