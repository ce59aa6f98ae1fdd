import type { Store } from './types';
import { openSqliteStore } from './sqlite';

/** Open the store a DATABASE_URL names. Only `sqlite:<path>` exists today; PostgreSQL comes later. */
export function createStore(databaseUrl: string): Store {
  if (databaseUrl.startsWith('sqlite:')) return openSqliteStore(databaseUrl.slice('sqlite:'.length));
  throw new Error(`Unsupported DATABASE_URL scheme: ${databaseUrl.split(':')[0]}`);
}

export * from './types';
