import type { Store } from './types';
import { openPostgresStore } from './postgres';
import { openSqliteStore } from './sqlite';

/** Open the SQLite store at `sqlite:<path>` (synchronous; the embedded default and the tests' store). */
export function createStore(databaseUrl: string): Store {
  if (databaseUrl.startsWith('sqlite:')) return openSqliteStore(databaseUrl.slice('sqlite:'.length));
  throw new Error(`createStore opens SQLite stores only; use openStore for ${databaseUrl.split(':')[0]}`);
}

/** Open the store a DATABASE_URL names: `sqlite:<path>` or `postgres://…` (migrated on open). */
export async function openStore(databaseUrl: string, options: { poolSize: number; readBudgetMs?: number }): Promise<Store> {
  if (databaseUrl.startsWith('sqlite:')) return createStore(databaseUrl);
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return openPostgresStore(databaseUrl, options);
  throw new Error(`Unsupported DATABASE_URL scheme: ${databaseUrl.split(':')[0]}`);
}

export * from './types';
