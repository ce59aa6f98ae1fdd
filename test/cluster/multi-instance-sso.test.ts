import crypto from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { authorizedUser, csrfFrom, readPostForm, SP_ACS, SP_ENTITY_ID, startGatehouse, type Harness } from '../helpers/harness';
import { freshPostgresUrl, postgresAvailable } from '../helpers/postgres';
import { acceptedBySp, ssoUrl } from '../helpers/sso';
import { buildAuthnRequestXml, toRedirectQuery } from '../helpers/test-sp';

/**
 * Issue 10 #5: a browser behind a load balancer without sticky sessions. Every request of a
 * journey goes to the other instance than the one before; each SAML Response is checked by
 * node-saml (and xmlsec1) like every other in the suite.
 */
class AlternatingBrowser {
  private readonly jar = new Map<string, string>();
  private turn = 0;
  readonly served: number[] = [];
  constructor(private readonly instances: Harness[]) {}

  private next(): Harness {
    const index = this.turn++ % this.instances.length;
    this.served.push(index);
    return this.instances[index];
  }

  private keep(res: request.Response): request.Response {
    for (const line of (res.headers['set-cookie'] as unknown as string[] | undefined) ?? []) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      this.jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return res;
  }

  private get cookie(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async get(path: string): Promise<request.Response> {
    return this.keep(await request(this.next().app).get(path).set('Cookie', this.cookie));
  }

  async post(path: string, form: Record<string, string>): Promise<request.Response> {
    return this.keep(await request(this.next().app).post(path).set('Cookie', this.cookie).type('form').send(form));
  }
}

(postgresAvailable() ? describe : describe.skip)('Two instances on one PostgreSQL database, requests alternating', function () {
  this.timeout(60_000);
  let a: Harness;
  let b: Harness;

  before(async () => {
    const shared = {
      DATABASE_URL: await freshPostgresUrl(), SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
      GATEHOUSE_KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'),
    };
    a = await startGatehouse(shared);
    b = await startGatehouse(shared);
  });
  after(async () => { await Promise.all([a?.close(), b?.close()]); });

  const pathOf = (location: string) => new URL(location, 'http://gatehouse.test').pathname + new URL(location, 'http://gatehouse.test').search;

  it('SP-initiated: the request, the sign-in form, the password and the Response each on the other instance', async () => {
    const { app, user } = await authorizedUser(a);
    const browser = new AlternatingBrowser([a, b]);
    const xml = buildAuthnRequestXml({ id: '_alternating-sp', issuer: SP_ENTITY_ID, destination: ssoUrl(app.slug), acsUrl: SP_ACS, issueInstant: a.clock.now() });
    const start = await browser.get(`/saml2/${app.slug}?${toRedirectQuery(xml, { relayState: 'https://wiki.example/page' })}`);
    expect(start.status, start.text).to.equal(303);
    const sso = /[?&]sso=([\w-]+)/.exec(start.headers.location)?.[1];
    expect(sso, start.headers.location).to.be.a('string');
    const page = await browser.get(pathOf(start.headers.location));
    expect(page.status).to.equal(200);
    const signedIn = await browser.post('/login', { _csrf: csrfFrom(page.text), username: user.username, password: user.password, sso: sso! });
    expect(signedIn.status, signedIn.text).to.equal(303);
    const post = await browser.get(pathOf(signedIn.headers.location));
    expect(post.status, post.text).to.equal(200);
    const form = readPostForm(post.text);
    expect(form.relayState).to.equal('https://wiki.example/page');
    const profile = await acceptedBySp(a, app, form, { inResponseTo: '_alternating-sp' });
    expect(profile.nameId).to.equal(user.email);
    expect(browser.served).to.deep.equal([0, 1, 0, 1]);
    // The same request again, now on the other instance, is a replay.
    const replay = await request(b.app).get(`/saml2/${app.slug}?${toRedirectQuery(xml)}`).set('Accept', 'application/json');
    expect(replay.status).to.equal(400);
    expect(replay.body.code).to.equal('saml.request_replayed');
  });

  it('IdP-initiated: signed in on one instance, the console and each launch served by the other in turn', async () => {
    const { app, user, group } = await authorizedUser(a);
    const browser = new AlternatingBrowser([a, b]);
    const page = await browser.get('/login');
    const signedIn = await browser.post('/login', { _csrf: csrfFrom(page.text), username: user.username, password: user.password });
    expect(signedIn.status, signedIn.text).to.equal(303);
    const tiles = await browser.get('/');
    expect(tiles.status).to.equal(200);
    expect(tiles.text).to.contain(`/saml2/${app.slug}`);
    for (let launch = 0; launch < 4; launch++) {
      const res = await browser.get(`/saml2/${app.slug}`);
      expect(res.status, res.text).to.equal(200);
      const profile = await acceptedBySp(b, app, readPostForm(res.text));
      expect(profile.nameId).to.equal(user.email);
      expect(profile.attributes).to.deep.include({ groups: group.name });
    }
    expect(browser.served).to.deep.equal([0, 1, 0, 1, 0, 1, 0]);
    // Both instances served launches, and each was recorded once.
    const launches = await a.ctx.store.events.list({ type: 'sso_auth', appId: app.id, limit: 10 });
    expect(launches.map((e) => e.outcome)).to.deep.equal(['success', 'success', 'success', 'success']);
  });

  it('records refused forged posts once per address and minute across both instances', async () => {
    const forged = (h: Harness) => request(h.app).post('/login').set('Sec-Fetch-Site', 'cross-site').type('form')
      .send({ _csrf: 'forged', username: 'x', password: 'y' }).expect(403);
    await Promise.all([forged(a), forged(b), forged(a), forged(b)]);
    expect(await a.ctx.store.events.list({ type: 'csrf_refused', limit: 10 })).to.have.length(1);
    a.clock.advance(61);
    b.clock.advance(61);
    await forged(b);
    await forged(a);
    expect(await b.ctx.store.events.list({ type: 'csrf_refused', limit: 10 })).to.have.length(2);
  });
});
