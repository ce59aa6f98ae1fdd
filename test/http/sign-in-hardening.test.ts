import { expect } from 'chai';
import request from 'supertest';
import { createUser, csrfFrom, signIn, startGatehouse, type Harness } from '../helpers/harness';

describe('Sign-in hardening: throttling, idle timeout, password change', () => {
  let h: Harness;
  beforeEach(async () => { h = await startGatehouse(); });
  afterEach(async () => { await h.close(); });

  const attempt = async (login: string, password: string) => {
    const agent = request.agent(h.app);
    const page = await agent.get('/login').expect(200);
    return agent.post('/login').type('form').send({ _csrf: csrfFrom(page.text), username: login, password });
  };

  it('slows guessing after five failures, refuses without checking the password while waiting, and lets the user in after the wait', async () => {
    const user = await createUser(h);
    for (let i = 0; i < 5; i++) expect((await attempt(user.username, 'wrong password!')).status).to.equal(401);
    expect((await attempt(user.username, 'wrong password!')).status).to.equal(401);
    const waiting = await attempt(user.username, user.password);
    expect(waiting.status).to.equal(429);
    expect(waiting.text).to.match(/Too many failed sign-ins\. Wait \d+ seconds? and try again\./);
    const [event] = await h.ctx.store.events.list({ type: 'user_login', limit: 1 });
    expect(event).to.include({ outcome: 'failure', reason: 'auth.throttled' });
    h.clock.advance(2);
    expect((await attempt(user.username, user.password)).status).to.equal(303);
    // Success clears the account's counters: the next mistake is free again.
    expect((await attempt(user.username, 'wrong password!')).status).to.equal(401);
    expect((await attempt(user.username, user.password)).status).to.equal(303);
  });

  it('answers a throttled sign-in with Retry-After (RFC 9110 §10.2.3) matching the wait it names', async () => {
    const user = await createUser(h);
    for (let i = 0; i < 7; i++) await attempt(user.username, 'wrong password!');
    const waiting = await attempt(user.username, user.password);
    expect(waiting.status).to.equal(429);
    const seconds = Number(/Wait (\d+) second/.exec(waiting.text)![1]);
    expect(waiting.headers['retry-after']).to.equal(String(seconds));
    expect(seconds).to.be.at.least(1);
  });

  it('never makes anyone wait more than a minute per account, and counts unknown accounts the same way', async () => {
    let failures = 0;
    let longest = 0;
    while (failures < 30) {
      const res = await attempt('nobody@example.com', 'guess');
      if (res.status === 429) {
        const seconds = Number(/Wait (\d+) second/.exec(res.text)![1]);
        longest = Math.max(longest, seconds);
        h.clock.advance(seconds);
        continue;
      }
      expect(res.status).to.equal(401);
      failures += 1;
    }
    expect(longest).to.be.greaterThan(1).and.at.most(60);
    // Counted although the account does not exist: no difference an attacker could observe.
    expect(await h.ctx.store.throttle.find('login:nobody@example.com')).to.not.equal(undefined);
  });

  it('signs out a session left idle longer than SESSION_IDLE_MINUTES, and keeps an active one', async () => {
    const user = await createUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    h.clock.advance(50 * 60);
    await agent.get('/').expect(200);
    h.clock.advance(50 * 60);
    await agent.get('/').expect(200);
    h.clock.advance(61 * 60);
    const res = await agent.get('/').expect(303);
    expect(res.headers.location).to.equal('/login');
  });

  it('lets a user change their own password with the current one', async () => {
    const user = await createUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    const change = async (fields: Record<string, string>) => {
      const page = await agent.get('/account/password').expect(200);
      return agent.post('/account/password').type('form').send({ _csrf: csrfFrom(page.text), ...fields });
    };
    const wrong = await change({ current: 'not my password', password: 'a brand new password', confirm: 'a brand new password' });
    expect(wrong.status).to.equal(422);
    expect(wrong.text).to.contain('The current password is not right.');
    const mismatch = await change({ current: user.password, password: 'a brand new password', confirm: 'a different one!!' });
    expect(mismatch.text).to.contain('differ');
    const short = await change({ current: user.password, password: 'short', confirm: 'short' });
    expect(short.text).to.contain('at least 12 characters');
    expect((await change({ current: user.password, password: 'a brand new password', confirm: 'a brand new password' })).status).to.equal(303);
    expect((await attempt(user.username, user.password)).status).to.equal(401);
    expect((await attempt(user.username, 'a brand new password')).status).to.equal(303);
    const types = (await h.ctx.store.events.list({ type: 'user_password_change', limit: 5 })).map((e) => e.outcome);
    expect(types).to.deep.equal(['success', 'failure']);
  });

  it('throttles wrong current passwords at /account/password like failed sign-ins, and checks nothing while waiting', async () => {
    const user = await createUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    const change = async (current: string) => {
      const page = await agent.get('/account/password').expect(200);
      return agent.post('/account/password').type('form').send({ _csrf: csrfFrom(page.text), current, password: 'a brand new password', confirm: 'a brand new password' });
    };
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await change(`guess number ${i}`)).status);
    expect(statuses.slice(0, 6)).to.deep.equal([422, 422, 422, 422, 422, 422]);
    expect(statuses.slice(6)).to.satisfy((rest: number[]) => rest.every((s) => s === 429));
    // While the wait runs even the right password is not checked, and nothing changes.
    const waiting = await change(user.password);
    expect(waiting.status).to.equal(429);
    expect(waiting.text).to.match(/Too many failed sign-ins\. Wait \d+ seconds? and try again\./);
    const seconds = Number(/Wait (\d+) second/.exec(waiting.text)![1]);
    expect(waiting.headers['retry-after']).to.equal(String(seconds));
    // The same account is throttled at /login too, whichever name it is typed with.
    expect((await attempt(user.email, user.password)).status).to.equal(429);
    const [event] = await h.ctx.store.events.list({ type: 'user_password_change', limit: 1 });
    expect(event).to.include({ outcome: 'failure', reason: 'auth.throttled' });
    h.clock.advance(seconds);
    expect((await change(user.password)).status).to.equal(303);
    expect((await attempt(user.username, 'a brand new password')).status).to.equal(303);
  });

  it('counts failed sign-ins per account whether it is typed as username or e-mail', async () => {
    const user = await createUser(h);
    for (let i = 0; i < 3; i++) await attempt(user.username, 'wrong password!');
    for (let i = 0; i < 3; i++) await attempt(user.email.toUpperCase(), 'wrong password!');
    expect((await attempt(user.username, user.password)).status).to.equal(429);
  });
});
