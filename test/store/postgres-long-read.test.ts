import { expect } from 'chai';
import { StoreTimeoutError } from '../../src/store';
import { createPgDatabase, type PgDatabase } from '../../src/store/postgres/db';
import { freshPostgresUrl, postgresAvailable } from '../helpers/postgres';

/** Issue 11 #2 on PostgreSQL: long reads on their own pool, stopped by the server at their budget. */
(postgresAvailable() ? describe : describe.skip)('PostgreSQL long reads', function () {
  this.timeout(30_000);
  let db: PgDatabase;
  before(async () => { db = createPgDatabase(await freshPostgresUrl(), { poolSize: 4, fieldOf: {}, readBudgetMs: 300 }); });
  after(async () => { await db.close(); });

  it('stops a read past its budget with StoreTimeoutError, and serves the next one', async () => {
    const error = await db.longRead('SELECT pg_sleep(2)').then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(StoreTimeoutError);
    expect((error as StoreTimeoutError).budgetMs).to.equal(300);
    expect(await db.longRead('SELECT $1::int AS n', [7])).to.deep.equal([{ n: 7 }]);
  });

  it('leaves the main pool without the budget: a unit of work may take longer', async () => {
    expect((await db.one<{ statement_timeout: string }>('SHOW statement_timeout'))!.statement_timeout).to.equal('0');
    expect((await db.longRead<{ statement_timeout: string }>('SHOW statement_timeout'))[0].statement_timeout).to.equal('300ms');
  });

  it('reads inside a transaction on its client, seeing the unit of work', async () => {
    await db.query('CREATE TABLE IF NOT EXISTS long_read_probe (n int)');
    const seen = await db.transaction(async () => {
      await db.query('INSERT INTO long_read_probe VALUES (1)');
      return db.longRead<{ c: string }>('SELECT count(*) AS c FROM long_read_probe');
    });
    expect(seen).to.deep.equal([{ c: '1' }]);
  });
});
