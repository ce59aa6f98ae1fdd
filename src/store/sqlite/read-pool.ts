import { Worker } from 'node:worker_threads';
import { StoreTimeoutError } from '../types';

/**
 * Long reads off the event loop (issue 11 #2). better-sqlite3 runs each statement on the thread
 * that calls it, so one slow admin query on the main connection stalls every sign-in. The pool's
 * worker threads each hold a read-only connection to the same file; in WAL mode they read the last
 * committed state beside the one writer (https://www.sqlite.org/wal.html, "Concurrency"). A read
 * that exceeds its budget is stopped by terminating its worker (SQLite cannot be interrupted from
 * another thread through better-sqlite3), a fresh worker takes its place, and the caller gets a
 * StoreTimeoutError the HTTP layer turns into a clear 503.
 *
 * The worker's code is evaluated from a string so it runs the same under tsx and from dist/; it
 * loads better-sqlite3 from the path the main thread resolved.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const statements = new Map();
parentPort.on('message', ({ id, sql, params }) => {
  try {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (statements.size < 200) statements.set(sql, statement);
    }
    parentPort.postMessage({ id, rows: statement.all(...params) });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message || error), code: error && error.code } });
  }
});
`;

export interface ReadPool {
  /** Rows of one SELECT, read on a worker thread within `budgetMs` (the pool's default unless given). */
  all<T>(sql: string, params: readonly unknown[], budgetMs?: number): Promise<T[]>;
  close(): Promise<void>;
}

interface Waiting { resolve: (rows: unknown[]) => void; reject: (error: unknown) => void; timer: NodeJS.Timeout }
interface Slot { worker: Worker; busy: number; waiting: Map<number, Waiting> }

export function createReadPool(file: string, options: { size: number; budgetMs: number }): ReadPool {
  const driver = require.resolve('better-sqlite3');
  let nextId = 0;
  let closed = false;

  function spawn(): Slot {
    const slot: Slot = { worker: new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver } }), busy: 0, waiting: new Map() };
    slot.worker.unref();
    slot.worker.on('message', ({ id, rows, error }: { id: number; rows?: unknown[]; error?: { message: string } }) => {
      const waiting = slot.waiting.get(id);
      if (!waiting) return;
      slot.waiting.delete(id);
      slot.busy -= 1;
      clearTimeout(waiting.timer);
      if (error) waiting.reject(new Error(error.message));
      else waiting.resolve(rows!);
    });
    slot.worker.on('error', (error) => failAll(slot, error));
    slot.worker.on('exit', () => failAll(slot, new Error('the read worker stopped')));
    return slot;
  }

  function failAll(slot: Slot, error: unknown): void {
    for (const w of slot.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(error);
    }
    slot.waiting.clear();
    slot.busy = 0;
    const at = slots.indexOf(slot);
    if (at !== -1 && !closed) slots[at] = spawn();
  }

  const slots: Slot[] = Array.from({ length: Math.max(1, options.size) }, spawn);

  return {
    all<T>(sql: string, params: readonly unknown[], budgetMs = options.budgetMs) {
      if (closed) return Promise.reject(new Error('the read pool is closed'));
      const slot = slots.reduce((a, b) => (b.busy < a.busy ? b : a));
      const id = ++nextId;
      return new Promise<T[]>((resolve, reject) => {
        const timer = setTimeout(() => {
          slot.waiting.delete(id);
          // The worker is stuck in this statement: stop it; its other reads fail and are retried by nobody.
          failAll(slot, new StoreTimeoutError(budgetMs));
          reject(new StoreTimeoutError(budgetMs));
          void slot.worker.terminate();
        }, budgetMs);
        slot.waiting.set(id, { resolve: resolve as (rows: unknown[]) => void, reject, timer });
        slot.busy += 1;
        slot.worker.postMessage({ id, sql, params });
      });
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
