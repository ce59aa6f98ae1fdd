import type { AppContext } from '../context';
import { resumeImports } from './import-users';
import { runDueJobs } from './provisioning';

/**
 * The background work of one Gatehouse process, owned here rather than started ad hoc in
 * main.ts (ARCHITECTURE.md "One source for each fact"):
 * - housekeeping (expired sessions, replay IDs and pending requests, old throttle windows) runs
 *   once per interval across all instances: each instance asks for the turn, one gets it; once
 *   an hour it also refreshes the query planner's statistics (store.refreshStatistics);
 * - the provisioning worker claims due SCIM jobs under a lease and runs them, one batch at a time;
 * - user imports left 'running' by a process that died are resumed at start, and checked for
 *   again every housekeeping interval (a peer may die while this instance runs);
 * - the store's health is asked every few seconds, so a data directory deleted under a quiet
 *   server is logged (once, by the store's onHealthChange) even when nothing probes /healthz.
 */
export const HOUSEKEEPING_INTERVAL_MS = 60_000;
export const HEALTH_CHECK_INTERVAL_MS = 5_000;
const TURN = 'turn:housekeeping';
const STATISTICS_INTERVAL_MS = 3_600_000;
const STATISTICS_TURN = 'turn:statistics';

/** One housekeeping pass if this instance gets the turn; returns whether it ran. */
export async function runHousekeeping(ctx: AppContext): Promise<boolean> {
  const now = ctx.clock.now();
  // A little less than the interval, so a timer that fires a moment early still takes its turn.
  const notAfter = new Date(now.getTime() - HOUSEKEEPING_INTERVAL_MS + 1_000).toISOString();
  if (!(await ctx.store.settings.claimTurn(TURN, now.toISOString(), notAfter))) return false;
  const iso = now.toISOString();
  const sessions = await ctx.store.sessions.purgeExpired(iso);
  const requests = await ctx.store.ssoState.purgeExpired(iso);
  const throttles = await ctx.store.throttle.purgeBefore(new Date(now.getTime() - 3_600_000).toISOString());
  ctx.log.debug('Housekeeping', { sessions, requests, throttles });
  // Planner statistics once an hour, by one instance (they live in the database).
  if (await ctx.store.settings.claimTurn(STATISTICS_TURN, iso, new Date(now.getTime() - STATISTICS_INTERVAL_MS + 1_000).toISOString())) {
    await ctx.store.refreshStatistics();
  }
  return true;
}

export interface BackgroundWork {
  stop(): void;
}

export function startBackgroundWork(ctx: AppContext): BackgroundWork {
  // While the store cannot serve, the loops wait instead of failing every second: the store has
  // logged why once (onHealthChange), and a refused write would only repeat it.
  const whenHealthy = async (work: () => Promise<unknown>) => { if ((await ctx.store.health()).ok) await work(); };
  const resume = () => { void whenHealthy(() => resumeImports(ctx)).catch((error) => ctx.log.error('Resuming user imports failed', { error })); };
  resume();
  const housekeeping = setInterval(() => {
    void whenHealthy(() => runHousekeeping(ctx)).catch((error) => ctx.log.error('Housekeeping failed', { error }));
    resume();
  }, HOUSEKEEPING_INTERVAL_MS);
  housekeeping.unref();
  // Jobs live in the store, so a restart picks up where this left off.
  let working = false;
  const provisioning = setInterval(() => {
    if (working) return;
    working = true;
    void whenHealthy(() => runDueJobs(ctx)).catch((error) => ctx.log.error('Provisioning run failed', { error })).finally(() => { working = false; });
  }, 1000);
  provisioning.unref();
  const health = setInterval(() => { void ctx.store.health(); }, HEALTH_CHECK_INTERVAL_MS);
  health.unref();
  return {
    stop() {
      clearInterval(housekeeping);
      clearInterval(provisioning);
      clearInterval(health);
    },
  };
}
