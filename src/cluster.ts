import cluster, { type Worker } from 'node:cluster';
import { createContext } from './bootstrap';
import type { Config } from './config';
import type { LogFields, Logger } from './log';

/**
 * WORKERS=<n>|auto (issue 10 #4): n processes serve one port with node:cluster. The primary
 * accepts connections and hands them to the workers round-robin (Node's default scheduling on
 * Linux, https://nodejs.org/api/cluster.html#how-it-works); it serves no request itself.
 *
 * The primary does the one-time work first, so it happens once and is printed once: it opens
 * the store (migrations run; SQLite in WAL mode with a busy timeout, PostgreSQL under its
 * advisory lock), creates the first-start records (default signing key, first admin — printing a
 * generated password — and the generated session secret), then closes the store and forks. Each
 * worker then opens the store itself and finds everything in place.
 */

/** Wait this long before replacing a worker that died young, doubling per crash in a row. */
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** A worker that lived this long was healthy: its death does not count as a crash loop. */
const HEALTHY_AFTER_MS = 10_000;
/** SIGTERM: workers get this long to finish in-flight requests (they give themselves 10 s). */
const STOP_TIMEOUT_MS = 15_000;

/** Crashes in a row after a worker that lived `livedMs` died: a healthy one resets the count. */
export function crashesInARow(previous: number, livedMs: number): number {
  return livedMs >= HEALTHY_AFTER_MS ? 0 : previous + 1;
}

/** How long to wait before forking the replacement: at once, or doubling from 0.5 s up to 30 s. */
export function replacementDelayMs(crashes: number): number {
  return crashes === 0 ? 0 : Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (crashes - 1));
}

/** A logger whose every line names the process it comes from ("which worker"). */
export function tagged(log: Logger, fields: LogFields): Logger {
  return {
    debug: (m, f) => log.debug(m, { ...fields, ...f }),
    info: (m, f) => log.info(m, { ...fields, ...f }),
    warn: (m, f) => log.warn(m, { ...fields, ...f }),
    error: (m, f) => log.error(m, { ...fields, ...f }),
  };
}

/** Fields that name this process in its logs: the cluster worker's id and pid. */
export function workerFields(): LogFields {
  return cluster.isWorker ? { worker: cluster.worker!.id, pid: process.pid } : {};
}

export async function runPrimary(config: Readonly<Config>, baseLog: Logger): Promise<void> {
  const log = tagged(baseLog, { worker: 'primary', pid: process.pid });
  const ctx = await createContext(config, { log });
  await ctx.store.close();

  const startedAt = new Map<Worker, number>();
  let crashes = 0;
  let stopping = false;
  const pending = new Set<NodeJS.Timeout>();

  // The primary has done any --init / GATEHOUSE_INIT above; a worker opens the store it made.
  cluster.setupPrimary({ args: [] });
  const fork = () => {
    const worker = cluster.fork({ GATEHOUSE_INIT: '' });
    startedAt.set(worker, Date.now());
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? Date.now());
    startedAt.delete(worker);
    if (stopping) {
      if (startedAt.size === 0) {
        log.info('All workers stopped');
        process.exit(0);
      }
      return;
    }
    // A worker that dies right after starting (database down, a bad deploy) would otherwise be
    // re-forked in a tight loop: back off exponentially, and reset once a worker stays up.
    crashes = crashesInARow(crashes, lived);
    const delay = replacementDelayMs(crashes);
    log.warn('Worker exited; starting a replacement', { exited: worker.id, exitedPid: worker.process.pid, code, signal, livedMs: lived, delayMs: delay });
    const timer = setTimeout(() => { pending.delete(timer); fork(); }, delay);
    pending.add(timer);
  });

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('Stopping the workers', { signal, workers: startedAt.size });
    for (const timer of pending) clearTimeout(timer);
    pending.clear();
    if (startedAt.size === 0) process.exit(0);
    // Each worker stops as a single process does on SIGTERM: in-flight requests finish, then
    // the store closes.
    for (const worker of startedAt.keys()) worker.process.kill('SIGTERM');
    setTimeout(() => {
      log.error('Workers did not stop in time; killing them', { workers: startedAt.size });
      for (const worker of startedAt.keys()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  log.info('Starting workers', { workers: config.workers, port: config.port });
  for (let i = 0; i < config.workers; i++) fork();
}
