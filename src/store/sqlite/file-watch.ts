import fs from 'node:fs';
import path from 'node:path';
import type { StoreHealth } from '../types';
import { createHealthState, HEALTHY, type HealthOptions } from '../health';

/**
 * The identity of the database file (device + inode) as it was opened, compared with the file at
 * the configured path. SQLite keeps reading and writing the descriptor it opened: when the data
 * directory is deleted, or a file is restored or copied over the path while Gatehouse runs,
 * SQLite notices nothing, every write lands in a file no later start will open, and a restart
 * silently begins from whatever is at the path (issue 11: "lost everything silently").
 */
export interface FileWatch {
  /** The file's state, from a stat at most HEALTH_CACHE_MS old. */
  check(): StoreHealth;
}

/** Not found, or a path component is no longer a directory. */
const GONE = new Set(['ENOENT', 'ENOTDIR']);

export function watchDatabaseFile(file: string, options: HealthOptions): FileWatch {
  const opened = fs.statSync(file, { bigint: true });
  const dir = path.dirname(file);
  const state = createHealthState(options);

  const probe = (): StoreHealth => {
    let now: fs.BigIntStats | undefined;
    let failure: NodeJS.ErrnoException | undefined;
    try {
      now = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
    } catch (error) {
      failure = error as NodeJS.ErrnoException;
    }
    if (failure && !GONE.has(failure.code ?? '')) {
      return {
        ok: false, code: 'store.not_writable',
        reason: 'The database file cannot be reached (permissions on its directory, or an I/O error).',
        detail: `${file}: ${failure.message}`,
      };
    }
    if (!now) {
      return {
        ok: false, code: 'store.file_missing',
        reason: 'The database file was deleted (or its directory removed) while Gatehouse had it open; writes are refused so that none is lost. Restore it from backup and restart Gatehouse.',
        detail: `${file} no longer exists`,
      };
    }
    if (now.ino !== opened.ino || now.dev !== opened.dev) {
      return {
        ok: false, code: 'store.file_replaced',
        reason: 'The file at the database path is not the one Gatehouse opened (it was replaced or restored underneath); writes are refused. Put the original back, or restart Gatehouse to open the new file.',
        detail: `${file} is inode ${now.ino} on device ${now.dev}; Gatehouse opened inode ${opened.ino} on device ${opened.dev}`,
      };
    }
    try {
      // The directory too: SQLite creates its -wal and -shm files beside the database.
      fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
      fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    } catch (error) {
      return {
        ok: false, code: 'store.not_writable',
        reason: 'The database file or its directory cannot be written (permissions, or a read-only file system).',
        detail: `${file}: ${(error as Error).message}`,
      };
    }
    return HEALTHY;
  };

  return {
    check: () => state.fresh() ?? state.record(probe()),
  };
}
