import { expect } from 'chai';
import request from 'supertest';
import { ADMIN_PASSWORD, createUser, csrfFrom, signIn, startGatehouse, type Harness } from '../helpers/harness';

/**
 * The admin portal needs a second, SameSite=Strict cookie bound to the session: a browser sends
 * it only on same-site requests, so a link or form on another site cannot act as the admin.
 */
const ADMIN = 'admin@gatehouse.local';
type Jar = Map<string, string>;
const setCookies = (res: request.Response) => ([] as string[]).concat(res.headers['set-cookie'] ?? []);
function keep(jar: Jar, res: request.Response): Jar {
  for (const line of setCookies(res)) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    jar.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return jar;
}
const header = (jar: Jar, leave: string[] = []) => [...jar].filter(([k]) => !leave.includes(k)).map(([k, v]) => `${k}=${v}`).join('; ');

describe('Admin portal: a SameSite=Strict admin cookie beside the Lax session', () => {
  let h: Harness;
  afterEach(async () => { await h.close(); });

  /** Sign in through the form, keeping every cookie by hand (the Secure ones too). */
  async function signInByHand(login: string, password: string, extra: Record<string, string> = {}) {
    const jar: Jar = new Map();
    const page = await request(h.app).get('/login').set(extra).expect(200);
    keep(jar, page);
    const res = await request(h.app).post('/login').set(extra).set('Cookie', header(jar)).type('form')
      .send({ _csrf: csrfFrom(page.text), username: login, password }).expect(303);
    return { jar: keep(jar, res), res };
  }

  it('sets a Strict admin cookie at an admin\'s sign-in, and none for other users', async () => {
    h = await startGatehouse();
    const { res } = await signInByHand(ADMIN, ADMIN_PASSWORD);
    const cookies = setCookies(res);
    expect(cookies.find((c) => c.startsWith('gatehouse.sid='))).to.match(/SameSite=Lax/i);
    const admin = cookies.find((c) => c.startsWith('gatehouse.admin='));
    expect(admin).to.match(/HttpOnly/i).and.match(/SameSite=Strict/i).and.match(/Path=\//);
    const user = await createUser(h);
    const { res: userRes } = await signInByHand(user.username, user.password);
    expect(setCookies(userRes).some((c) => c.startsWith('gatehouse.admin='))).to.equal(false);
  });

  it('answers a cross-site link into /admin (no Strict cookie) with a page linking on, and acts on nothing', async () => {
    h = await startGatehouse();
    const { jar } = await signInByHand(ADMIN, ADMIN_PASSWORD);
    // What a browser sends when another site links here: the Lax session cookie only.
    const crossSite = await request(h.app).get('/admin/users?q=ada').set('Cookie', header(jar, ['gatehouse.admin'])).expect(200);
    expect(crossSite.text).to.contain('href="/admin/users?q=ada"');
    expect(crossSite.text).to.contain('Continue to the admin portal');
    expect(crossSite.text).not.to.contain('New user');
    expect(crossSite.headers['cache-control']).to.equal('no-store');
    // The page sets the Strict cookie again, so following its (same-site) link works.
    keep(jar, crossSite);
    const followed = await request(h.app).get('/admin/users?q=ada').set('Cookie', header(jar)).expect(200);
    expect(followed.text).to.contain('New user');
  });

  it('refuses an admin form post that arrives without the Strict cookie, even with a valid CSRF token', async () => {
    h = await startGatehouse();
    const { jar } = await signInByHand(ADMIN, ADMIN_PASSWORD);
    const page = await request(h.app).get('/admin/groups').set('Cookie', header(jar)).expect(200);
    const res = await request(h.app).post('/admin/groups').set('Cookie', header(jar, ['gatehouse.admin'])).type('form')
      .send({ _csrf: csrfFrom(page.text), name: 'made from another site' });
    expect(res.status).to.equal(403);
    expect(res.text).to.contain('admin.cross_site');
    expect((await h.ctx.store.groups.list({ q: 'another site', limit: 10, offset: 0 })).total).to.equal(0);
    const [event] = await h.ctx.store.events.list({ type: 'csrf_refused', limit: 1 });
    expect(event).to.include({ reason: 'admin.cross_site' });
    await request(h.app).post('/admin/groups').set('Cookie', header(jar)).type('form')
      .send({ _csrf: csrfFrom(page.text), name: 'made in the portal' }).expect(303);
  });

  it('binds the admin cookie to its session: one from another sign-in does not pass', async () => {
    h = await startGatehouse();
    const first = await signInByHand(ADMIN, ADMIN_PASSWORD);
    const second = await signInByHand(ADMIN, ADMIN_PASSWORD);
    const mixed = new Map(first.jar);
    mixed.set('gatehouse.admin', second.jar.get('gatehouse.admin')!);
    const res = await request(h.app).get('/admin/users').set('Cookie', header(mixed)).expect(200);
    expect(res.text).to.contain('Continue to the admin portal');
  });

  it('uses __Host- cookies (Secure, Path=/, no Domain) when PUBLIC_URL is https', async () => {
    h = await startGatehouse({ PUBLIC_URL: 'https://sso.example.com', TRUST_PROXY: 'true' });
    const https = { 'X-Forwarded-Proto': 'https' };
    const { jar, res } = await signInByHand(ADMIN, ADMIN_PASSWORD, https);
    const cookies = setCookies(res);
    for (const name of ['__Host-gatehouse.sid', '__Host-gatehouse.admin']) {
      const cookie = cookies.find((c) => c.startsWith(`${name}=`));
      expect(cookie, name).to.match(/; Secure/i).and.match(/; Path=\/(;|$)/).and.not.match(/Domain=/i);
    }
    expect([...jar.keys()]).to.include('__Host-gatehouse.csrf');
    expect([...jar.keys()].some((k) => !k.startsWith('__Host-'))).to.equal(false);
    const portal = await request(h.app).get('/admin/users').set(https).set('Cookie', header(jar)).expect(200);
    expect(portal.text).to.contain('New user');
    // Signing out clears them by their real names.
    const logout = await request(h.app).get('/logout').set(https).set('Cookie', header(jar)).expect(200);
    const out = await request(h.app).post('/logout').set(https).set('Cookie', header(jar)).type('form').send({ _csrf: csrfFrom(logout.text) }).expect(303);
    const cleared = setCookies(out).map((c) => c.split('=')[0]);
    expect(cleared).to.include.members(['__Host-gatehouse.sid', '__Host-gatehouse.admin']);
  });
});
