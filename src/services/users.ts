import crypto from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { z } from 'zod';
import type { AppContext } from '../context';
import { assertThat, conflict, notFound, unprocessable } from '../errors';
import type { RequestMeta } from '../insights/recorder';
import type { User } from '../store';
import { enqueueForUser } from './provisioning';
import { enqueueGroupsOf, groupsOfUser } from './provisioning-groups';
import { assertNotThrottled, recordFailedSignIn, recordSuccessfulSignIn } from './throttle';
import { parseInput, xmlText } from './validation';

/**
 * Users: profile rules, password hashing (argon2id, m=19 MiB, t=2, p=1: the OWASP Password
 * Storage Cheat Sheet's first choice) and the audit events of every change.
 */
export const passwordSchema = z.string().min(12, 'must be at least 12 characters').max(256, 'must be at most 256 characters');

const profileFields = {
  username: xmlText(64).regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]*$/, 'may use letters, digits and . _ @ + - only'),
  email: xmlText(254).email('must be an e-mail address'),
  firstName: xmlText(200).default(''),
  lastName: xmlText(200).default(''),
  displayName: xmlText(200).default(''),
  employeeId: xmlText(100).default(''),
  title: xmlText(200).default(''),
};

const createUserSchema = z.strictObject({
  ...profileFields,
  state: z.enum(['active', 'suspended']).default('active'),
  isAdmin: z.boolean().default(false),
  mfaRequired: z.boolean().default(false),
  password: passwordSchema.optional(),
});

const updateUserSchema = z.strictObject({
  username: profileFields.username.optional(),
  email: profileFields.email.optional(),
  firstName: xmlText(200).optional(),
  lastName: xmlText(200).optional(),
  displayName: xmlText(200).optional(),
  employeeId: xmlText(100).optional(),
  title: xmlText(200).optional(),
  state: z.enum(['active', 'suspended']).optional(),
  isAdmin: z.boolean().optional(),
  mfaRequired: z.boolean().optional(),
});

export const hashPassword = (password: string) => hash(password);

/** Verified against when the login is unknown, so unknown and known users take the same time. */
let decoyHash: Promise<string> | undefined;

export async function createUser(ctx: AppContext, meta: RequestMeta, input: unknown): Promise<User> {
  const data = parseInput(createUserSchema, input);
  const now = ctx.clock.now().toISOString();
  const user: User = {
    id: crypto.randomUUID(), username: data.username, email: data.email, firstName: data.firstName,
    lastName: data.lastName, displayName: data.displayName || `${data.firstName} ${data.lastName}`.trim(),
    employeeId: data.employeeId, title: data.title, state: data.state, isAdmin: data.isAdmin, mfaRequired: data.mfaRequired,
    createdAt: now, updatedAt: now,
  };
  const passwordHash = data.password ? await hashPassword(data.password) : null;
  await ctx.store.users.create(user, passwordHash);
  await ctx.insights.record(meta, { type: 'user_create', outcome: 'success', target: userTarget(user) });
  return user;
}

export async function getUser(ctx: AppContext, id: string): Promise<User> {
  const user = await ctx.store.users.findById(id);
  assertThat(user, () => notFound('users.not_found', 'No user has this id.'));
  return user;
}

/**
 * Refuse a change that would leave no admin. Called first inside the change's transaction: the
 * admin rows stay locked until it commits, so two instances demoting or deleting two admins at
 * the same moment cannot both see "another admin remains" (issue 10).
 */
async function assertAnotherAdminRemains(ctx: AppContext, id: string, message: string): Promise<void> {
  const admins = await ctx.store.users.lockAdmins();
  if (admins.includes(id) && admins.length <= 1) throw conflict('users.last_admin', message);
}

export async function updateUser(ctx: AppContext, meta: RequestMeta, id: string, input: unknown): Promise<User> {
  const changes = parseInput(updateUserSchema, input);
  // The change and the provisioning jobs it causes commit together (the outbox rule).
  return ctx.store.transaction(async () => {
    if (changes.isAdmin === false) await assertAnotherAdminRemains(ctx, id, 'This is the last active admin; make another user an admin first.');
    if (changes.state === 'suspended') await assertAnotherAdminRemains(ctx, id, 'This is the last active admin and cannot be suspended; make another user an admin first.');
    // Read under the lock: what changed is measured against the user as this change finds them.
    const before = await getUser(ctx, id);
    await ctx.store.users.update(id, changes, ctx.clock.now().toISOString());
    const after = await getUser(ctx, id);
    const changed = Object.keys(changes).filter((k) => before[k as keyof User] !== after[k as keyof User]);
    await ctx.insights.record(meta, { type: 'user_update', outcome: 'success', target: userTarget(after), detail: { changed } });
    if (changed.length > 0) await enqueueForUser(ctx, id);
    // Suspended or reactivated: the remote groups they are in drop or list them again.
    if (changed.includes('state')) await enqueueGroupsOf(ctx, await groupsOfUser(ctx, id));
    return after;
  });
}

export async function deleteUser(ctx: AppContext, meta: RequestMeta, id: string): Promise<void> {
  await ctx.store.transaction(async () => {
    await assertAnotherAdminRemains(ctx, id, 'This is the last active admin and cannot be deleted.');
    const user = await getUser(ctx, id);
    // Read before the delete: it cascades the memberships away, and their remote groups must drop the user.
    const groups = await groupsOfUser(ctx, id);
    await ctx.store.users.delete(id);
    await ctx.insights.record(meta, { type: 'user_delete', outcome: 'success', target: userTarget(user) });
    // Linked remote accounts are deactivated by the jobs (the links outlive the user).
    await enqueueForUser(ctx, id);
    await enqueueGroupsOf(ctx, groups);
  });
}

/**
 * An admin sets a user's password. Every session of that user ends (OWASP Session Management
 * Cheat Sheet: a credential change invalidates other sessions), except `keepSessionId`: the
 * admin's own current session when they reset their own password.
 */
export async function setPassword(ctx: AppContext, meta: RequestMeta, id: string, input: unknown, keepSessionId?: string): Promise<void> {
  const { password } = parseInput(z.strictObject({ password: passwordSchema }), input);
  const user = await getUser(ctx, id);
  await ctx.store.users.setPasswordHash(id, await hashPassword(password), ctx.clock.now().toISOString());
  const ended = await ctx.store.sessions.destroyForUser(id, keepSessionId);
  await ctx.insights.record(meta, { type: 'user_password_set', outcome: 'success', target: userTarget(user), detail: { sessionsEnded: ended } });
}

/**
 * A user changes their own password: the current one must be right (a stolen session alone
 * cannot change it), the new one must satisfy the policy and differ from the current one. The
 * user's other sessions end; `currentSessionId`, the one making the change, stays signed in.
 */
export async function changeOwnPassword(ctx: AppContext, meta: RequestMeta, userId: string, input: unknown, currentSessionId: string): Promise<void> {
  const data = parseInput(z.strictObject({ current: z.string().max(256), password: passwordSchema, confirm: z.string().max(256) }), input);
  const user = await getUser(ctx, userId);
  // The current-password check is a sign-in in disguise: it shares the sign-in throttle, and
  // while a wait runs nothing is checked (a stolen session must not become a guessing oracle).
  try {
    await assertNotThrottled(ctx, user.username, meta.clientIp);
  } catch (error) {
    await ctx.insights.record(meta, { type: 'user_password_change', outcome: 'failure', reason: 'auth.throttled', target: userTarget(user) });
    throw error;
  }
  const stored = await ctx.store.users.getPasswordHash(user.id);
  if (!stored || !(await verify(stored, data.current).catch(() => false))) {
    await recordFailedSignIn(ctx, user.username, meta.clientIp);
    await ctx.insights.record(meta, { type: 'user_password_change', outcome: 'failure', reason: 'auth.wrong_password', target: userTarget(user) });
    throw unprocessable('account.wrong_password', 'The current password is not right.');
  }
  await recordSuccessfulSignIn(ctx, user.username, meta.clientIp);
  if (data.password !== data.confirm) throw unprocessable('account.password_mismatch', 'The new password and its confirmation differ.');
  if (data.password === data.current) throw unprocessable('account.password_unchanged', 'Choose a new password that differs from the current one.');
  await ctx.store.users.setPasswordHash(user.id, await hashPassword(data.password), ctx.clock.now().toISOString());
  const ended = await ctx.store.sessions.destroyForUser(user.id, currentSessionId);
  await ctx.insights.record(meta, { type: 'user_password_change', outcome: 'success', target: userTarget(user), detail: { sessionsEnded: ended } });
}

/**
 * Check a login (username or e-mail) and password. Returns the user only when both match; the
 * caller decides what a suspended user sees. Unknown logins cost the same argon2 work.
 */
export async function verifyCredentials(ctx: AppContext, login: string, password: string): Promise<User | undefined> {
  if (login.length > 254 || password.length > 256) return undefined;
  const user = await ctx.store.users.findByLogin(login);
  const stored = user ? await ctx.store.users.getPasswordHash(user.id) : undefined;
  if (!user || !stored) {
    decoyHash ??= hashPassword(crypto.randomBytes(16).toString('hex'));
    await verify(await decoyHash, password).catch(() => false);
    return undefined;
  }
  return (await verify(stored, password).catch(() => false)) ? user : undefined;
}

export function userTarget(user: User) {
  return { type: 'user', id: user.id, label: user.username };
}
