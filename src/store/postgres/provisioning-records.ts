import type { ProvisioningJob, ProvisioningRepository, RemoteGroupLink } from '../types';
import type { PgDatabase } from './db';

interface JobRow {
  [k: string]: unknown;
  id: string; application_id: string; user_id: string; status: ProvisioningJob['status']; attempts: number;
  next_attempt_at: string; last_error: string | null; created_at: string;
}

const toJob = (r: JobRow): ProvisioningJob => ({
  // int8 arrives as a string; job ids stay far below 2^53.
  id: Number(r.id), appId: r.application_id, userId: r.user_id, status: r.status, attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at, lastError: r.last_error, createdAt: r.created_at,
});

/**
 * The pending jobs of (app $4, user $5) that job $6 stands for: itself, and the older ones its
 * enqueuer saw committed or enqueued itself (see createPgProvisioningRepository).
 */
const SWEEP = `FROM provisioning_jobs n
  WHERE n.id = $6 AND j.application_id = $4 AND j.user_id = $5 AND j.status = 'pending' AND j.id <= n.id
    AND (j.enqueued_by = n.enqueued_by OR pg_visible_in_snapshot(j.enqueued_by, n.enqueued_seeing))`;

/** With an owner: delete its lease on job $6 of (app $4, user $5), as the statement's first step. */
const released = (owner: string | undefined) => (owner === undefined ? '' : `WITH released AS (DELETE FROM provisioning_leases
  WHERE application_id = $4 AND user_id = $5 AND job_id = $6 AND owner = $7 RETURNING 1)`);

const JOB_COLUMNS = 'j.id, j.application_id, j.user_id, j.status, j.attempts, j.next_attempt_at, j.last_error, j.created_at';

/**
 * The provisioning outbox and the links to remote SCIM users and groups. Each method is one
 * statement, so instances that run them at once never see a half-done step:
 * - enqueue only inserts; jobs for the same (app, user) pile up and the newest stands for all.
 * - complete and retryLater are one UPDATE over the group's pending jobs up to the job's id. When
 *   two instances finish the same job, the second UPDATE waits for the first's row locks, then
 *   re-checks `status = 'pending'` (READ COMMITTED) and finishes nothing twice; a job enqueued
 *   meanwhile has a higher id and stays pending.
 * - "Older" means older in commit order. Ids are drawn at INSERT: a unit of work can take id 9,
 *   stay open while another commits id 10, and commit after a worker ran 10 (and read the user
 *   without 9's change). Finishing 9 with 10 would lose that change, so the sweep takes only the
 *   older jobs that 10's enqueuer already saw committed, and those of its own transaction; the
 *   rest stay pending and run once more (a reconcile that finds nothing to do, at worst).
 * - the links are upserts by their key (ON CONFLICT DO UPDATE): no unique violation when two
 *   workers link the same user at once; the last writer's remote id and `sent` win.
 * - claim takes the due jobs with `FOR UPDATE SKIP LOCKED` (two claimers at once skip each other's
 *   rows) and records a lease per (app, user) in provisioning_leases by INSERT … ON CONFLICT DO
 *   UPDATE … WHERE the old lease has expired: that upsert always judges the latest committed lease
 *   row (it waits for a concurrent claimer's), so even claimers whose snapshots saw different
 *   newest jobs of one user never both hold it. A worker killed mid-job leaves its lease to expire.
 * - complete and retryLater with an owner first delete that owner's lease on the job (a CTE in the
 *   same statement) and change the jobs only if it was there.
 */
export function createPgProvisioningRepository(db: PgDatabase): ProvisioningRepository {
  return {
    async enqueue(appId, userId, now) {
      await db.query(`INSERT INTO provisioning_jobs (application_id, user_id, status, next_attempt_at, created_at, updated_at)
        VALUES ($1, $2, 'pending', $3, $3, $3)`, [appId, userId, now]);
    },
    async due(now, limit) {
      // As in SQLite: the newest pending job per (app, user) stands for the older ones; it is due
      // once every one of them is (MAX(next_attempt_at)), so a retry wait is never skipped by a
      // newer job; groups in the order of that newest id.
      const rows = await db.many<JobRow>(`SELECT ${JOB_COLUMNS} FROM provisioning_jobs j
        JOIN (SELECT MAX(id) AS id, MAX(next_attempt_at) AS next_at FROM provisioning_jobs
              WHERE status = 'pending' GROUP BY application_id, user_id) latest ON latest.id = j.id
        WHERE latest.next_at <= $1 ORDER BY j.id LIMIT $2`, [now, limit]);
      return rows.map(toJob);
    },
    async claim(now, limit, leaseSeconds, owner) {
      const until = new Date(Date.parse(now) + leaseSeconds * 1000).toISOString();
      // The re-checked conditions on j (status) keep a row another claimer changed meanwhile out.
      const rows = await db.many<JobRow>(`WITH picked AS (
          SELECT j.id, j.application_id, j.user_id FROM provisioning_jobs j
          JOIN (SELECT MAX(id) AS id, MAX(next_attempt_at) AS next_at FROM provisioning_jobs
                WHERE status = 'pending' GROUP BY application_id, user_id) latest ON latest.id = j.id
          WHERE latest.next_at <= $1 AND j.status = 'pending'
            AND NOT EXISTS (SELECT 1 FROM provisioning_leases l
                            WHERE l.application_id = j.application_id AND l.user_id = j.user_id AND l.leased_until > $1)
          ORDER BY j.id LIMIT $2 FOR UPDATE OF j SKIP LOCKED),
        leased AS (
          INSERT INTO provisioning_leases (application_id, user_id, job_id, owner, leased_until)
          SELECT application_id, user_id, id, $3, $4 FROM picked
          ON CONFLICT (application_id, user_id) DO UPDATE SET job_id = excluded.job_id, owner = excluded.owner, leased_until = excluded.leased_until
            WHERE provisioning_leases.leased_until <= $1
          RETURNING job_id)
        SELECT ${JOB_COLUMNS} FROM provisioning_jobs j JOIN leased ON leased.job_id = j.id ORDER BY j.id`, [now, limit, owner, until]);
      return rows.map(toJob);
    },
    async renew(job, owner, until) {
      const r = await db.query(`UPDATE provisioning_leases SET leased_until = $4
        WHERE application_id = $1 AND user_id = $2 AND job_id = $3 AND owner = $5`, [job.appId, job.userId, job.id, until, owner]);
      return (r.rowCount ?? 0) > 0;
    },
    async complete(job, status, error, now, owner) {
      await db.query(`${released(owner)} UPDATE provisioning_jobs j SET status = $1, last_error = $2, attempts = j.attempts + 1, updated_at = $3
        ${SWEEP} ${owner === undefined ? '' : 'AND EXISTS (SELECT 1 FROM released)'}`, [status, error, now, job.appId, job.userId, job.id, ...(owner === undefined ? [] : [owner])]);
    },
    async retryLater(job, at, error, now, owner) {
      await db.query(`${released(owner)} UPDATE provisioning_jobs j SET attempts = j.attempts + 1, next_attempt_at = $1, last_error = $2, updated_at = $3
        ${SWEEP} ${owner === undefined ? '' : 'AND EXISTS (SELECT 1 FROM released)'}`, [at, error, now, job.appId, job.userId, job.id, ...(owner === undefined ? [] : [owner])]);
    },
    async list(appId, limit) {
      return (await db.many<JobRow>(`SELECT ${JOB_COLUMNS} FROM provisioning_jobs j WHERE application_id = $1 ORDER BY id DESC LIMIT $2`, [appId, limit]))
        .map(toJob);
    },
    async findLink(appId, userId) {
      const r = await db.one<{ remote_id: string; active: boolean; sent_json: string | null }>(
        'SELECT remote_id, active, sent_json FROM provisioned_users WHERE application_id = $1 AND user_id = $2', [appId, userId]);
      return r && { appId, userId, remoteId: r.remote_id, active: r.active, sent: r.sent_json ? JSON.parse(r.sent_json) as Record<string, unknown> : null };
    },
    async putLink(link, now) {
      await db.query(`INSERT INTO provisioned_users (application_id, user_id, remote_id, active, updated_at, sent_json) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (application_id, user_id) DO UPDATE SET remote_id = excluded.remote_id, active = excluded.active,
          updated_at = excluded.updated_at, sent_json = excluded.sent_json`,
      [link.appId, link.userId, link.remoteId, link.active, now, link.sent ? JSON.stringify(link.sent) : null]);
    },
    async deleteLink(appId, userId) {
      await db.query('DELETE FROM provisioned_users WHERE application_id = $1 AND user_id = $2', [appId, userId]);
    },
    async findGroupLink(appId, groupId) {
      const r = await db.one<{ remote_id: string; sent_json: string | null }>(
        'SELECT remote_id, sent_json FROM provisioned_groups WHERE application_id = $1 AND group_id = $2', [appId, groupId]);
      return r && { remoteId: r.remote_id, sent: r.sent_json ? JSON.parse(r.sent_json) as RemoteGroupLink['sent'] : null };
    },
    async putGroupLink(appId, groupId, remoteId, now, sent) {
      await db.query(`INSERT INTO provisioned_groups (application_id, group_id, remote_id, updated_at, sent_json) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (application_id, group_id) DO UPDATE SET remote_id = excluded.remote_id, updated_at = excluded.updated_at,
          sent_json = excluded.sent_json`, [appId, groupId, remoteId, now, sent ? JSON.stringify(sent) : null]);
    },
    async deleteGroupLink(appId, groupId) {
      await db.query('DELETE FROM provisioned_groups WHERE application_id = $1 AND group_id = $2', [appId, groupId]);
    },
    // By user id (byte order), as SQLite walks its primary key index for these.
    async linkedUserIds(appId) {
      return (await db.many<{ user_id: string }>('SELECT user_id FROM provisioned_users WHERE application_id = $1 ORDER BY user_id', [appId]))
        .map((r) => r.user_id);
    },
    async linkedRemoteIds(appId) {
      return (await db.many<{ remote_id: string }>('SELECT remote_id FROM provisioned_users WHERE application_id = $1 ORDER BY user_id', [appId]))
        .map((r) => r.remote_id);
    },
  };
}
