import { expect } from 'chai';
import { CookieAccessInfo } from 'cookiejar';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { ADMIN_PASSWORD, authorizedUser, createUser, csrfFrom, signIn, startGatehouse, type Harness } from '../helpers/harness';

/** Every cookie an agent holds, as a Cookie header: a browser's jar, to mix with an attacker's. */
function cookiesOf(agent: TestAgent): Map<string, string> {
  const jar = (agent as unknown as { jar: { getCookies(a: unknown): { name: string; value: string }[] } }).jar;
  return new Map(jar.getCookies(CookieAccessInfo.All).map((c) => [c.name, c.value]));
}
const header = (cookies: Map<string, string>) => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
const CSRF_COOKIE = 'gatehouse.csrf';
const ADMIN = 'admin@gatehouse.local';

describe('CSRF tokens are bound to the session, and cross-site posts are refused', () => {
  let h: Harness;
  beforeEach(async () => { h = await startGatehouse(); });
  afterEach(async () => { await h.close(); });

  it('refuses an attacker\'s own cookie and token pair sent alongside the admin\'s session cookie', async () => {
    const { agent: admin } = await signIn(h, ADMIN, ADMIN_PASSWORD);
    await admin.get('/admin/groups').expect(200);
    // The attacker's pairs: one from an anonymous page, one from their own signed-in session.
    const anonymous = request.agent(h.app);
    const anonymousToken = csrfFrom((await anonymous.get('/login').expect(200)).text);
    const mallory = await createUser(h);
    const { agent: attacker } = await signIn(h, mallory.username, mallory.password);
    const attackerToken = csrfFrom((await attacker.get('/account/password').expect(200)).text);
    for (const [agent, token] of [[anonymous, anonymousToken], [attacker, attackerToken]] as const) {
      const cookies = cookiesOf(admin);
      cookies.set(CSRF_COOKIE, cookiesOf(agent).get(CSRF_COOKIE)!);
      const res = await request(h.app).post('/admin/groups').set('Cookie', header(cookies)).type('form')
        .send({ _csrf: token, name: 'planted by the attacker' });
      expect(res.status).to.equal(403);
      expect(res.text).to.contain('csrf.invalid');
    }
    expect((await h.ctx.store.groups.list({ q: 'planted', limit: 10, offset: 0 })).total).to.equal(0);
    // The admin's own token still works.
    const token = csrfFrom((await admin.get('/admin/groups').expect(200)).text);
    await admin.post('/admin/groups').type('form').send({ _csrf: token, name: 'made by the admin' }).expect(303);
  });

  it('keeps the anonymous sign-in form protected without a server session (login CSRF)', async () => {
    const user = await createUser(h);
    const visitor = request.agent(h.app);
    const token = csrfFrom((await visitor.get('/login').expect(200)).text);
    const res = await visitor.post('/login').type('form').send({ _csrf: token, username: user.username, password: user.password });
    expect(res.status).to.equal(303);
    // A token from a page rendered for someone else's cookie does not pass.
    const other = request.agent(h.app);
    await other.get('/login').expect(200);
    await other.post('/login').type('form').send({ _csrf: token, username: user.username, password: user.password }).expect(403);
  });

  it('refuses a signed-in form post whose Sec-Fetch-Site or Origin says cross-site, even with a valid token', async () => {
    const user = await createUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    const post = async (headers: Record<string, string>) => {
      const token = csrfFrom((await agent.get('/logout').expect(200)).text);
      const res = await agent.post('/account/password').set(headers).type('form')
        .send({ _csrf: token, current: 'wrong current password', password: 'a brand new password', confirm: 'a brand new password' });
      return res;
    };
    const crossSite: Record<string, string>[] = [{ 'Sec-Fetch-Site': 'cross-site' }, { Origin: 'https://evil.example' }, { 'Sec-Fetch-Site': 'cross-site', Origin: 'null' }];
    for (const headers of crossSite) {
      const res = await post(headers);
      expect(res.status, JSON.stringify(headers)).to.equal(403);
      expect(res.text).to.contain('csrf.cross_site');
      expect(res.text).to.contain('from another site');
    }
    // Same-origin posts, and clients that send neither header, are checked by the token alone.
    const sameSite: Record<string, string>[] = [{ 'Sec-Fetch-Site': 'same-origin', Origin: 'null' }, { Origin: 'http://gatehouse.test' }, {}];
    for (const headers of sameSite) {
      expect((await post(headers)).status, JSON.stringify(headers)).to.equal(422);
    }
    // The password was never changed by the refused posts.
    expect((await signIn(h, user.username, user.password)).res.status).to.equal(303);
  });

  it('never checks the SAML endpoint: an HTTP-POST AuthnRequest is cross-site by design', async () => {
    const { app } = await authorizedUser(h);
    const res = await request(h.app).post(`/saml2/${app.slug}`).set({ 'Sec-Fetch-Site': 'cross-site', Origin: 'https://wiki.example' })
      .type('form').send({ SAMLRequest: 'not base64 at all!' });
    expect(res.status).to.equal(400);
    expect(res.text).not.to.contain('csrf.');
  });

  it('records refused posts as csrf_refused events, at most one per client address per minute', async () => {
    const user = await createUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    const refused = () => agent.post('/logout').set('Sec-Fetch-Site', 'cross-site').type('form').send({ _csrf: 'forged' }).expect(403);
    await refused();
    await refused();
    await request(h.app).post('/login').type('form').send({ _csrf: 'forged', username: 'x', password: 'y' }).expect(403);
    let events = await h.ctx.store.events.list({ type: 'csrf_refused', limit: 10 });
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ outcome: 'failure', reason: 'csrf.cross_site', actorId: user.id });
    expect(events[0].detail).to.deep.include({ path: '/logout', signal: 'sec-fetch-site' });
    h.clock.advance(61);
    await request(h.app).post('/login').type('form').send({ _csrf: 'forged', username: 'x', password: 'y' }).expect(403);
    events = await h.ctx.store.events.list({ type: 'csrf_refused', limit: 10 });
    expect(events.map((e) => e.reason)).to.deep.equal(['csrf.invalid', 'csrf.cross_site']);
    // Still signed in: a refused post changes nothing.
    await agent.get('/account/password').expect(200);
  });
});
