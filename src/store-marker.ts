import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config';
import type { Logger } from './log';
import type { Store } from './store';

/**
 * Start-up never begins a new, empty store where one existed (issue 11 #3). The rule:
 *
 *   Gatehouse creates a new, empty store only where the store marker records none: on the very
 *   first run, or with `--init` (GATEHOUSE_INIT=true).
 *
 * The marker is `<GATEHOUSE_CERTS_DIR>/stores.json` (default ./certs, beside ./data rather than
 * in it: a marker inside the data directory would vanish with it). It maps each store location
 * this installation initialised (`sqlite:<absolute path>`, or `postgres://host:port/db` without
 * credentials) to the id and date the store itself keeps in its settings. A store is new when it
 * has neither a store id nor an admin: a SQLite file that does not exist (refused before it is
 * created, so nothing is left behind) or is empty, or a PostgreSQL database without Gatehouse's
 * data (dropped and recreated, or the wrong database). A store restored from backup keeps its id
 * and starts as usual; a store with a different id (another installation's) starts with a warning
 * and is recorded instead. `sqlite::memory:` is throwaway by definition and is not recorded.
 */
export const MARKER_FILE = 'stores.json';
const STORE_ID = 'store_id';
const STORE_INITIALIZED_AT = 'store_initialized_at';

export interface MarkerEntry {
  kind: Store['kind'];
  id: string;
  initializedAt: string;
}

interface MarkerFile {
  about: string;
  stores: Record<string, MarkerEntry>;
}

const ABOUT = 'Stores this Gatehouse installation initialised. Start-up refuses to create a new, empty store at a location listed here unless started with --init (GATEHOUSE_INIT=true). See README, "Data directory".';

/** Start-up refused: a recorded store is missing or empty. The message says what to do. */
export class StoreMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreMissingError';
  }
}

/** Where a DATABASE_URL points, without credentials; undefined for a throwaway in-memory store. */
export function storeLocation(databaseUrl: string): string | undefined {
  if (databaseUrl === 'sqlite::memory:') return undefined;
  if (databaseUrl.startsWith('sqlite:')) return `sqlite:${path.resolve(databaseUrl.slice('sqlite:'.length))}`;
  const url = new URL(databaseUrl);
  return `postgres://${url.hostname}:${url.port || '5432'}${url.pathname}`;
}

export interface StoreMarker {
  /** Before the store opens: a recorded SQLite file that is gone is not created anew. */
  beforeOpen(): void;
  /** After it opened (migrated): refuse a new store where one is recorded; record this one. */
  afterOpen(store: Store, now: Date): Promise<void>;
}

export function openStoreMarker(config: Readonly<Config>, log: Logger): StoreMarker | undefined {
  const location = storeLocation(config.databaseUrl);
  if (!location) return undefined;
  const file = path.resolve(config.certsDir, MARKER_FILE);
  const marker = readMarker(file);
  const recorded = marker.stores[location] as MarkerEntry | undefined;
  const shown = location.replace(/^sqlite:/, '');

  const refusal = (state: string) => new StoreMissingError(
    `The store at ${shown} was initialised on ${recorded!.initializedAt} (store id ${recorded!.id}) and is ${state}. `
    + 'Restore it from backup (README, "Data directory"), or start with --init (or GATEHOUSE_INIT=true) to create a new, empty store there. '
    + `(Recorded in ${file}.)`,
  );

  return {
    beforeOpen() {
      if (!recorded || config.init || !location.startsWith('sqlite:')) return;
      if (!fs.existsSync(shown)) throw refusal(fs.existsSync(path.dirname(shown)) ? 'missing' : 'missing, with its directory');
    },
    async afterOpen(store, now) {
      const isNew = !(await store.settings.get(STORE_ID)) && (await store.users.countAdmins()) === 0;
      if (isNew && recorded) {
        if (!config.init) throw refusal('empty');
        log.warn('Creating a new, empty store in place of the recorded one (--init / GATEHOUSE_INIT)', { location: shown, replaces: recorded });
      } else if (!isNew && config.init) {
        log.warn('GATEHOUSE_INIT (--init) is set, but the store exists and is used as it is; unset it, so that a store that vanishes later is refused again', { location: shown });
      }
      // First writer wins: instances starting together on one new database agree on one id.
      const id = await store.settings.setIfAbsent(STORE_ID, crypto.randomUUID());
      const initializedAt = await store.settings.setIfAbsent(STORE_INITIALIZED_AT, now.toISOString());
      if (recorded && !isNew && recorded.id !== id) {
        log.warn('The store at this location is not the one recorded here (another installation\'s, or a different copy); recording it instead', { location: shown, recorded, found: { id, initializedAt } });
      }
      const entry: MarkerEntry = { kind: store.kind, id, initializedAt };
      if (recorded && recorded.kind === entry.kind && recorded.id === entry.id && recorded.initializedAt === entry.initializedAt) return;
      writeMarker(file, { about: ABOUT, stores: { ...readMarker(file).stores, [location]: entry } }, log);
      if (location.startsWith('sqlite:') && !path.relative(path.dirname(shown), file).startsWith('..')) {
        log.warn('The store marker is inside the database\'s directory, so it vanishes with it; set GATEHOUSE_CERTS_DIR to a directory outside it', { marker: file, location: shown });
      }
    },
  };
}

/** The marker, or an empty one when there is none yet; an unreadable marker stops start-up. */
function readMarker(file: string): MarkerFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { about: ABOUT, stores: {} };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<MarkerFile>;
    if (parsed && typeof parsed.stores === 'object' && parsed.stores !== null) return { about: ABOUT, stores: parsed.stores };
  } catch {
    // fall through to the refusal below
  }
  throw new StoreMissingError(`The store marker ${file} cannot be read (it is not the JSON Gatehouse writes). Repair it, or remove it if every store it lists is gone for good.`);
}

/**
 * Written whole to a temporary file and renamed over the old one, so a crash never leaves half a
 * marker. A marker that cannot be written only costs the start-up check, so it is a warning.
 */
function writeMarker(file: string, marker: MarkerFile, log: Logger): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(temporary, `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    log.warn('Cannot record the store in the store marker; a store that vanishes will not be noticed at start-up', { marker: file, error });
  }
}
