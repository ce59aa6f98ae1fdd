import type { Store } from './types';
import type { HealthOptions } from './health';
import { openPostgresStore } from './postgres';
import { openSqliteStore } from './sqlite';

/** Open the SQLite store at `sqlite:<path>` (synchronous; the embedded default and the tests' store). */
export function createStore(databaseUrl: string, options: HealthOptions & { readBudgetMs?: number } = {}): Store {
  if (databaseUrl.startsWith('sqlite:')) return openSqliteStore(databaseUrl.slice('sqlite:'.length), options);
  throw new Error(`createStore opens SQLite stores only; use openStore for ${databaseUrl.split(':')[0]}`);
}

/** Open the store a DATABASE_URL names: `sqlite:<path>` or `postgres://…` (migrated on open). */
export async function openStore(databaseUrl: string, options: { poolSize: number; readBudgetMs?: number } & HealthOptions): Promise<Store> {
  if (databaseUrl.startsWith('sqlite:')) return createStore(databaseUrl, options);
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return openPostgresStore(databaseUrl, options);
  throw new Error(`Unsupported DATABASE_URL scheme: ${databaseUrl.split(':')[0]}`);
}

export { HEALTH_CACHE_MS, type HealthOptions } from './health';
export * from './types';
