import os from 'node:os';
import type Database from 'better-sqlite3';
import { createReadPool, type ReadPool } from './read-pool';

/**
 * Where the SQLite driver runs a long read (Directory Insights, exports, admin lists): on the read
 * pool's worker threads when the store is a file, so the event loop keeps serving sign-ins
 * meanwhile (read-pool.ts); on the main connection inside a unit of work (it must see its own
 * writes) and for `:memory:` stores (a second connection would see another, empty database). The
 * pool starts on the first long read, so stores that never make one start no threads.
 */
export interface LongReads {
  all<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export function createLongReads(db: Database.Database, file: string | undefined, options: { budgetMs: number; workers?: number }): LongReads {
  const workers = options.workers ?? Math.max(1, Math.min(2, os.availableParallelism() - 1));
  let pool: ReadPool | undefined;
  return {
    async all<T>(sql: string, params: readonly unknown[]) {
      if (!file || db.inTransaction) return db.prepare(sql).all(...params) as T[];
      pool ??= createReadPool(file, { size: workers, budgetMs: options.budgetMs });
      return pool.all<T>(sql, params);
    },
    async close() {
      await pool?.close();
    },
  };
}
