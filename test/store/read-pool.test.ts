import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { createReadPool, type ReadPool } from '../../src/store/sqlite/read-pool';
import { StoreTimeoutError } from '../../src/store';

/** A read long enough to notice: SQLite counts to `n` in a recursive CTE (no table needed). */
const slowCount = (n: number) => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) SELECT count(*) AS n FROM c`;

describe('SQLite read pool: long reads on worker threads', function () {
  this.timeout(30_000);
  let dir: string;
  let db: Database.Database;
  let pool: ReadPool;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-read-pool-'));
    db = new Database(path.join(dir, 'store.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (n INTEGER)');
    pool = createReadPool(path.join(dir, 'store.db'), { size: 2, budgetMs: 10_000 });
  });
  afterEach(async () => {
    await pool.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads what the main connection committed, beside its writes', async () => {
    db.prepare('INSERT INTO t VALUES (?)').run(1);
    expect(await pool.all('SELECT n FROM t ORDER BY n', [])).to.deep.equal([{ n: 1 }]);
    db.prepare('INSERT INTO t VALUES (?)').run(2);
    expect(await pool.all('SELECT count(*) AS c FROM t WHERE n >= ?', [1])).to.deep.equal([{ c: 2 }]);
  });

  it('keeps the event loop turning while a long read runs', async () => {
    let turns = 0;
    const ticker = setInterval(() => { turns += 1; }, 5);
    const [{ n }] = await pool.all<{ n: number }>(slowCount(3_000_000), []);
    clearInterval(ticker);
    expect(n).to.equal(3_000_000);
    // On the main connection the same statement would block every timer until it returned.
    expect(turns, 'timer callbacks that ran during the read').to.be.greaterThan(0);
  });

  it('stops a read at its budget with StoreTimeoutError, and serves the next read', async () => {
    const error = await pool.all(slowCount(500_000_000), [], 100).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(StoreTimeoutError);
    expect((error as StoreTimeoutError).budgetMs).to.equal(100);
    db.prepare('INSERT INTO t VALUES (?)').run(3);
    expect(await pool.all('SELECT n FROM t', [])).to.deep.equal([{ n: 3 }]);
  });

  it('reports a bad statement as an error of that read only', async () => {
    const error = await pool.all('SELECT nope FROM t', []).then(() => undefined, (e: unknown) => e);
    expect(String(error)).to.contain('no such column');
    expect(await pool.all('SELECT 1 AS one', [])).to.deep.equal([{ one: 1 }]);
  });
});
