import crypto from 'node:crypto';
import os from 'node:os';
import type { AppContext } from '../context';
import { SYSTEM } from '../insights/recorder';
import { ScimError, type ScimClient } from '../scim/client';
import { eqFilter, sentAttributePaths, toScimUser } from '../scim/mapping';
import { sameResource, userPatch } from '../scim/patch';
import type { Application, IdmConnection, ProvisioningJob } from '../store';
import { enqueueGroupsOfUserInApp, GROUP_SUBJECT, reconcileGroup } from './provisioning-groups';
import { scimClientFor } from './scim-connection';

/**
 * Outbound user provisioning over SCIM 2.0, as a durable outbox: a change that affects what an
 * app should know about a user enqueues a job for (app, user) in the store; the worker brings the
 * remote account in line with Gatehouse at run time (create, or look up and link; update;
 * deactivate when access is lost or the user is suspended or deleted). Jobs survive restarts;
 * 5xx, 429 (Retry-After honoured), timeouts and unreachable services are retried with backoff; a
 * 4xx that will not change is recorded as failed with the SP's message. Every attempt is an event.
 */
const MAX_BACKOFF_MS = 10 * 60 * 1000;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** Apps with an active connection that should hear about this user: authorized now, or linked. */
export async function enqueueForUser(ctx: AppContext, userId: string): Promise<void> {
  const now = ctx.clock.now().toISOString();
  for (const appId of await ctx.store.idm.activeAppIds()) {
    if ((await ctx.store.applications.isUserAuthorized(appId, userId)) || (await ctx.store.provisioning.findLink(appId, userId))) {
      await ctx.store.provisioning.enqueue(appId, userId, now);
    }
  }
}

/** Every member of the app's bound groups, and every linked user (who may have lost access). */
export async function enqueueForApp(ctx: AppContext, appId: string): Promise<void> {
  if (!(await ctx.store.idm.find(appId))?.active) return;
  const now = ctx.clock.now().toISOString();
  const users = new Set<string>();
  for (const group of await ctx.store.applications.listBoundGroups(appId)) {
    for (const member of await ctx.store.groups.listMembers(group.id)) users.add(member.id);
  }
  for (const userId of await ctx.store.provisioning.linkedUserIds(appId)) users.add(userId);
  for (const userId of users) await ctx.store.provisioning.enqueue(appId, userId, now);
}

async function findRemoteUserId(client: ScimClient, userName: string): Promise<string | undefined> {
  const found = await client.call('GET', `/Users?filter=${encodeURIComponent(eqFilter('userName', userName))}`);
  return ((found.json as { Resources?: { id: string }[] })?.Resources ?? [])[0]?.id;
}

type Outcome = { type: string; outcome: 'success' | 'failure'; reason?: string; detail?: Record<string, unknown> };

async function reconcile(ctx: AppContext, app: Application, connection: IdmConnection, client: ScimClient, job: ProvisioningJob): Promise<Outcome[]> {
  const scim = ctx.catalog.get(app.catalogId)?.scim;
  const chosen = connection.role ?? (scim?.role ? { attribute: scim.role.attributes[0], value: scim.role.defaultValue } : null);
  const role = chosen && { ...chosen, schema: scim?.role?.schema ?? null };
  const user = await ctx.store.users.findById(job.userId);
  const wanted = Boolean(user && user.state === 'active' && (await ctx.store.applications.isUserAuthorized(app.id, job.userId)));
  let link = await ctx.store.provisioning.findLink(app.id, job.userId);
  const now = () => ctx.clock.now().toISOString();
  const outcomes: Outcome[] = [];

  if (!link && !wanted) return outcomes;
  if (!link && user) {
    // Look up first: an account with this userName is taken over, not duplicated.
    let remoteId = await findRemoteUserId(client, user.username);
    let after409 = false;
    if (!remoteId && wanted) {
      try {
        const posted = toScimUser(user, true, scim?.mappings ?? [], connection.excludedMappings, role);
        const created = await client.call('POST', '/Users', posted);
        const createdId = (created.json as { id?: string })?.id;
        if (!createdId) throw new ScimError('rejected', 'The SCIM service created the user but returned no id.');
        await ctx.store.provisioning.putLink({ appId: app.id, userId: user.id, remoteId: createdId, active: true, sent: posted }, now());
        outcomes.push({ type: 'user_create_provision', outcome: 'success', detail: { remoteId: createdId } });
        return outcomes;
      } catch (error) {
        // 409: the account appeared since the look-up (or a lost response created it): link it.
        if (!(error instanceof ScimError && error.status === 409)) throw error;
        remoteId = await findRemoteUserId(client, user.username);
        if (!remoteId) throw error;
        after409 = true;
      }
    }
    if (remoteId) {
      link = { appId: app.id, userId: user.id, remoteId, active: true };
      await ctx.store.provisioning.putLink(link, now());
      outcomes.push({ type: 'user_lookup_provision', outcome: 'success', detail: after409 ? { remoteId, after: 409 } : { remoteId } });
    }
  }
  if (!link) return outcomes;
  if (user) {
    const resource = toScimUser(user, wanted, scim?.mappings ?? [], connection.excludedMappings, role);
    // The SP already has exactly this (what was last sent): nothing is sent twice, no event.
    if (link.sent && sameResource(link.sent, resource)) return outcomes;
    if (scim?.updateWith === 'patch') {
      // Some SPs take `active` only by PATCH (RFC 7644 §3.5.2): replace the mapped attributes
      // and remove the ones cleared since they were last sent.
      const mapped = sentAttributePaths(scim.mappings, connection.excludedMappings);
      await client.call('PATCH', `/Users/${encodeURIComponent(link.remoteId)}`, userPatch(resource, link.sent ?? null, mapped, connection.excludedMappings));
    } else {
      // PUT replaces the resource (RFC 7644 §3.5.1): the profile and `active` in one request.
      await client.call('PUT', `/Users/${encodeURIComponent(link.remoteId)}`, resource);
    }
    await ctx.store.provisioning.putLink({ ...link, active: wanted, sent: resource }, now());
    outcomes.push({ type: wanted ? 'user_update_provision' : 'user_deprovision', outcome: 'success', detail: { remoteId: link.remoteId, active: wanted } });
  } else {
    // Deleted in Gatehouse: deleted remotely where the SP supports it, otherwise deactivated
    // (never left active); then forgotten.
    if (scim?.onDelete === 'delete') {
      await client.call('DELETE', `/Users/${encodeURIComponent(link.remoteId)}`);
    } else {
      await client.call('PATCH', `/Users/${encodeURIComponent(link.remoteId)}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
    }
    await ctx.store.provisioning.deleteLink(app.id, job.userId);
    outcomes.push({ type: 'user_delete_provision', outcome: 'success', detail: { remoteId: link.remoteId, deleted: scim?.onDelete === 'delete' } });
  }
  return outcomes;
}

/**
 * The wait before the next attempt: what the SP asked for in Retry-After (RFC 6585 §4, RFC 9110
 * §10.2.3) when it asked for a positive wait; otherwise (no header, 0, unparsable) the normal
 * backoff, 2 s doubling, so a rate-limited SP is never hammered again at once.
 */
function backoffMs(attempts: number, retryAfterSeconds?: number): number {
  if (retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0) {
    return Math.min(retryAfterSeconds * 1000, MAX_BACKOFF_MS);
  }
  return Math.min(2 ** attempts * 2000, MAX_BACKOFF_MS);
}

/**
 * Who holds a lease: one id per process (host, pid and a random part, so a restarted process
 * with a reused pid is someone else), written into the store with each claim.
 */
export const WORKER_ID = `${os.hostname()}:${process.pid}:${crypto.randomBytes(6).toString('hex')}`;

/**
 * Keep the lease while the job runs: renewed every third of its length, so one late or failed
 * renewal still leaves time; a worker killed with kill -9 stops renewing and its lease expires.
 */
async function whileLeased<T>(ctx: AppContext, job: ProvisioningJob, owner: string, work: () => Promise<T>): Promise<T> {
  const leaseMs = ctx.config.provisioningLeaseSeconds * 1000;
  const timer = setInterval(() => {
    const until = new Date(ctx.clock.now().getTime() + leaseMs).toISOString();
    void ctx.store.provisioning.renew(job, owner, until).then((held) => {
      if (!held) ctx.log.warn('Provisioning lease lost; another worker may run this job', { jobId: job.id, appId: job.appId });
    }, (error) => ctx.log.error('Provisioning lease renewal failed', { jobId: job.id, error }));
  }, Math.max(100, leaseMs / 3));
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Claim the jobs that are due and run them; returns how many ran. The worker calls this on a
 * timer, tests directly. Each job is leased to `owner` (one lease per app and user, so workers on
 * every instance run a user's jobs one at a time, in order); finishing it releases the lease, and
 * a job whose lease was taken over after expiring is left to the worker that took it.
 */
export async function runDueJobs(ctx: AppContext, limit = 50, owner = WORKER_ID): Promise<number> {
  const jobs = await ctx.store.provisioning.claim(ctx.clock.now().toISOString(), limit, ctx.config.provisioningLeaseSeconds, owner);
  for (const job of jobs) await whileLeased(ctx, job, owner, () => runJob(ctx, job, owner));
  return jobs.length;
}

async function runJob(ctx: AppContext, job: ProvisioningJob, owner: string): Promise<void> {
  const app = await ctx.store.applications.findById(job.appId);
  const connection = app && (await ctx.store.idm.find(app.id));
  const now = ctx.clock.now().toISOString();
  if (!app || !connection?.active) {
    await ctx.store.provisioning.complete(job, 'done', 'Identity Management is not active for this application.', now, owner);
    return;
  }
  const isGroup = job.userId.startsWith(GROUP_SUBJECT);
  const target = isGroup ? { type: 'group', id: job.userId.slice(GROUP_SUBJECT.length) } : { type: 'user', id: job.userId };
  try {
    const client = scimClientFor(ctx, connection);
    const outcomes = isGroup ? await reconcileGroup(ctx, app, client, target.id) : await reconcile(ctx, app, connection, client, job);
    for (const o of outcomes) {
      await ctx.insights.record(SYSTEM, { ...o, target, appId: app.id, detail: { ...o.detail, attempt: job.attempts + 1 } });
    }
    // A user who now exists remotely joins their groups there.
    if (outcomes.some((o) => o.type === 'user_create_provision' || o.type === 'user_lookup_provision')) {
      await enqueueGroupsOfUserInApp(ctx, app.id, job.userId);
    }
    await ctx.store.provisioning.complete(job, 'done', null, ctx.clock.now().toISOString(), owner);
  } catch (error) {
    if (!(error instanceof ScimError)) {
      // Not the SP's doing (a token that no longer opens, a store error): retrying will not help.
      ctx.log.error('Provisioning job failed inside Gatehouse', { jobId: job.id, appId: app.id, error });
      await ctx.insights.record(SYSTEM, { type: isGroup ? 'group_update_provision' : 'user_update_provision', outcome: 'failure', reason: 'idm.internal_error',
        target, appId: app.id, detail: { attempt: job.attempts + 1, willRetry: false } });
      await ctx.store.provisioning.complete(job, 'failed', 'Gatehouse could not run this job; see the server log.', ctx.clock.now().toISOString(), owner);
      return;
    }
    const scimError = error;
    await ctx.insights.record(SYSTEM, {
      type: isGroup ? 'group_update_provision' : 'user_update_provision', outcome: 'failure', reason: `idm.${scimError.reason}`, target, appId: app.id,
      detail: { message: scimError.message, status: scimError.status ?? null, attempt: job.attempts + 1, willRetry: scimError.retryable },
    });
    const later = ctx.clock.now();
    if (scimError.retryable) {
      await ctx.store.provisioning.retryLater(job, new Date(later.getTime() + backoffMs(job.attempts, scimError.retryAfterSeconds)).toISOString(), scimError.message, later.toISOString(), owner);
    } else {
      await ctx.store.provisioning.complete(job, 'failed', scimError.message, later.toISOString(), owner);
    }
  }
}
