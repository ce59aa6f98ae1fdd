import { expect } from 'chai';
import pg from 'pg';
import request from 'supertest';
import { startGatehouse, type Harness } from '../helpers/harness';
import { freshPostgresUrl, postgresAvailable } from '../helpers/postgres';

/**
 * Issue 10 #7: when the database cannot be reached, sign-ins fail with a clear page (503 with
 * Retry-After, no stack trace), nothing is half-written, and Gatehouse recovers by itself once the
 * database is back, without a restart.
 */
(postgresAvailable() ? describe : describe.skip)('When PostgreSQL is unreachable', function () {
  this.timeout(60_000);
  let h: Harness;
  let url: string;
  let admin: pg.Client;
  const database = () => new URL(url).pathname.slice(1);

  before(async () => {
    url = await freshPostgresUrl();
    h = await startGatehouse({ DATABASE_URL: url });
    const server = new URL(url);
    admin = new pg.Client({ host: server.hostname, port: Number(server.port), user: server.username, database: 'postgres' });
    await admin.connect();
  });
  after(async () => {
    await admin.query(`ALTER DATABASE ${database()} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin.end();
    await h.close();
  });

  it('answers 503 with a clear page and Retry-After, then serves again once the database is back', async () => {
    await request(h.app).get('/login').expect(200);
    // The database goes away: no new connections, and the pool's connections are cut.
    await admin.query(`ALTER DATABASE ${database()} ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database()]);

    const page = await request(h.app).post('/api/v1/users').set('Authorization', `Bearer ${h.ctx.config.adminToken}`)
      .send({ username: 'while-down', email: 'while-down@example.com' });
    expect(page.status).to.equal(503);
    expect(page.body).to.include({ code: 'store.unavailable' });
    expect(page.headers['retry-after']).to.match(/^\d+$/);
    // A browser arriving from an SP gets a page a person can read, not a stack trace.
    const html = await request(h.app).get('/saml2/wiki').set('Accept', 'text/html');
    expect(html.status).to.equal(503);
    expect(html.text).to.contain('cannot reach its database').and.not.to.match(/at \w+ \(/);
    // /healthz says so too (it asks the database, an answer kept for a second of the clock).
    h.clock.advance(2);
    const health = await request(h.app).get('/healthz');
    expect(health.status).to.equal(503);
    expect(health.body).to.include({ status: 'unavailable', code: 'store.unreachable' });

    await admin.query(`ALTER DATABASE ${database()} ALLOW_CONNECTIONS true`);
    await request(h.app).get('/login').expect(200);
    h.clock.advance(2);
    expect((await request(h.app).get('/healthz')).body).to.deep.equal({ status: 'ok' });
    expect(await h.ctx.store.users.findByLogin('while-down')).to.equal(undefined);
  });
});
