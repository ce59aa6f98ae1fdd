import crypto from 'node:crypto';
import type { AppContext } from '../context';
import { unprocessable } from '../errors';
import { SYSTEM, type RequestMeta } from '../insights/recorder';
import { answerProblems, scimUserList, type ScimUserAnswer } from '../scim/answers';
import { ScimError, unusableAnswer, type ScimClient } from '../scim/client';
import type { UserImport } from '../store';
import { appTarget, getApplication } from './applications';
import { addMember } from './groups';
import { WORKER_ID } from './provisioning';
import { scimClientFor } from './scim-connection';
import { createUser } from './users';

/**
 * Import users from an application (the seeds' "Importing Users"): list the SP's users as New
 * (no Gatehouse user has that userName or e-mail) or Imported, leave suspended remote users out,
 * and create Gatehouse users for the selected ones, linked to their remote accounts so later
 * pushes update rather than duplicate them. More than 100 run in the background with progress.
 * An import records its chosen users (in order, each with its outcome) and a lease on the process
 * running it, renewed as it goes; a restart resumes imports whose lease expired (resumeImports).
 */
export interface RemoteUser {
  remoteId: string;
  userName: string;
  email: string;
  name: string;
  active: boolean;
  status: 'new' | 'imported';
}

const PAGE = 100;
const MAX_LISTED = 5000;
const FOREGROUND_LIMIT = 100;

async function clientFor(ctx: AppContext, appId: string): Promise<ScimClient> {
  const connection = await ctx.store.idm.find(appId);
  if (!connection?.active) throw unprocessable('idm.not_active', 'Activate the Identity Management connection first.');
  return scimClientFor(ctx, connection);
}

type ScimUserJson = ScimUserAnswer;

function toRemote(u: ScimUserJson, existing: boolean): RemoteUser {
  const email = (u.emails?.find((e) => e.primary) ?? u.emails?.[0])?.value ?? '';
  return {
    remoteId: u.id, userName: u.userName, email, active: u.active !== false,
    name: u.displayName ?? [u.name?.givenName, u.name?.familyName].filter(Boolean).join(' '), status: existing ? 'imported' : 'new',
  };
}

async function fetchAll(client: ScimClient): Promise<ScimUserJson[]> {
  const seen = new Map<string, ScimUserJson>();
  // RFC 7644 §3.4.2.4: startIndex is 1-based (the monday.com seed says so too).
  // An SP may return fewer than asked per page (its own maximum): follow totalResults.
  // Pages can overlap when the SP's list changes between requests: users are kept by id.
  for (let start = 1, requests = 0; seen.size < MAX_LISTED && requests < MAX_LISTED / 10; requests++) {
    const json = (await client.call('GET', `/Users?startIndex=${start}&count=${PAGE}`)).json;
    // Every user is checked before any of them is matched against the store or shown.
    const problems = answerProblems(scimUserList, json);
    if (problems) throw unusableAnswer('GET /Users', problems);
    const page = json as { Resources?: ScimUserJson[] | null; totalResults: number };
    const resources = page?.Resources ?? [];
    const before = seen.size;
    for (const r of resources) seen.set(r.id, r);
    start += resources.length;
    // Stop at the end, or when a page brings nothing new (an SP that ignores startIndex).
    if (resources.length === 0 || seen.size === before || start > page.totalResults) break;
  }
  return [...seen.values()];
}

export async function listRemoteUsers(ctx: AppContext, appId: string, options: { newOnly?: boolean } = {}): Promise<RemoteUser[]> {
  await getApplication(ctx, appId);
  const client = await clientFor(ctx, appId);
  let remote: ScimUserJson[];
  try {
    remote = await fetchAll(client);
  } catch (error) {
    throw unprocessable('idm.list_failed', `The users could not be listed: ${error instanceof ScimError ? error.message : String(error)}`);
  }
  const users: RemoteUser[] = [];
  for (const u of remote) {
    const email = (u.emails?.[0]?.value ?? '').toLowerCase();
    const existing = Boolean((await ctx.store.users.findByLogin(u.userName)) ?? (email ? await ctx.store.users.findByLogin(email) : undefined));
    users.push(toRemote(u, existing));
  }
  return options.newOnly ? users.filter((u) => u.status === 'new') : users;
}

/** How long an import stays with its process without a renewal (renewed every ten users). */
const IMPORT_LEASE_MS = 60_000;

async function importOne(ctx: AppContext, meta: RequestMeta, appId: string, groupId: string, user: RemoteUser): Promise<boolean> {
  const target = { type: 'user', label: user.userName };
  try {
    // Resumed after a crash: this user may have been created just before it; then it is done.
    const existing = await ctx.store.users.findByLogin(user.userName.slice(0, 64));
    if (existing && (await ctx.store.provisioning.findLink(appId, existing.id))?.remoteId === user.remoteId) return true;
    if (!user.active) throw unprocessable('import.suspended', 'Suspended users in the application are not imported.');
    if (user.status !== 'new') throw unprocessable('import.exists', 'A Gatehouse user with this username or e-mail already exists.');
    const [firstName, ...rest] = user.name.split(' ');
    // One unit of work: a user left created but unlinked (a crash, a failed write) would be
    // neither New nor Imported, and a resumed import would count it failed.
    const local = await ctx.store.transaction(async () => {
      const created = await createUser(ctx, meta, {
        username: user.userName.slice(0, 64), email: user.email || user.userName, firstName: firstName ?? '', lastName: rest.join(' '),
      });
      await ctx.store.provisioning.putLink({ appId, userId: created.id, remoteId: user.remoteId, active: true }, ctx.clock.now().toISOString());
      // Joining a bound group keeps their access; otherwise the next sync would deactivate them.
      await addMember(ctx, meta, groupId, created.id);
      return created;
    });
    await ctx.insights.record(meta, { type: 'user_import', outcome: 'success', target: { ...target, id: local.id }, appId, detail: { remoteId: user.remoteId } });
    return true;
  } catch (error) {
    await ctx.insights.record(meta, { type: 'user_import', outcome: 'failure', reason: (error as { code?: string }).code ?? 'import.failed', target, appId,
      detail: { remoteId: user.remoteId, message: error instanceof Error ? error.message : String(error) } });
    return false;
  }
}

/** Import the selected remote users; returns the finished counts, or a running import to poll. */
export async function importUsers(ctx: AppContext, meta: RequestMeta, appId: string, remoteIds: string[], groupId: string): Promise<UserImport> {
  const app = await getApplication(ctx, appId);
  if (!(await ctx.store.applications.listBoundGroups(appId)).some((g) => g.id === groupId)) {
    throw unprocessable('import.group_not_bound', `Choose a user group bound to ${app.displayLabel}: imported users join it, so they keep their access.`);
  }
  const wanted = new Set(remoteIds);
  const chosen = (await listRemoteUsers(ctx, appId)).filter((u) => wanted.has(u.remoteId));
  if (chosen.length === 0) throw unprocessable('import.nothing_selected', 'Select at least one user to import.');
  const now = ctx.clock.now();
  const entry: UserImport = { id: crypto.randomBytes(12).toString('base64url'), appId, total: chosen.length, done: 0, failed: 0, status: 'running', createdAt: now.toISOString() };
  await ctx.store.imports.start(entry, groupId, chosen as unknown as Record<string, unknown>[], WORKER_ID, new Date(now.getTime() + IMPORT_LEASE_MS).toISOString());
  await ctx.insights.record(meta, { type: 'user_import_start', outcome: 'success', target: appTarget(app), appId, detail: { total: chosen.length } });
  const run = () => continueImport(ctx, meta, entry.id, appId, WORKER_ID);
  if (chosen.length <= FOREGROUND_LIMIT) {
    await run();
  } else {
    // Large imports run after the response; the page polls their progress.
    setImmediate(() => { run().catch((error) => ctx.log.error('User import failed', { importId: entry.id, error })); });
  }
  return (await ctx.store.imports.find(entry.id))!;
}

/** Run what is left of an import (all of it at first), recording each user's outcome as it goes. */
async function continueImport(ctx: AppContext, meta: RequestMeta, id: string, appId: string, owner: string): Promise<void> {
  const left = await ctx.store.imports.remaining(id);
  let { done, failed } = left;
  for (const { position, user } of left.items) {
    const ok = left.groupId !== null && (await importOne(ctx, meta, appId, left.groupId, user as unknown as RemoteUser));
    if (ok) done += 1; else failed += 1;
    await ctx.store.imports.recordItem(id, position, ok ? 'done' : 'failed');
    if ((done + failed) % 10 === 0) {
      const now = ctx.clock.now();
      await ctx.store.imports.progress(id, done, failed, 'running', now.toISOString());
      await ctx.store.imports.renew(id, owner, new Date(now.getTime() + IMPORT_LEASE_MS).toISOString());
    }
  }
  await ctx.store.imports.progress(id, done, failed, 'finished', ctx.clock.now().toISOString());
}

/**
 * At start (and now and then after): continue every import left 'running' by a process that died
 * (its lease expired), from the first chosen user not yet done; one instance takes each.
 * Returns how many were resumed. Imports from before users were recorded are finished as they stand.
 */
export async function resumeImports(ctx: AppContext, owner = WORKER_ID): Promise<number> {
  const now = ctx.clock.now();
  const ids = await ctx.store.imports.claimStale(now.toISOString(), owner, new Date(now.getTime() + IMPORT_LEASE_MS).toISOString());
  for (const id of ids) {
    const entry = await ctx.store.imports.find(id);
    if (!entry) continue;
    ctx.log.info('Resuming a user import left running', { importId: id, appId: entry.appId, done: entry.done, total: entry.total });
    await continueImport(ctx, SYSTEM, id, entry.appId, owner);
  }
  return ids.length;
}
