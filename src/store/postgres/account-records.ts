import type {
  IdmConnection, IdmRepository, MfaEnrolment, MfaRepository, Store, ThrottleRepository,
} from '../types';
import type { PgDatabase } from './db';
import { createPgImportRepository } from './import-records';
import { createPgProvisioningRepository } from './provisioning-records';

/**
 * Constraint name (schema-accounts.ts) → the field the SQLite driver reports for the same
 * violation: `table.column` for a unique key (for a composite key SQLite names its first
 * column), the column for a CHECK. SQLite cannot name a foreign key ("FOREIGN KEY constraint
 * failed" → 'unknown'); here the referencing column is named instead, which is what the field
 * is for (the HTTP layer reads only the kind of a reference error).
 */
export const ACCOUNT_FIELDS: Readonly<Record<string, string>> = {
  login_throttle_pkey: 'login_throttle.key',
  login_throttle_failures_check: 'failures',
  user_mfa_pkey: 'user_mfa.user_id',
  user_mfa_user_id_fkey: 'user_mfa.user_id',
  application_idm_pkey: 'application_idm.application_id',
  application_idm_application_id_fkey: 'application_idm.application_id',
  provisioning_jobs_pkey: 'provisioning_jobs.id',
  provisioning_jobs_application_id_fkey: 'provisioning_jobs.application_id',
  provisioning_jobs_status_check: 'status',
  provisioned_users_pkey: 'provisioned_users.application_id',
  provisioned_users_application_id_fkey: 'provisioned_users.application_id',
  provisioned_groups_pkey: 'provisioned_groups.application_id',
  provisioned_groups_application_id_fkey: 'provisioned_groups.application_id',
  user_imports_pkey: 'user_imports.id',
  user_imports_application_id_fkey: 'user_imports.application_id',
  user_imports_status_check: 'status',
};

/**
 * Every method here is one statement, so it is atomic on its own: the upserts (`put`) are
 * INSERT … ON CONFLICT DO UPDATE, which two instances may run at once for the same key without a
 * unique violation (the second waits for the first's row and updates it; last writer wins, as
 * in SQLite). What the services read, decide and write back (a throttle count, the last TOTP
 * step) is theirs to guard; the interface carries whole records, not increments.
 */
export function createPgThrottleRepository(db: PgDatabase): ThrottleRepository {
  interface Row { [k: string]: unknown; key: string; failures: number; window_start: string; blocked_until: string | null }
  return {
    async find(key) {
      const r = await db.one<Row>('SELECT key, failures, window_start, blocked_until FROM login_throttle WHERE key = $1', [key]);
      return r && { key: r.key, failures: r.failures, windowStart: r.window_start, blockedUntil: r.blocked_until };
    },
    async recordFailure(key, now, freshAfter) {
      const r = await db.one<{ failures: number; window_start: string }>(`INSERT INTO login_throttle (key, failures, window_start, blocked_until)
        VALUES ($1, 1, $2, NULL)
        ON CONFLICT (key) DO UPDATE SET
          failures = CASE WHEN login_throttle.window_start < $3 THEN 1 ELSE login_throttle.failures + 1 END,
          window_start = CASE WHEN login_throttle.window_start < $3 THEN $2 ELSE login_throttle.window_start END,
          blocked_until = CASE WHEN login_throttle.window_start < $3 THEN NULL ELSE login_throttle.blocked_until END
        RETURNING failures, window_start`, [key, now, freshAfter]);
      return { failures: r!.failures, windowStart: r!.window_start };
    },
    async blockUntil(key, until) {
      await db.query('UPDATE login_throttle SET blocked_until = $2 WHERE key = $1 AND (blocked_until IS NULL OR blocked_until < $2)', [key, until]);
    },
    async put(s) {
      await db.query(`INSERT INTO login_throttle (key, failures, window_start, blocked_until) VALUES ($1, $2, $3, $4)
        ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, blocked_until = excluded.blocked_until`,
      [s.key, s.failures, s.windowStart, s.blockedUntil]);
    },
    async delete(key) {
      await db.query('DELETE FROM login_throttle WHERE key = $1', [key]);
    },
    async purgeBefore(time) {
      const result = await db.query('DELETE FROM login_throttle WHERE window_start < $1 AND (blocked_until IS NULL OR blocked_until < $1)', [time]);
      return result.rowCount ?? 0;
    },
  };
}

export function createPgMfaRepository(db: PgDatabase): MfaRepository {
  interface Row { [k: string]: unknown; user_id: string; sealed_secret: string; confirmed: boolean; recovery_json: string; last_used_step: string | null; created_at: string }
  return {
    async find(userId) {
      const r = await db.one<Row>('SELECT * FROM user_mfa WHERE user_id = $1', [userId]);
      return r && {
        userId: r.user_id, sealedSecret: r.sealed_secret, confirmed: r.confirmed,
        recoveryCodeHashes: JSON.parse(r.recovery_json) as string[],
        lastUsedStep: r.last_used_step === null ? null : Number(r.last_used_step), createdAt: r.created_at,
      } satisfies MfaEnrolment;
    },
    async useStep(userId, step) {
      const result = await db.query('UPDATE user_mfa SET last_used_step = $2 WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2)', [userId, step]);
      return (result.rowCount ?? 0) > 0;
    },
    async useRecoveryCode(userId, hash, step) {
      // One statement: under concurrent use the second UPDATE re-checks the row after the first
      // commits (READ COMMITTED), finds the hash gone and changes nothing.
      const result = await db.query(`UPDATE user_mfa SET last_used_step = GREATEST(COALESCE(last_used_step, 0), $3),
        recovery_json = (SELECT COALESCE(jsonb_agg(v), '[]'::jsonb)::text FROM jsonb_array_elements_text(recovery_json::jsonb) AS v WHERE v <> $2)
        WHERE user_id = $1 AND recovery_json::jsonb ? $2`, [userId, hash, step]);
      return (result.rowCount ?? 0) > 0;
    },
    async put(e) {
      // created_at is the enrolment's start: a later put (confirm, a used step) keeps it.
      await db.query(`INSERT INTO user_mfa (user_id, sealed_secret, confirmed, recovery_json, last_used_step, created_at)
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret,
        confirmed = excluded.confirmed, recovery_json = excluded.recovery_json, last_used_step = excluded.last_used_step`,
      [e.userId, e.sealedSecret, e.confirmed, JSON.stringify(e.recoveryCodeHashes), e.lastUsedStep, e.createdAt]);
    },
    async delete(userId) {
      return ((await db.query('DELETE FROM user_mfa WHERE user_id = $1', [userId])).rowCount ?? 0) > 0;
    },
  };
}

export function createPgIdmRepository(db: PgDatabase): IdmRepository {
  interface Row {
    [k: string]: unknown; application_id: string; base_url: string; sealed_token: string; token_hint: string; active: boolean;
    groups_enabled: boolean; excluded_mappings_json: string; activated_at: string | null; updated_at: string; role_json: string | null;
  }
  return {
    async find(appId) {
      const r = await db.one<Row>('SELECT * FROM application_idm WHERE application_id = $1', [appId]);
      return r && {
        appId: r.application_id, baseUrl: r.base_url, sealedToken: r.sealed_token, tokenHint: r.token_hint,
        active: r.active, groupsEnabled: r.groups_enabled,
        excludedMappings: JSON.parse(r.excluded_mappings_json) as string[], activatedAt: r.activated_at, updatedAt: r.updated_at,
        role: r.role_json ? JSON.parse(r.role_json) as { attribute: string; value: string } : null,
      } satisfies IdmConnection;
    },
    async put(c) {
      await db.query(`INSERT INTO application_idm (application_id, base_url, sealed_token, token_hint, active, groups_enabled,
        excluded_mappings_json, activated_at, updated_at, role_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (application_id) DO UPDATE SET base_url = excluded.base_url, sealed_token = excluded.sealed_token,
        token_hint = excluded.token_hint, active = excluded.active, groups_enabled = excluded.groups_enabled,
        excluded_mappings_json = excluded.excluded_mappings_json, activated_at = excluded.activated_at,
        updated_at = excluded.updated_at, role_json = excluded.role_json`,
      [c.appId, c.baseUrl, c.sealedToken, c.tokenHint, c.active, c.groupsEnabled,
        JSON.stringify(c.excludedMappings), c.activatedAt, c.updatedAt, c.role ? JSON.stringify(c.role) : null]);
    },
    async delete(appId) {
      return ((await db.query('DELETE FROM application_idm WHERE application_id = $1', [appId])).rowCount ?? 0) > 0;
    },
    async activeAppIds() {
      // The callers loop over the set; the order (SQLite: insertion) is not part of the contract.
      return (await db.many<{ application_id: string }>('SELECT application_id FROM application_idm WHERE active ORDER BY application_id'))
        .map((r) => r.application_id);
    },
  };
}

export function createPgAccountRepositories(db: PgDatabase): Pick<Store, 'throttle' | 'mfa' | 'idm' | 'provisioning' | 'imports'> {
  return {
    throttle: createPgThrottleRepository(db),
    mfa: createPgMfaRepository(db),
    idm: createPgIdmRepository(db),
    provisioning: createPgProvisioningRepository(db),
    imports: createPgImportRepository(db),
  };
}
