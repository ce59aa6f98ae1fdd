import type Database from 'better-sqlite3';
import type {
  IdmRepository, ImportRepository, MfaRepository, ProvisioningJob, ProvisioningRepository, ThrottleRepository, ThrottleState, UserImport,
} from '../types';

/** The repositories of sign-in protection (throttle, MFA) and Identity Management (SCIM). */

export function createThrottleRepository(db: Database.Database): ThrottleRepository {
  const find = db.prepare('SELECT key, failures, window_start AS windowStart, blocked_until AS blockedUntil FROM login_throttle WHERE key = ?');
  const put = db.prepare(`INSERT INTO login_throttle (key, failures, window_start, blocked_until) VALUES (@key, @failures, @windowStart, @blockedUntil)
    ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, blocked_until = excluded.blocked_until`);
  const recordFailure = db.prepare(`INSERT INTO login_throttle (key, failures, window_start, blocked_until) VALUES (@key, 1, @now, NULL)
    ON CONFLICT(key) DO UPDATE SET
      failures = CASE WHEN login_throttle.window_start < @freshAfter THEN 1 ELSE login_throttle.failures + 1 END,
      window_start = CASE WHEN login_throttle.window_start < @freshAfter THEN @now ELSE login_throttle.window_start END,
      blocked_until = CASE WHEN login_throttle.window_start < @freshAfter THEN NULL ELSE login_throttle.blocked_until END
    RETURNING failures, window_start AS windowStart`);
  const blockUntil = db.prepare('UPDATE login_throttle SET blocked_until = @until WHERE key = @key AND (blocked_until IS NULL OR blocked_until < @until)');
  return {
    async find(key) {
      return find.get(key) as ThrottleState | undefined;
    },
    async recordFailure(key, now, freshAfter) {
      return recordFailure.get({ key, now, freshAfter }) as { failures: number; windowStart: string };
    },
    async blockUntil(key, until) {
      blockUntil.run({ key, until });
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
    async useStep(userId, step) {
      return db.prepare('UPDATE user_mfa SET last_used_step = ? WHERE user_id = ? AND (last_used_step IS NULL OR last_used_step < ?)')
        .run(step, userId, step).changes > 0;
    },
    async useRecoveryCode(userId, hash, step) {
      return db.prepare(`UPDATE user_mfa SET last_used_step = MAX(COALESCE(last_used_step, 0), @step),
        recovery_json = (SELECT json_group_array(value) FROM json_each(user_mfa.recovery_json) WHERE value <> @hash)
        WHERE user_id = @userId AND EXISTS (SELECT 1 FROM json_each(user_mfa.recovery_json) WHERE value = @hash)`)
        .run({ userId, hash, step }).changes > 0;
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
    async activeAppIds() {
      return (db.prepare('SELECT application_id FROM application_idm WHERE active = 1').all() as { application_id: string }[]).map((r) => r.application_id);
    },
  };
}

export function createProvisioningRepository(db: Database.Database): ProvisioningRepository {
  interface Row { id: number; application_id: string; user_id: string; status: ProvisioningJob['status']; attempts: number; next_attempt_at: string; last_error: string | null; created_at: string }
  const toJob = (r: Row): ProvisioningJob => ({
    id: r.id, appId: r.application_id, userId: r.user_id, status: r.status, attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at, lastError: r.last_error, createdAt: r.created_at,
  });
  // The newest pending job per user stands for the older ones (they reconcile the same state);
  // it is due when the oldest one is, so a retry wait is never skipped by a newer job.
  const DUE = `SELECT j.* FROM provisioning_jobs j
    JOIN (SELECT application_id, user_id, MAX(id) AS id, MAX(next_attempt_at) AS next_at FROM provisioning_jobs
          WHERE status = 'pending' GROUP BY application_id, user_id) latest ON latest.id = j.id
    WHERE latest.next_at <= ?`;
  const dueRows = db.prepare(`${DUE} ORDER BY j.id LIMIT ?`);
  const claimable = db.prepare(`${DUE} AND NOT EXISTS (SELECT 1 FROM provisioning_leases l
    WHERE l.application_id = j.application_id AND l.user_id = j.user_id AND l.leased_until > ?) ORDER BY j.id LIMIT ?`);
  const lease = db.prepare(`INSERT INTO provisioning_leases (application_id, user_id, job_id, owner, leased_until) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT(application_id, user_id) DO UPDATE SET job_id = excluded.job_id, owner = excluded.owner, leased_until = excluded.leased_until`);
  /** Without an owner there is nothing to check; with one, its lease on the job is released or the call does nothing. */
  const release = (job: ProvisioningJob, owner: string | undefined) => owner === undefined
    || db.prepare('DELETE FROM provisioning_leases WHERE application_id = ? AND user_id = ? AND job_id = ? AND owner = ?')
      .run(job.appId, job.userId, job.id, owner).changes > 0;
  return {
    async enqueue(appId, userId, now) {
      db.prepare(`INSERT INTO provisioning_jobs (application_id, user_id, status, next_attempt_at, created_at, updated_at)
        VALUES (?, ?, 'pending', ?, ?, ?)`).run(appId, userId, now, now, now);
    },
    async due(now, limit) {
      return (dueRows.all(now, limit) as Row[]).map(toJob);
    },
    // One writer at a time (BEGIN IMMEDIATE in a transaction): pick and lease in one go, so no
    // second claimer can come between; a user with a live lease is skipped, an expired one is taken over.
    async claim(now, limit, leaseSeconds, owner) {
      const until = new Date(Date.parse(now) + leaseSeconds * 1000).toISOString();
      return db.transaction(() => {
        const rows = claimable.all(now, now, limit) as Row[];
        for (const r of rows) lease.run(r.application_id, r.user_id, r.id, owner, until);
        return rows.map(toJob);
      }).immediate();
    },
    async renew(job, owner, until) {
      return db.prepare('UPDATE provisioning_leases SET leased_until = ? WHERE application_id = ? AND user_id = ? AND job_id = ? AND owner = ?')
        .run(until, job.appId, job.userId, job.id, owner).changes > 0;
    },
    async complete(job, status, error, now, owner) {
      db.transaction(() => {
        if (!release(job, owner)) return;
        db.prepare(`UPDATE provisioning_jobs SET status = ?, last_error = ?, attempts = attempts + 1, updated_at = ?
          WHERE application_id = ? AND user_id = ? AND status = 'pending' AND id <= ?`).run(status, error, now, job.appId, job.userId, job.id);
      })();
    },
    async retryLater(job, at, error, now, owner) {
      db.transaction(() => {
        if (!release(job, owner)) return;
        db.prepare(`UPDATE provisioning_jobs SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, updated_at = ?
          WHERE application_id = ? AND user_id = ? AND status = 'pending' AND id <= ?`).run(at, error, now, job.appId, job.userId, job.id);
      })();
    },
    async list(appId, limit) {
      return (db.prepare('SELECT * FROM provisioning_jobs WHERE application_id = ? ORDER BY id DESC LIMIT ?').all(appId, limit) as Row[]).map(toJob);
    },
    async findLink(appId, userId) {
      const r = db.prepare('SELECT remote_id, active, sent_json FROM provisioned_users WHERE application_id = ? AND user_id = ?')
        .get(appId, userId) as { remote_id: string; active: number; sent_json: string | null } | undefined;
      return r && { appId, userId, remoteId: r.remote_id, active: r.active === 1, sent: r.sent_json ? JSON.parse(r.sent_json) : null };
    },
    async putLink(link, now) {
      db.prepare(`INSERT INTO provisioned_users (application_id, user_id, remote_id, active, updated_at, sent_json) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT(application_id, user_id) DO UPDATE SET remote_id = excluded.remote_id, active = excluded.active,
          updated_at = excluded.updated_at, sent_json = excluded.sent_json`)
        .run(link.appId, link.userId, link.remoteId, link.active ? 1 : 0, now, link.sent ? JSON.stringify(link.sent) : null);
    },
    async deleteLink(appId, userId) {
      db.prepare('DELETE FROM provisioned_users WHERE application_id = ? AND user_id = ?').run(appId, userId);
    },
    async findGroupLink(appId, groupId) {
      const r = db.prepare('SELECT remote_id, sent_json FROM provisioned_groups WHERE application_id = ? AND group_id = ?')
        .get(appId, groupId) as { remote_id: string; sent_json: string | null } | undefined;
      return r && { remoteId: r.remote_id, sent: r.sent_json ? JSON.parse(r.sent_json) : null };
    },
    async putGroupLink(appId, groupId, remoteId, now, sent) {
      db.prepare(`INSERT INTO provisioned_groups (application_id, group_id, remote_id, updated_at, sent_json) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(application_id, group_id) DO UPDATE SET remote_id = excluded.remote_id, updated_at = excluded.updated_at,
          sent_json = excluded.sent_json`).run(appId, groupId, remoteId, now, sent ? JSON.stringify(sent) : null);
    },
    async deleteGroupLink(appId, groupId) {
      db.prepare('DELETE FROM provisioned_groups WHERE application_id = ? AND group_id = ?').run(appId, groupId);
    },
    async linkedUserIds(appId) {
      return (db.prepare('SELECT user_id FROM provisioned_users WHERE application_id = ?').all(appId) as { user_id: string }[]).map((r) => r.user_id);
    },
    async linkedRemoteIds(appId) {
      return (db.prepare('SELECT remote_id FROM provisioned_users WHERE application_id = ?').all(appId) as { remote_id: string }[]).map((r) => r.remote_id);
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
    async start(e, groupId, users, owner, until) {
      db.transaction(() => {
        db.prepare(`INSERT INTO user_imports (id, application_id, total, done, failed, status, created_at, updated_at, group_id, owner, leased_until)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(e.id, e.appId, e.total, e.done, e.failed, e.status, e.createdAt, e.createdAt, groupId, owner, until);
        const item = db.prepare('INSERT INTO user_import_items (import_id, position, remote_json) VALUES (?, ?, ?)');
        users.forEach((u, i) => item.run(e.id, i, JSON.stringify(u)));
      })();
    },
    async claimStale(now, owner, until) {
      return (db.prepare(`UPDATE user_imports SET owner = ?, leased_until = ?
        WHERE status = 'running' AND (leased_until IS NULL OR leased_until <= ?) RETURNING id`).all(owner, until, now) as { id: string }[]).map((r) => r.id);
    },
    async renew(id, owner, until) {
      return db.prepare('UPDATE user_imports SET leased_until = ? WHERE id = ? AND owner = ?').run(until, id, owner).changes > 0;
    },
    async remaining(id) {
      const entry = db.prepare('SELECT group_id, done, failed FROM user_imports WHERE id = ?').get(id) as { group_id: string | null; done: number; failed: number };
      const rows = db.prepare('SELECT position, remote_json, outcome FROM user_import_items WHERE import_id = ? ORDER BY position').all(id) as
        { position: number; remote_json: string; outcome: string | null }[];
      // Imports from before items were recorded keep the counts they had.
      if (rows.length === 0) return { groupId: entry.group_id, done: entry.done, failed: entry.failed, items: [] };
      return {
        groupId: entry.group_id, done: rows.filter((r) => r.outcome === 'done').length, failed: rows.filter((r) => r.outcome === 'failed').length,
        items: rows.filter((r) => r.outcome === null).map((r) => ({ position: r.position, user: JSON.parse(r.remote_json) as Record<string, unknown> })),
      };
    },
    async recordItem(id, position, outcome) {
      db.prepare('UPDATE user_import_items SET outcome = ? WHERE import_id = ? AND position = ?').run(outcome, id, position);
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
