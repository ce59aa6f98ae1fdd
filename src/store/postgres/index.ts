import { createHealthState, HEALTHY, type HealthOptions } from '../health';
import type { Store, StoreHealth } from '../types';
import { createPgAccountRepositories, ACCOUNT_FIELDS } from './account-records';
import { createPgDatabase } from './db';
import { createPgDirectoryRepositories, DIRECTORY_FIELDS } from './directory';
import { migratePostgres } from './migrations';
import { createPgRecordRepositories, RECORD_FIELDS } from './records';

/**
 * The PostgreSQL store: the same repositories as the SQLite driver over a bounded pool, for
 * running several Gatehouse instances against one database (ARCHITECTURE.md "Store"). The schema
 * is migrated at start under an advisory lock.
 */
/** A health probe waits this long for `SELECT 1` (a pooled connection included) before it says no. */
export const HEALTH_TIMEOUT_MS = 2000;

export async function openPostgresStore(url: string, options: { poolSize: number; readBudgetMs?: number } & HealthOptions): Promise<Store> {
  const db = createPgDatabase(url, { poolSize: options.poolSize, readBudgetMs: options.readBudgetMs, fieldOf: { ...DIRECTORY_FIELDS, ...RECORD_FIELDS, ...ACCOUNT_FIELDS } });
  try {
    await migratePostgres(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const records = createPgRecordRepositories(db);
  const state = createHealthState(options);
  let probing: Promise<StoreHealth> | undefined;
  // Probes that arrive while one runs share it, so a burst of /healthz calls is one query.
  const probe = async (): Promise<StoreHealth> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to SELECT 1 within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
    });
    try {
      await Promise.race([db.query('SELECT 1'), late]);
      return HEALTHY;
    } catch (error) {
      return { ok: false, code: 'store.unreachable', reason: 'The database does not answer.', detail: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    kind: 'postgres',
    ...createPgDirectoryRepositories(db),
    ...records,
    ...createPgAccountRepositories(db),
    transaction: (work) => db.transaction(work),
    async health() {
      const fresh = state.fresh();
      if (fresh) return fresh;
      probing ??= probe().then((h) => state.record(h)).finally(() => { probing = undefined; });
      return probing;
    },
    // Nothing to do: autovacuum runs ANALYZE on tables that changed enough (schema-events.ts).
    async refreshStatistics() {},
    async close() {
      await records.events.flush?.();
      await db.close();
    },
  };
}
