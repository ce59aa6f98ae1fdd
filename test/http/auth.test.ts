import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app';
import { createContext } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import { authorizedUser, createUser, csrfFrom, readPostForm, signIn, startGatehouse, type Harness } from '../helpers/harness';

const sessionCookie = (res: request.Response) =>
  ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('gatehouse.sid='))?.split(';')[0];

describe('Sign-in, sessions and the app list', () => {
  let h: Harness;
  before(async () => { h = await startGatehouse(); });
  after(async () => { await h.close(); });

  it('signs in with username or e-mail and lists the user\'s apps at /', async () => {
    const { app, user } = await authorizedUser(h);
    for (const login of [user.username, user.email.toUpperCase()]) {
      const { agent, res } = await signIn(h, login, user.password);
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal('/');
      const home = await agent.get('/').expect(200);
      expect(home.text).to.contain(`href="/saml2/${app.slug}"`);
      expect(home.headers['cache-control']).to.equal('no-store');
    }
  });

  it('gives one message for an unknown user and a wrong password, and records the failure', async () => {
    const user = await createUser(h);
    const wrong = await signIn(h, user.username, 'not the password at all');
    const unknown = await signIn(h, 'nobody-here', 'not the password at all');
    for (const { res } of [wrong, unknown]) {
      expect(res.status).to.equal(401);
      expect(res.text).to.contain('The username or password is incorrect.');
      expect(sessionCookie(res)).to.equal(undefined);
    }
    const [event] = await h.ctx.store.events.list({ type: 'user_login', outcome: 'failure', limit: 1 });
    expect(event.reason).to.equal('auth.invalid_credentials');
    expect(JSON.stringify(event)).not.to.contain('not the password at all');
  });

  it('refuses a suspended user with a clear message', async () => {
    const user = await createUser(h, { state: 'suspended' });
    const { res } = await signIn(h, user.username, user.password);
    expect(res.status).to.equal(403);
    expect(res.text).to.contain('Your account is suspended');
  });

  it('refuses a sign-in form without a valid CSRF token', async () => {
    const user = await createUser(h);
    const res = await request(h.app).post('/login').type('form').send({ username: user.username, password: user.password, _csrf: 'forged' }).expect(403);
    expect(res.text).to.contain('csrf.invalid');
  });

  it('renews the session id at sign-in', async () => {
    const user = await createUser(h);
    const { agent, res } = await signIn(h, user.username, user.password);
    const first = sessionCookie(res);
    const again = await signIn(h, user.username, user.password, agent);
    const second = sessionCookie(again.res);
    expect(first).to.be.a('string');
    expect(second).to.be.a('string');
    expect(second).not.to.equal(first);
  });

  it('signs out with a POST and the old session no longer works', async () => {
    const user = await createUser(h);
    const { agent, res } = await signIn(h, user.username, user.password);
    const cookie = sessionCookie(res)!;
    const page = await agent.get('/logout').expect(200);
    await agent.post('/logout').type('form').send({ _csrf: csrfFrom(page.text) }).expect(303);
    const home = await request(h.app).get('/').set('Cookie', cookie).expect(303);
    expect(home.headers.location).to.equal('/login');
  });

  it('escapes what it renders: a display name with markup is shown as text', async () => {
    const user = await createUser(h, { displayName: '<script>alert(1)</script>' });
    const { agent } = await signIn(h, user.username, user.password);
    const home = await agent.get('/').expect(200);
    expect(home.text).not.to.contain('<script>alert(1)</script>');
    expect(home.text).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('never renders a stack trace for a malformed request', async () => {
    const res = await request(h.app).post('/login').type('form').send('username=%E0%A4%A&password=x').set('Accept', 'text/html');
    expect(res.status).to.be.within(400, 499);
    expect(res.text).not.to.match(/at .*\.(ts|js):\d+/);
  });
});

describe('Sessions live in the store', () => {
  it('keeps a user signed in across a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-restart-'));
    const env = {
      NODE_ENV: 'test', PUBLIC_URL: 'http://gatehouse.test', DATABASE_URL: `sqlite:${dir}/g.db`, GATEHOUSE_CERTS_DIR: dir,
      GATEHOUSE_ADMIN_TOKEN: 'restart-admin-token-0123456789abcdef0123', GATEHOUSE_ADMIN_PASSWORD: 'restart admin password',
    };
    const first = await createContext(loadConfig(env), { print: () => undefined });
    const h1 = { ctx: first, app: createApp(first) };
    const harness = { ...h1, clock: first.clock, printed: [], close: () => first.store.close(),
      api: () => { throw new Error('unused'); } } as unknown as Harness;
    const user = await (async () => {
      const u = await request(h1.app).post('/api/v1/users').set('Authorization', `Bearer ${env.GATEHOUSE_ADMIN_TOKEN}`)
        .send({ username: 'restart', email: 'restart@example.com', password: 'restart user password' }).expect(201);
      return u.body as { id: string };
    })();
    const { res } = await signIn(harness, 'restart', 'restart user password');
    const cookie = sessionCookie(res)!;
    await first.store.close();

    const second = await createContext(loadConfig(env), { print: () => undefined });
    try {
      const home = await request(createApp(second)).get('/').set('Cookie', cookie).expect(200);
      expect(home.text).to.contain('Your applications');
      expect(user.id).to.be.a('string');
      // The development key-encryption key was written with owner-only permissions.
      expect(fs.statSync(path.join(dir, 'master.key')).mode & 0o777).to.equal(0o600);
    } finally {
      await second.store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps private keys encrypted at rest', async () => {
    const h = await startGatehouse();
    try {
      const key = await h.ctx.keys.keyFor();
      expect(key.encryptedPrivateKey).to.match(/^v1\./);
      expect(key.encryptedPrivateKey).not.to.contain('PRIVATE KEY');
      const credential = await h.ctx.keys.credentialFor();
      const signature = crypto.sign('sha256', Buffer.from('x'), credential.privateKey);
      expect(crypto.verify('sha256', Buffer.from('x'), new crypto.X509Certificate(key.certificatePem).publicKey, signature)).to.equal(true);
    } finally {
      await h.close();
    }
  });
});

describe('IdP-initiated launch from the app list', () => {
  it('launches from the link on /', async () => {
    const h = await startGatehouse();
    try {
      const { app, user } = await authorizedUser(h);
      const { agent } = await signIn(h, user.username, user.password);
      const home = await agent.get('/').expect(200);
      const href = /href="(\/saml2\/[^"]+)"/.exec(home.text)![1];
      const form = readPostForm((await agent.get(href).expect(200)).text);
      expect(form.action).to.equal(app.sso.acsEndpoints[0].url);
    } finally {
      await h.close();
    }
  });
});
