import { expect } from 'chai';
import type TestAgent from 'supertest/lib/agent';
import { ADMIN_PASSWORD, createUser, csrfFrom, signIn, startGatehouse, type Harness } from '../helpers/harness';

/** A password change ends every other sign-in of that user (OWASP Session Management Cheat Sheet). */
describe('A password change ends the user\'s other sessions', () => {
  let h: Harness;
  beforeEach(async () => { h = await startGatehouse(); });
  afterEach(async () => { await h.close(); });

  const signedIn = async (agent: TestAgent) => (await agent.get('/account/password')).status === 200;
  /** The session id inside the agent's signed session cookie (`s:<sid>.<signature>`). */
  const sessionIdOf = async (agent: TestAgent) => {
    const cookie = agent.jar.getCookie('gatehouse.sid', { domain: '127.0.0.1', path: '/', secure: false, script: false } as never)
      ?? agent.jar.getCookies({ path: '/', secure: false, script: false } as never).find((c) => c.name === 'gatehouse.sid');
    const value = decodeURIComponent(cookie!.value);
    return /^s:([^.]+)\./.exec(value)![1];
  };
  const ADMIN = 'admin@gatehouse.local';

  it('keeps the session that changed its own password and signs out the others', async () => {
    const user = await createUser(h);
    const { agent: laptop } = await signIn(h, user.username, user.password);
    const { agent: phone } = await signIn(h, user.username, user.password);
    const other = await createUser(h);
    const { agent: bystander } = await signIn(h, other.username, other.password);
    const page = await laptop.get('/account/password').expect(200);
    await laptop.post('/account/password').type('form')
      .send({ _csrf: csrfFrom(page.text), current: user.password, password: 'a brand new password', confirm: 'a brand new password' }).expect(303);
    expect(await signedIn(laptop)).to.equal(true);
    const res = await phone.get('/').expect(303);
    expect(res.headers.location).to.equal('/login');
    expect(await signedIn(bystander), 'another user keeps their session').to.equal(true);
  });

  it('ends every session of the user on an admin reset through the API', async () => {
    const user = await createUser(h);
    const { agent: one } = await signIn(h, user.username, user.password);
    const { agent: two } = await signIn(h, user.username, user.password);
    await h.api().put(`/api/v1/users/${user.id}/password`).send({ password: 'set by the admin now' }).expect(204);
    expect(await signedIn(one)).to.equal(false);
    expect(await signedIn(two)).to.equal(false);
    expect((await signIn(h, user.username, 'set by the admin now')).res.status).to.equal(303);
  });

  it('ends the user\'s sessions on a portal reset, and keeps the admin\'s own current one when they reset themselves', async () => {
    const user = await createUser(h);
    const { agent: userAgent } = await signIn(h, user.username, user.password);
    const { agent: admin } = await signIn(h, ADMIN, ADMIN_PASSWORD);
    const { agent: adminElsewhere } = await signIn(h, ADMIN, ADMIN_PASSWORD);
    const reset = async (id: string, password: string) => {
      const page = await admin.get(`/admin/users/${id}`).expect(200);
      return admin.post(`/admin/users/${id}/password`).type('form').send({ _csrf: csrfFrom(page.text), password }).expect(303);
    };
    await reset(user.id, 'set by the admin now');
    expect(await signedIn(userAgent)).to.equal(false);
    expect(await signedIn(adminElsewhere), 'resetting someone else leaves the admin signed in everywhere').to.equal(true);

    const adminId = (await h.ctx.store.users.findByLogin(ADMIN))!.id;
    await reset(adminId, 'a new admin password');
    expect(await signedIn(admin)).to.equal(true);
    await admin.get('/admin/users').expect(200);
    expect(await signedIn(adminElsewhere)).to.equal(false);
  });

  it('a request of an ended session that was already running cannot write that session back', async () => {
    const user = await createUser(h);
    const { agent: laptop } = await signIn(h, user.username, user.password);
    const { agent: phone } = await signIn(h, user.username, user.password);
    // The phone's session as its in-flight request holds it (express-session saves it at the end).
    const phoneSid = await sessionIdOf(phone);
    const inFlight = await h.ctx.store.sessions.get(phoneSid, h.clock.now().toISOString());
    expect(inFlight, 'the phone is signed in').to.be.a('string');
    const page = await laptop.get('/account/password').expect(200);
    await laptop.post('/account/password').type('form')
      .send({ _csrf: csrfFrom(page.text), current: user.password, password: 'a brand new password', confirm: 'a brand new password' }).expect(303);
    // The phone's request finishes after the change and saves its session, as an idle refresh would.
    await h.ctx.store.sessions.set(phoneSid, inFlight!, new Date(h.clock.now().getTime() + 3_600_000).toISOString(), user.id);
    expect(await h.ctx.store.sessions.get(phoneSid, h.clock.now().toISOString())).to.equal(undefined);
    const res = await phone.get('/').expect(303);
    expect(res.headers.location).to.equal('/login');
    expect(await signedIn(laptop)).to.equal(true);
  });

  it('a signed-out session stays ended even when a request that was still running saves it', async () => {
    const user = await createUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    const sid = await sessionIdOf(agent);
    const inFlight = await h.ctx.store.sessions.get(sid, h.clock.now().toISOString());
    const page = await agent.get('/logout').expect(200);
    await agent.post('/logout').type('form').send({ _csrf: csrfFrom(page.text) }).expect(303);
    await h.ctx.store.sessions.set(sid, inFlight!, new Date(h.clock.now().getTime() + 3_600_000).toISOString(), user.id);
    expect(await h.ctx.store.sessions.get(sid, h.clock.now().toISOString())).to.equal(undefined);
  });

  it('finds a user\'s sessions in the store by the user id', async () => {
    const user = await createUser(h);
    await signIn(h, user.username, user.password);
    await signIn(h, user.username, user.password);
    expect(await h.ctx.store.sessions.destroyForUser(user.id)).to.equal(2);
    expect(await h.ctx.store.sessions.destroyForUser(user.id)).to.equal(0);
  });
});
