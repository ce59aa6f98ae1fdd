import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ADMIN_PASSWORD, csrfFrom, signIn, startGatehouse, type Harness } from '../helpers/harness';
import { startScimServer, type ScimServer } from '../helpers/scim-server';

describe('Identity Management connection (SCIM) per application', () => {
  let h: Harness;
  let scim: ScimServer;
  before(async () => {
    h = await startGatehouse({ SCIM_TIMEOUT_SECONDS: '1' });
    scim = await startScimServer();
  });
  const silent: (() => void)[] = [];
  after(async () => {
    silent.forEach((stop) => stop());
    await scim.close();
    await h.close();
  });

  // Each app its own subdomain: one application per SP entity ID (issue 9 #16).
  const mondayApp = async (slug: string, subdomain = slug) =>
    (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', slug, placeholders: { YOUR_SUBDOMAIN: subdomain } }).expect(201)).body;
  const idm = (appId: string) => `/api/v1/applications/${appId}/idm`;

  it('prefills the base URL from the catalog, saves the token sealed and masked, and activates after the SCIM service accepts it', async () => {
    const app = await mondayApp('monday-idm', 'acme');
    const initial = (await h.api().get(idm(app.id)).expect(200)).body;
    expect(initial).to.include({ supported: true, groupsSupported: true, baseUrl: 'https://acme.monday.com/scim/v2', active: false, tokenMasked: null });

    const saved = (await h.api().put(idm(app.id)).send({ baseUrl: scim.baseUrl, token: scim.token, groupsEnabled: true }).expect(200)).body;
    expect(saved.tokenMasked).to.equal(`••••••••${scim.token.slice(-4)}`);
    expect(JSON.stringify(saved)).not.to.contain(scim.token);
    const stored = await h.ctx.store.idm.find(app.id);
    expect(JSON.stringify(stored)).not.to.contain(scim.token);

    const activated = (await h.api().post(`${idm(app.id)}/activate`).expect(200)).body;
    expect(activated).to.include({ active: true, groupsEnabled: true });
    expect(scim.requests.some((r) => r.method === 'GET' && r.path.startsWith('/scim/v2/Users'))).to.equal(true);
    const types = (await h.ctx.store.events.list({ appId: app.id, limit: 10 })).map((e) => `${e.type}:${e.outcome}`);
    expect(types).to.include.members(['idm_integration_update:success', 'idm_integration_activate:success']);
    expect(JSON.stringify(await h.ctx.store.events.list({ appId: app.id, limit: 10 }))).not.to.contain(scim.token);

    // The token changes only while the connection is off (the seeds' rule).
    const locked = await h.api().put(idm(app.id)).send({ token: 'another-token-value' }).expect(409);
    expect(locked.body.code).to.equal('idm.token_locked');
    await h.api().post(`${idm(app.id)}/deactivate`).expect(200);
    await h.api().put(idm(app.id)).send({ token: scim.token }).expect(200);
    const after = (await h.ctx.store.events.list({ appId: app.id, limit: 10 })).map((e) => e.type);
    expect(after).to.include.members(['idm_integration_delete', 'idm_integration_reauth']);
  });

  const refusals: [string, (app: { id: string }) => Promise<Record<string, string>>, string, RegExp][] = [
    ['a token the SCIM service refuses', async () => ({ baseUrl: scim.baseUrl, token: 'not-the-right-token' }), 'idm.token_refused', /refused the token/],
    ['a base URL without a SCIM Users endpoint', async () => ({ baseUrl: scim.baseUrl.replace('/scim/v2', '/nothing-here'), token: scim.token }), 'idm.not_found', /no Users endpoint/],
    ['a base URL nothing listens on', async () => {
      const s = net.createServer();
      const port = await new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
      await new Promise((resolve) => s.close(resolve));
      return { baseUrl: `http://127.0.0.1:${port}/scim/v2`, token: scim.token };
    }, 'idm.unreachable', /could not be reached/],
    ['a SCIM service that never answers', async () => {
      // Accepts connections and says nothing; closed (sockets and all) when the suite ends.
      const sockets: net.Socket[] = [];
      const s = net.createServer((socket) => { sockets.push(socket); });
      const port = await new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
      silent.push(() => { sockets.forEach((k) => k.destroy()); s.close(); });
      return { baseUrl: `http://127.0.0.1:${port}/scim/v2`, token: scim.token };
    }, 'idm.timeout', /did not answer in time/],
  ];
  for (const [label, settings, code, message] of refusals) {
    it(`does not activate with ${label}, and says why`, async () => {
      const app = await mondayApp(`monday-${code.replace('idm.', '').replace('_', '-')}`);
      await h.api().put(idm(app.id)).send(await settings(app)).expect(200);
      const res = await h.api().post(`${idm(app.id)}/activate`).expect(422);
      expect(res.body.code).to.equal(code);
      expect(res.body.message).to.match(message);
      expect((await h.api().get(idm(app.id)).expect(200)).body.active).to.equal(false);
      const [event] = await h.ctx.store.events.list({ appId: app.id, type: 'idm_integration_activate', limit: 1 });
      expect(event).to.include({ outcome: 'failure', reason: code });
    });
  }

  it('is configured and activated from the Identity Management tab of the portal', async () => {
    const app = await mondayApp('monday-portal-idm', 'acme-portal');
    const { agent } = await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD);
    const tab = await agent.get(`/admin/applications/${app.id}?tab=idm`).expect(200);
    expect(tab.text).to.contain('value="https://acme-portal.monday.com/scim/v2"');
    expect(tab.text).to.contain('Enable management of User Groups and Group Membership');
    const refused = await agent.post(`/admin/applications/${app.id}/idm`).type('form')
      .send({ _csrf: csrfFrom(tab.text), baseUrl: scim.baseUrl, token: 'wrong-token-value', then: 'activate' }).expect(422);
    expect(refused.text).to.contain('refused the token');
    expect(refused.text).to.contain(`value="${scim.baseUrl}"`);
    expect(refused.text).not.to.contain('wrong-token-value');
    const ok = await agent.post(`/admin/applications/${app.id}/idm`).type('form')
      .send({ _csrf: csrfFrom(refused.text), baseUrl: scim.baseUrl, token: scim.token, groupsEnabled: 'on', then: 'activate' }).expect(303);
    expect(ok.headers.location).to.contain('notice=idm-activated');
    const page = await agent.get(ok.headers.location).expect(200);
    expect(page.text).to.contain('has been verified and activated');
    expect(page.text).not.to.contain(scim.token);
    const list = await agent.get('/admin/applications').expect(200);
    expect(list.text).to.match(/monday\.com[\s\S]*?<span class="badge on">Active<\/span><\/td>\s*<td><span class="badge on">Active<\/span>/);
  });

  it('refuses base URLs on loopback, private or link-local addresses when private targets are not allowed (SSRF)', async () => {
    const guarded = await startGatehouse({ SCIM_ALLOW_PRIVATE_TARGETS: 'false' });
    try {
      const app = (await guarded.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-ssrf', placeholders: { YOUR_SUBDOMAIN: 'acme' } }).expect(201)).body;
      for (const baseUrl of ['https://169.254.169.254/latest/meta-data', 'https://10.0.0.5/scim/v2', 'https://localhost/scim/v2', scim.baseUrl]) {
        const res = await guarded.api().put(`/api/v1/applications/${app.id}/idm`).send({ baseUrl, token: scim.token }).expect(422);
        expect(res.body.code, baseUrl).to.equal('idm.base_url_private');
      }
      expect(await guarded.ctx.store.idm.find(app.id)).to.equal(undefined);
    } finally {
      await guarded.close();
    }
  });

  it('refuses IPv6 literals that embed a loopback, private or link-local IPv4 address (SSRF, issue 9 #8)', async () => {
    const guarded = await startGatehouse({ SCIM_ALLOW_PRIVATE_TARGETS: 'false' });
    try {
      const app = (await guarded.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-ssrf-v6', placeholders: { YOUR_SUBDOMAIN: 'acme' } }).expect(201)).body;
      for (const host of ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::ffff:169.254.169.254]', '[64:ff9b::7f00:1]', '[::127.0.0.1]', '[2002:7f00:1::]', '[0:0:0:0:0:ffff:a00:5]', '[fec0::1]']) {
        const res = await guarded.api().put(`/api/v1/applications/${app.id}/idm`).send({ baseUrl: `https://${host}/scim/v2`, token: scim.token });
        expect(res.status, host).to.equal(422);
        expect(res.body.code, host).to.equal('idm.base_url_private');
      }
      expect(await guarded.ctx.store.idm.find(app.id)).to.equal(undefined);
    } finally {
      await guarded.close();
    }
  });

  it('refuses tokens with control characters or characters an HTTP header cannot carry (422 naming the field), through the API and the portal', async () => {
    const app = await mondayApp('monday-token-controls');
    for (const token of ['abcd1234\r\nX-Injected: yes', 'abcd1234\n5678', 'abcd\u00001234', 'abcd1234\u2028', 'abcd1234\u2029', 'abcd\u007f1234', 'abcd\u00851234', 'abcd\t1234', 'abcd 1234', 'abcd1234é']) {
      const res = await h.api().put(idm(app.id)).send({ baseUrl: scim.baseUrl, token });
      expect(res.status, JSON.stringify(token)).to.equal(422);
      expect(res.body.code).to.equal('request.invalid');
      expect(res.body.message).to.match(/token: .*printable/);
    }
    expect(await h.ctx.store.idm.find(app.id)).to.equal(undefined);

    const { agent } = await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD);
    const tab = await agent.get(`/admin/applications/${app.id}?tab=idm`).expect(200);
    const refused = await agent.post(`/admin/applications/${app.id}/idm`).type('form')
      .send({ _csrf: csrfFrom(tab.text), baseUrl: scim.baseUrl, token: 'abcd1234\r\nX-Injected: yes' }).expect(422);
    expect(refused.text).to.match(/token: .*printable/);
    expect(await h.ctx.store.idm.find(app.id)).to.equal(undefined);
  });

  it('refuses activation while the application\'s SSO is inactive ("SSO is required to use SCIM"), through the API and the portal', async () => {
    const app = await mondayApp('monday-sso-off');
    await h.api().patch(`/api/v1/applications/${app.id}`).send({ ssoActive: false }).expect(200);
    await h.api().put(idm(app.id)).send({ baseUrl: scim.baseUrl, token: scim.token }).expect(200);
    const asked = scim.requests.length;
    const res = await h.api().post(`${idm(app.id)}/activate`).expect(409);
    expect(res.body.code).to.equal('idm.sso_inactive');
    expect(res.body.message).to.contain('Activate SSO');
    expect((await h.ctx.store.idm.find(app.id))?.active).to.equal(false);
    expect(scim.requests.length, 'the SCIM service is not asked').to.equal(asked);

    const other = await mondayApp('monday-sso-off-portal');
    await h.api().patch(`/api/v1/applications/${other.id}`).send({ ssoActive: false }).expect(200);
    const { agent } = await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD);
    const tab = await agent.get(`/admin/applications/${other.id}?tab=idm`).expect(200);
    const refused = await agent.post(`/admin/applications/${other.id}/idm`).type('form')
      .send({ _csrf: csrfFrom(tab.text), baseUrl: scim.baseUrl, token: scim.token, then: 'activate' }).expect(409);
    expect(refused.text).to.contain('Activate SSO');
    expect(await h.ctx.store.idm.find(other.id), 'a refused activation stores nothing').to.equal(undefined);
  });

  it('stores nothing when the portal\'s Activate is refused: the previous token stays, or no connection is created', async () => {
    const { agent } = await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD);
    const fresh = await mondayApp('monday-activate-fresh');
    let tab = await agent.get(`/admin/applications/${fresh.id}?tab=idm`).expect(200);
    await agent.post(`/admin/applications/${fresh.id}/idm`).type('form')
      .send({ _csrf: csrfFrom(tab.text), baseUrl: scim.baseUrl, token: 'wrong-token-value', then: 'activate' }).expect(422);
    expect(await h.ctx.store.idm.find(fresh.id)).to.equal(undefined);

    const app = await mondayApp('monday-activate-keeps');
    await h.api().put(idm(app.id)).send({ baseUrl: scim.baseUrl, token: scim.token }).expect(200);
    const before = (await h.ctx.store.idm.find(app.id))!;
    tab = await agent.get(`/admin/applications/${app.id}?tab=idm`).expect(200);
    const refused = await agent.post(`/admin/applications/${app.id}/idm`).type('form')
      .send({ _csrf: csrfFrom(tab.text), baseUrl: scim.baseUrl, token: 'wrong-token-value', groupsEnabled: 'on', then: 'activate' }).expect(422);
    expect(refused.text).to.contain('refused the token');
    expect(await h.ctx.store.idm.find(app.id)).to.deep.equal(before);
    const [event] = await h.ctx.store.events.list({ appId: app.id, type: 'idm_integration_activate', limit: 1 });
    expect(event).to.include({ outcome: 'failure', reason: 'idm.token_refused' });
    expect((await h.ctx.store.events.list({ appId: app.id, type: 'idm_integration_reauth', limit: 1 }))).to.have.length(0);

    // The stored (right) token still activates, and Activate with a new right token saves it with the activation.
    const ok = await agent.post(`/admin/applications/${app.id}/idm`).type('form')
      .send({ _csrf: csrfFrom(refused.text), baseUrl: scim.baseUrl, token: scim.token, groupsEnabled: 'on', then: 'activate' }).expect(303);
    expect(ok.headers.location).to.contain('notice=idm-activated');
    expect(await h.ctx.store.idm.find(app.id)).to.include({ active: true, groupsEnabled: true });
    const types = (await h.ctx.store.events.list({ appId: app.id, limit: 10 })).map((e) => `${e.type}:${e.outcome}`);
    expect(types).to.include.members(['idm_integration_reauth:success', 'idm_integration_activate:success']);
  });

  it('refuses an app without SCIM in the catalog, and a base URL that still holds a placeholder', async () => {
    const custom = (await h.api().post('/api/v1/applications').send({
      catalogId: 'custom-saml', displayLabel: 'Wiki', slug: 'wiki-no-scim', sso: { spEntityId: 'https://wiki.example/sp', acsUrls: ['https://wiki.example/acs'] },
    }).expect(201)).body;
    expect((await h.api().put(idm(custom.id)).send({ token: 'some-token-123' }).expect(422)).body.code).to.equal('idm.not_supported');
    const later = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-no-subdomain' }).expect(201)).body;
    const res = await h.api().put(idm(later.id)).send({ token: 'some-token-123' }).expect(422);
    expect(res.body.message).to.contain('YOUR_SUBDOMAIN');
  });
});
