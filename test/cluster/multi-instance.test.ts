import crypto from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { authorizedUser, createUser, csrfFrom, readPostForm, SP_ACS, SP_ENTITY_ID, startGatehouse, type Harness } from '../helpers/harness';
import { runHousekeeping } from '../../src/services/background';
import { freshPostgresUrl, postgresAvailable } from '../helpers/postgres';
import { acceptedBySp, ssoUrl } from '../helpers/sso';
import { buildAuthnRequestXml, toPostForm, toRedirectQuery } from '../helpers/test-sp';

/**
 * Issue 10 #3: two Gatehouse instances on one PostgreSQL database behave as one IdP. Each instance
 * here is a full app (its own pool, key service and sessions middleware) on the same database, with
 * the shared secrets a deployment gives every instance.
 */
(postgresAvailable() ? describe : describe.skip)('Two instances on one PostgreSQL database', function () {
  this.timeout(60_000);
  let a: Harness;
  let b: Harness;
  const printed: string[][] = [];

  before(async () => {
    const shared = {
      DATABASE_URL: await freshPostgresUrl(), SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
      GATEHOUSE_KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'), GATEHOUSE_ADMIN_PASSWORD: '',
    };
    // First start of both at once: one creates the key and the admin, the other uses them.
    [a, b] = await Promise.all([startGatehouse(shared), startGatehouse(shared)]);
    printed.push(a.printed, b.printed);
  });
  after(async () => { await Promise.all([a?.close(), b?.close()]); });

  it('on a first start together, exactly one instance creates the signing key and the admin; both use them', async () => {
    const [keyA, keyB] = await Promise.all([a.ctx.keys.keyFor(undefined), b.ctx.keys.keyFor(undefined)]);
    expect(keyA.id).to.equal(keyB.id);
    expect((await a.ctx.store.signingKeys.list()).filter((k) => k.isDefault)).to.have.length(1);
    expect(await a.ctx.store.users.countAdmins()).to.equal(1);
    expect(printed.filter((lines) => lines.some((l) => l.includes('password:'))), 'one instance prints the password').to.have.length(1);
  });

  it('a sign-in on one instance is a session on the other, and an SP-initiated request continues there', async () => {
    const { app, user } = await authorizedUser(a);
    const login = await request(a.app).get('/login').expect(200);
    const cookie = (login.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    const signedIn = await request(a.app).post('/login').set('Cookie', cookie).type('form')
      .send({ _csrf: csrfFrom(login.text), username: user.username, password: user.password }).expect(303);
    const session = [cookie, ...(signedIn.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0])].join('; ');
    // The POST binding arrives at instance A; the same-site continue hop lands on instance B.
    const xml = buildAuthnRequestXml({ id: '_across-1', issuer: SP_ENTITY_ID, destination: ssoUrl(app.slug), acsUrl: SP_ACS, issueInstant: a.clock.now() });
    const hop = await request(a.app).post(`/saml2/${app.slug}`).type('form').send(toPostForm(xml)).expect(303);
    const post = await request(b.app).get(new URL(hop.headers.location).pathname).set('Cookie', session).expect(200);
    await acceptedBySp(b, app, readPostForm(post.text), { inResponseTo: '_across-1' });
  });

  it('the same AuthnRequest sent to both instances at once is answered once', async () => {
    const { app } = await authorizedUser(a);
    const xml = buildAuthnRequestXml({ id: '_twice-1', issuer: SP_ENTITY_ID, destination: ssoUrl(app.slug), acsUrl: SP_ACS, issueInstant: a.clock.now() });
    const query = toRedirectQuery(xml);
    const answers = await Promise.all([a, b].map((h) => request(h.app).get(`/saml2/${app.slug}?${query}`).set('Accept', 'application/json')));
    const statuses = answers.map((r) => r.status).sort();
    // Not signed in: the fresh one goes to sign in (303); the replay is refused (400).
    expect(statuses).to.deep.equal([303, 400]);
    expect(answers.find((r) => r.status === 400)!.body.code).to.equal('saml.request_replayed');
  });

  it('counts failed sign-ins sent to both instances at once, every one of them', async () => {
    const user = await createUser(a);
    const attempt = async (h: Harness) => {
      const page = await request(h.app).get('/login').expect(200);
      const cookie = (page.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
      return request(h.app).post('/login').set('Cookie', cookie).type('form')
        .send({ _csrf: csrfFrom(page.text), username: user.username, password: 'not the password at all' });
    };
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => attempt(i % 2 ? a : b)));
    const counted = answers.filter((r) => r.status === 401).length;
    expect(counted, 'some reach the password check').to.be.greaterThan(5);
    expect(answers.every((r) => r.status === 401 || r.status === 429)).to.equal(true);
    expect((await a.ctx.store.throttle.find(`login:id:${user.id}`))?.failures).to.equal(counted);
  });

  it('runs housekeeping once per interval, on whichever instance takes the turn', async () => {
    const expiredAt = new Date(a.clock.now().getTime() - 1000).toISOString();
    await a.ctx.store.sessions.set('expired-session', '{}', expiredAt, null);
    const ran = await Promise.all([runHousekeeping(a.ctx), runHousekeeping(b.ctx), runHousekeeping(a.ctx), runHousekeeping(b.ctx)]);
    expect(ran.filter(Boolean)).to.have.length(1);
    const rows = await a.ctx.store.sessions.purgeExpired(a.clock.now().toISOString());
    expect(rows, 'the pass that ran purged the expired session').to.equal(0);
    a.clock.advance(61);
    b.clock.advance(61);
    expect((await Promise.all([runHousekeeping(b.ctx), runHousekeeping(a.ctx)])).filter(Boolean)).to.have.length(1);
  });

  it('of two admins demoted at once on the two instances, one stays: the other demotion is refused with users.last_admin', async () => {
    const [first] = (await a.api().get('/api/v1/users?q=admin@gatehouse.local').expect(200)).body.items;
    const second = await createUser(a, { isAdmin: true });
    expect(await a.ctx.store.users.countAdmins()).to.equal(2);
    // Each instance sees two admins; only one of the demotions may commit.
    const answers = await Promise.all([
      a.api().patch(`/api/v1/users/${first.id}`).send({ isAdmin: false }),
      b.api().patch(`/api/v1/users/${second.id}`).send({ isAdmin: false }),
    ]);
    expect(answers.map((r) => r.status).sort()).to.deep.equal([200, 409]);
    expect(answers.find((r) => r.status === 409)!.body.code).to.equal('users.last_admin');
    expect(await a.ctx.store.users.countAdmins()).to.equal(1);
  });

  it('of two admins deleted at once on the two instances, one stays: the other deletion is refused with users.last_admin', async () => {
    const [one, two] = [await createUser(a, { isAdmin: true }), await createUser(a, { isAdmin: true })];
    // Exactly these two are admins, whatever the cases before left.
    for (const u of (await a.ctx.store.users.list({ limit: 1000, offset: 0 })).items) {
      if (u.isAdmin && u.id !== one.id && u.id !== two.id) await a.ctx.store.users.update(u.id, { isAdmin: false }, a.clock.now().toISOString());
    }
    expect(await a.ctx.store.users.countAdmins()).to.equal(2);
    const answers = await Promise.all([a.api().delete(`/api/v1/users/${one.id}`), b.api().delete(`/api/v1/users/${two.id}`)]);
    expect(answers.map((r) => r.status).sort()).to.deep.equal([204, 409]);
    expect(answers.find((r) => r.status === 409)!.body.code).to.equal('users.last_admin');
    expect(await a.ctx.store.users.countAdmins()).to.equal(1);
  });
});
