import type { AppContext } from '../context';
import { RetryLaterError } from '../errors';

/**
 * Sign-in throttling (OWASP Authentication Cheat Sheet, "protect against automated attacks").
 * Failures are counted per account and client address, per account, and per address, each in a
 * 15-minute window. Past a free allowance every further failure doubles a short wait before the
 * next attempt is even checked; the waits are capped, so nobody can lock a user out for long:
 *
 * | key                | free failures | wait after that          |
 * |--------------------|---------------|--------------------------|
 * | account + address  | 5             | 1 s, 2 s, 4 s … ≤ 60 s   |
 * | account            | 20            | 1 s, 2 s, 4 s … ≤ 60 s   |
 * | address            | 50            | 1 s, 2 s, 4 s … ≤ 300 s  |
 *
 * A successful sign-in clears the account counters (not the address one: one valid account must
 * not reset guessing at others). Unknown accounts are counted like real ones. A known account is
 * counted under its id, so its username and e-mail share one allowance; a wrong current password
 * at /account/password is a failed sign-in of the account too.
 */
interface Rule { prefix: string; free: number; maxWaitSeconds: number }

const WINDOW_MS = 15 * 60 * 1000;
const RULES: Rule[] = [
  { prefix: 'login+ip', free: 5, maxWaitSeconds: 60 },
  { prefix: 'login', free: 20, maxWaitSeconds: 60 },
  { prefix: 'ip', free: 50, maxWaitSeconds: 300 },
];

/** One name per account, whichever way it was typed; an unknown login stands for itself. */
async function accountOf(ctx: AppContext, login: string): Promise<string> {
  const typed = login.trim().toLowerCase();
  const user = typed ? await ctx.store.users.findByLogin(typed) : undefined;
  return user ? `id:${user.id}` : typed;
}

async function keysFor(ctx: AppContext, login: string, clientIp: string | null): Promise<{ rule: Rule; key: string }[]> {
  const account = await accountOf(ctx, login);
  const address = clientIp ?? 'unknown';
  return RULES.map((rule) => ({
    rule, key: rule.prefix === 'login+ip' ? `login+ip:${account}|${address}` : rule.prefix === 'login' ? `login:${account}` : `ip:${address}`,
  }));
}

/** Refuse (429 with Retry-After) before any password check while a wait is running. */
export async function assertNotThrottled(ctx: AppContext, login: string, clientIp: string | null): Promise<void> {
  const now = ctx.clock.now().getTime();
  let waitMs = 0;
  for (const { key } of await keysFor(ctx, login, clientIp)) {
    const state = await ctx.store.throttle.find(key);
    if (state?.blockedUntil) waitMs = Math.max(waitMs, new Date(state.blockedUntil).getTime() - now);
  }
  if (waitMs > 0) {
    const seconds = Math.ceil(waitMs / 1000);
    throw new RetryLaterError('auth.throttled', `Too many failed sign-ins. Wait ${seconds} second${seconds === 1 ? '' : 's'} and try again.`, seconds);
  }
}

/**
 * Each failure is counted by one atomic statement, so failures that several instances record at
 * the same moment are all counted (a read-then-write would lose some); the wait it earns only ever
 * lengthens the one already set.
 */
export async function recordFailedSignIn(ctx: AppContext, login: string, clientIp: string | null): Promise<void> {
  const now = ctx.clock.now();
  const freshAfter = new Date(now.getTime() - WINDOW_MS).toISOString();
  for (const { rule, key } of await keysFor(ctx, login, clientIp)) {
    const { failures } = await ctx.store.throttle.recordFailure(key, now.toISOString(), freshAfter);
    const over = failures - rule.free;
    const waitSeconds = over > 0 ? Math.min(2 ** (over - 1), rule.maxWaitSeconds) : 0;
    if (waitSeconds > 0) await ctx.store.throttle.blockUntil(key, new Date(now.getTime() + waitSeconds * 1000).toISOString());
  }
}

export async function recordSuccessfulSignIn(ctx: AppContext, login: string, clientIp: string | null): Promise<void> {
  for (const { rule, key } of await keysFor(ctx, login, clientIp)) if (rule.prefix !== 'ip') await ctx.store.throttle.delete(key);
}

const REFUSAL_EVENT_INTERVAL_MS = 60_000;
/** Per process: the addresses that already took this minute's refusal event (pruned when large). */
const refusalEventAt = new WeakMap<AppContext, Map<string, number>>();

/**
 * Whether this refused post (a CSRF refusal) may be recorded: one event per client address per
 * minute across every instance, so a flood cannot fill Directory Insights. The first refusal of a
 * minute takes it with one atomic count in the throttle table (purged by housekeeping); each
 * process also remembers the addresses it has seen this minute, so a flood costs one database
 * write per instance and minute, not one per post. If the database cannot count, nothing is
 * recorded: the post is refused all the same.
 */
export async function claimRefusalEvent(ctx: AppContext, address: string): Promise<boolean> {
  let seen = refusalEventAt.get(ctx);
  if (!seen) refusalEventAt.set(ctx, (seen = new Map()));
  const now = ctx.clock.now().getTime();
  const last = seen.get(address);
  if (last !== undefined && now - last < REFUSAL_EVENT_INTERVAL_MS) return false;
  if (seen.size >= 10_000) for (const [key, at] of seen) if (now - at >= REFUSAL_EVENT_INTERVAL_MS) seen.delete(key);
  seen.set(address, now);
  try {
    const { failures } = await ctx.store.throttle.recordFailure(`refusal-event:${address}`, new Date(now).toISOString(),
      new Date(now - REFUSAL_EVENT_INTERVAL_MS).toISOString());
    return failures === 1;
  } catch {
    return false;
  }
}
