import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { HEALTHY, type HealthOptions } from '../health';
import { StoreConstraintError, StoreUnavailableError, type Store } from '../types';
import { watchDatabaseFile, type FileWatch } from './file-watch';
import { createLongReads } from './long-reads';
import { migrate } from './migrations';
import { createApplicationRepository } from './applications';
import { createGroupRepository, createUserRepository } from './directory';
import { createEventRepository } from './events';
import {
  createSessionRepository, createSettingsRepository, createSigningKeyRepository, createSsoStateRepository,
} from './records';
import {
  createIdmRepository, createImportRepository, createMfaRepository, createProvisioningRepository, createThrottleRepository,
} from './account-records';

/**
 * The file cannot take a write (SQLITE_READONLY: the write guard below, or a read-only file
 * system; SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN): like an unreachable server, nothing was
 * written and it is worth trying again later, so the HTTP layer answers 503 `store.unavailable`.
 */
const UNWRITABLE = /^SQLITE_(READONLY|IOERR|FULL|CANTOPEN)/;

/** Turn SQLite's failures into the store's own errors: constraints name the column. */
function translate(error: unknown, watch?: FileWatch): unknown {
  const e = error as { code?: string; message?: string };
  if (typeof e?.code === 'string' && UNWRITABLE.test(e.code)) {
    const health = watch?.check() ?? HEALTHY;
    return new StoreUnavailableError(`The database cannot be written: ${health.ok ? e.message : health.detail}`);
  }
  if (typeof e?.code !== 'string' || !e.code.startsWith('SQLITE_CONSTRAINT')) return error;
  const field = /failed: ([\w.]+)/.exec(e.message ?? '')?.[1] ?? 'unknown';
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new StoreConstraintError('unique', field, `${field} is already taken`);
  }
  if (e.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new StoreConstraintError('reference', field, 'a referenced record does not exist or is still in use');
  }
  return new StoreConstraintError('check', field, e.message ?? 'constraint failed');
}

/**
 * Wrap every method of a repository so driver errors never leak past the interface, and so the
 * write guard is up to date (at most one stat a second) before the call runs.
 */
function guarded<T extends object>(repository: T, before: () => void, watch?: FileWatch): T {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(repository)) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        before();
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (error) {
        throw translate(error, watch);
      }
    };
  }
  return wrapped as T;
}

/**
 * The database holds password hashes, sealed keys and sessions: owner-only (0600), in a 0700
 * directory when we create it. SQLite gives the -wal and -shm files the database file's mode.
 */
function restrictFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (fs.existsSync(f) && (fs.statSync(f).mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
  }
}

export function openSqliteStore(location: string, options: HealthOptions & { readBudgetMs?: number } = {}): Store {
  const file = location === ':memory:' ? undefined : path.resolve(location);
  if (file) restrictFile(file);
  const db = new Database(location);
  // WAL lets readers run beside the writer; NORMAL in WAL mode never corrupts and survives a
  // process crash (an OS crash may lose the last commits). Foreign keys are off by default in SQLite.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  // Planner statistics, as sqlite.org/pragma.html#pragma_optimize advises for long-lived
  // connections: analyse what needs it at open (a bounded sample per index, so it stays quick on
  // a large store), then again from housekeeping (refreshStatistics) and at close.
  db.pragma('analysis_limit = 1000');
  db.pragma('optimize = 0x10002');

  // Writes are refused while the file at the path is not the one open here (or cannot be
  // written): a write into a deleted or replaced file is a write no restart will see. The
  // connection is switched to `query_only` (https://sqlite.org/pragma.html#pragma_query_only),
  // so reads still answer from the open file and every write fails with SQLITE_READONLY, which
  // translate() turns into StoreUnavailableError (503). Switched between statements only, never
  // inside a unit of work.
  const watch = file ? watchDatabaseFile(file, options) : undefined;
  let queryOnly = false;
  const guard = (): void => {
    if (!watch || db.inTransaction) return;
    const refuse = !watch.check().ok;
    if (refuse === queryOnly) return;
    db.pragma(`query_only = ${refuse ? 'ON' : 'OFF'}`);
    queryOnly = refuse;
  };
  const g = <T extends object>(repository: T) => guarded(repository, guard, watch);

  const longReads = createLongReads(db, file, { budgetMs: options.readBudgetMs ?? 10_000 });
  const events = createEventRepository(db, longReads);
  let inTransaction = false;
  return {
    kind: 'sqlite',
    users: g(createUserRepository(db)),
    groups: g(createGroupRepository(db)),
    applications: g(createApplicationRepository(db)),
    signingKeys: g(createSigningKeyRepository(db)),
    events: g(events),
    sessions: g(createSessionRepository(db)),
    ssoState: g(createSsoStateRepository(db)),
    settings: g(createSettingsRepository(db)),
    throttle: g(createThrottleRepository(db)),
    mfa: g(createMfaRepository(db)),
    idm: g(createIdmRepository(db)),
    provisioning: g(createProvisioningRepository(db)),
    imports: g(createImportRepository(db)),
    /**
     * The SQLite repositories finish synchronously, so a unit of work that awaits only the store
     * runs inside one macrotask and nothing else can interleave with BEGIN…COMMIT. Work that waits
     * on real I/O would break that, so it is detected and refused.
     */
    async transaction(work) {
      if (inTransaction) return work();
      guard();
      const health = watch?.check() ?? HEALTHY;
      if (!health.ok) throw new StoreUnavailableError(`The database cannot be written: ${health.detail}`);
      let leakedToIo = false;
      const probe = setImmediate(() => { leakedToIo = true; });
      inTransaction = true;
      try {
        // Inside the try: a BEGIN that fails (busy past the timeout, read-only) must still reset
        // the flag and the probe below.
        db.exec('BEGIN IMMEDIATE');
        const result = await work();
        if (leakedToIo) throw new Error('store.transaction: the unit of work awaited I/O other than the store');
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw translate(error, watch);
      } finally {
        inTransaction = false;
        clearImmediate(probe);
      }
    },
    async health() {
      guard();
      return watch?.check() ?? HEALTHY;
    },
    async refreshStatistics() {
      db.pragma('optimize');
    },
    async close() {
      events.flush();
      // Best effort: a connection switched to query_only (the file vanished) cannot write statistics.
      try { db.pragma('optimize'); } catch { /* nothing to keep */ }
      await longReads.close();
      db.close();
    },
  };
}
