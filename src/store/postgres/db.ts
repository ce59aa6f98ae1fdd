import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { StoreConstraintError, StoreTimeoutError, StoreUnavailableError } from '../types';

/**
 * The PostgreSQL connection of one store: a bounded pool, and transactions carried in
 * AsyncLocalStorage, so the services' `store.transaction(async () => …)` needs no handle: every
 * repository call made inside the unit of work runs on the transaction's own client, and calls
 * made elsewhere meanwhile (other requests) use other pooled clients and never see its writes
 * before COMMIT. (better-sqlite3 is synchronous and has one connection; this driver is neither.)
 */
export type Row = Record<string, unknown>;

export interface PgDatabase {
  /** Run one statement on the current transaction's client, or on a pooled one. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult<T>>;
  /** The first row, or undefined. */
  one<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  many<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** BEGIN … COMMIT on one client; nested calls join the outer transaction. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Run `work` so that a statement failing in it does not abort the surrounding transaction, as a
   * failed statement in SQLite undoes only itself: a service may catch a StoreConstraintError
   * inside `store.transaction` and go on (read who holds the value, answer 409). Outside a
   * transaction it simply runs `work`. A unit of work runs its store calls one after another (as
   * it must on SQLite): a sibling call run concurrently in the same transaction would be undone
   * with a failed savepoint.
   */
  savepoint<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Inside a transaction, queue `work` to run on its client once the unit of work has finished,
   * just before COMMIT, and return true; outside one, return false. Work queued under a savepoint
   * that rolls back is dropped with it. (The events repository numbers its rows here, so that
   * event ids follow commit order: records-events.ts.)
   */
  beforeCommit(work: () => Promise<void>): boolean;
  /**
   * A long read (admin lists, Directory Insights, exports) on its own small pool whose sessions
   * carry `statement_timeout`: the server stops a read past the budget (SQLSTATE 57014), which
   * becomes StoreTimeoutError, and long reads never take the connections sign-ins need. Inside a
   * transaction it runs on the transaction's client instead (it must see the unit's writes).
   */
  longRead<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * PostgreSQL error codes (Appendix A) to the store's own error. The field is the constraint's
 * name as the schema declares it (`users_username_key` → `users.username`, see FIELD_OF), so the
 * HTTP layer maps one set of names whatever the driver.
 */
/**
 * The server cannot be reached, or refuses or drops the connection (SQLSTATE class 08, 57P01–03
 * shutdown, 53300 too many connections, 55000 "does not allow connections"; the socket's own
 * errors; node-postgres's "Connection terminated"). The pool opens new connections on the next
 * call, so Gatehouse recovers by itself once the database is back.
 */
const UNREACHABLE_SQLSTATE = /^(08|57P0[123]|53300|55000)/;
const UNREACHABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

function isUnreachable(e: { code?: string; message?: string }): boolean {
  if (typeof e?.code === 'string' && (UNREACHABLE_SQLSTATE.test(e.code) || UNREACHABLE_ERRNO.has(e.code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(e?.message ?? '');
}

export function translatePgError(error: unknown, fieldOf: Readonly<Record<string, string>>): unknown {
  const e = error as { code?: string; constraint?: string; message?: string; table?: string; column?: string };
  if (error instanceof StoreConstraintError || error instanceof StoreUnavailableError) return error;
  if (isUnreachable(e)) return new StoreUnavailableError(`The database cannot be reached: ${e.message ?? e.code}`);
  if (typeof e?.code !== 'string' || !e.code.startsWith('23')) return error;
  const field = (e.constraint && fieldOf[e.constraint]) ?? (e.table && e.column ? `${e.table}.${e.column}` : e.constraint ?? 'unknown');
  if (e.code === '23505') return new StoreConstraintError('unique', field, `${field} is already taken`);
  if (e.code === '23503') return new StoreConstraintError('reference', field, 'a referenced record does not exist or is still in use');
  return new StoreConstraintError('check', field, e.message ?? 'constraint failed');
}

/** One transaction: its client, and the work to run just before its COMMIT. */
interface Unit {
  client: pg.PoolClient;
  beforeCommit: (() => Promise<void>)[];
}

export function createPgDatabase(connectionString: string, options: {
  poolSize: number; fieldOf: Readonly<Record<string, string>>; readBudgetMs?: number;
}): PgDatabase {
  // A bounded wait for a connection: an unreachable server fails the request (503) instead of
  // holding it open until the client gives up.
  const pool = new pg.Pool({ connectionString, max: options.poolSize, connectionTimeoutMillis: 5000 });
  // An idle client that errors (the server restarted) is dropped by the pool; without a listener
  // the error would crash the process.
  pool.on('error', () => undefined);
  const readBudgetMs = options.readBudgetMs ?? 10_000;
  const longReads = new pg.Pool({
    connectionString, max: Math.max(1, Math.min(4, Math.floor(options.poolSize / 4))), connectionTimeoutMillis: 5000,
    statement_timeout: readBudgetMs,
  });
  longReads.on('error', () => undefined);
  const current = new AsyncLocalStorage<Unit>();
  let savepoints = 0;
  const run = async <T extends Row>(sql: string, params: readonly unknown[] = []) => {
    try {
      const client = current.getStore()?.client;
      return (await (client ?? pool).query(sql, params as unknown[])) as pg.QueryResult<T>;
    } catch (error) {
      throw translatePgError(error, options.fieldOf);
    }
  };
  return {
    pool,
    query: run,
    async one<T extends Row>(sql: string, params?: readonly unknown[]) {
      return (await run<T>(sql, params)).rows[0] as T | undefined;
    },
    async many<T extends Row>(sql: string, params?: readonly unknown[]) {
      return (await run<T>(sql, params)).rows as T[];
    },
    async transaction(work) {
      if (current.getStore()) return work();
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw translatePgError(error, options.fieldOf);
      }
      const unit: Unit = { client, beforeCommit: [] };
      try {
        await client.query('BEGIN');
        const result = await current.run(unit, async () => {
          const value = await work();
          // Queued work may queue more; each runs once, in order.
          for (let i = 0; i < unit.beforeCommit.length; i++) await unit.beforeCommit[i]();
          return value;
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw translatePgError(error, options.fieldOf);
      } finally {
        client.release();
      }
    },
    async longRead<T extends Row>(sql: string, params: readonly unknown[] = []) {
      if (current.getStore()) return (await run<T>(sql, params)).rows as T[];
      try {
        return (await longReads.query(sql, params as unknown[])).rows as T[];
      } catch (error) {
        if ((error as { code?: string }).code === '57014') throw new StoreTimeoutError(readBudgetMs);
        throw translatePgError(error, options.fieldOf);
      }
    },
    beforeCommit(work) {
      const unit = current.getStore();
      if (!unit) return false;
      unit.beforeCommit.push(work);
      return true;
    },
    async savepoint(work) {
      const unit = current.getStore();
      if (!unit) return work();
      const { client } = unit;
      const queued = unit.beforeCommit.length;
      const name = `gatehouse_${++savepoints}`;
      await client.query(`SAVEPOINT ${name}`);
      try {
        const result = await work();
        await client.query(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (error) {
        await client.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
        unit.beforeCommit.length = queued;
        throw error;
      }
    },
    async close() {
      await Promise.all([pool.end(), longReads.end()]);
    },
  };
}
