import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreConstraintError, type Store } from '../types';
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

/** Turn SQLite's constraint failures into the store's own error, naming the column. */
function translate(error: unknown): unknown {
  const e = error as { code?: string; message?: string };
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

/** Wrap every method of a repository so driver errors never leak past the interface. */
function guarded<T extends object>(repository: T): T {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(repository)) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (error) {
        throw translate(error);
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

export function openSqliteStore(location: string): Store {
  if (location !== ':memory:') restrictFile(path.resolve(location));
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

  const events = createEventRepository(db);
  let inTransaction = false;
  return {
    kind: 'sqlite',
    users: guarded(createUserRepository(db)),
    groups: guarded(createGroupRepository(db)),
    applications: guarded(createApplicationRepository(db)),
    signingKeys: guarded(createSigningKeyRepository(db)),
    events: guarded(events),
    sessions: guarded(createSessionRepository(db)),
    ssoState: guarded(createSsoStateRepository(db)),
    settings: guarded(createSettingsRepository(db)),
    throttle: guarded(createThrottleRepository(db)),
    mfa: guarded(createMfaRepository(db)),
    idm: guarded(createIdmRepository(db)),
    provisioning: guarded(createProvisioningRepository(db)),
    imports: guarded(createImportRepository(db)),
    /**
     * The SQLite repositories finish synchronously, so a unit of work that awaits only the store
     * runs inside one macrotask and nothing else can interleave with BEGIN…COMMIT. Work that waits
     * on real I/O would break that, so it is detected and refused.
     */
    async transaction(work) {
      if (inTransaction) return work();
      let leakedToIo = false;
      const probe = setImmediate(() => { leakedToIo = true; });
      inTransaction = true;
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work();
        if (leakedToIo) throw new Error('store.transaction: the unit of work awaited I/O other than the store');
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw translate(error);
      } finally {
        inTransaction = false;
        clearImmediate(probe);
      }
    },
    async refreshStatistics() {
      db.pragma('optimize');
    },
    async close() {
      events.flush();
      db.pragma('optimize');
      db.close();
    },
  };
}
