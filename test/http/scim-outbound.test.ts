import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { runDueJobs } from '../../src/services/provisioning';
import { createGroup, createUser, startGatehouse, type Harness } from '../helpers/harness';

/**
 * Outbound calls to SCIM services are guarded at connect time (issue 9 #8): a host name whose DNS
 * answer turns private after it was saved is refused when Gatehouse connects, at activation and
 * in provisioning jobs.
 */
describe('SCIM outbound calls: the connect-time SSRF guard', () => {
  let h: Harness;
  let listener: net.Server;
  let port: number;
  let connections = 0;
  /** What scim.rebind.test resolves to, one answer per lookup; the last one stays. */
  let answers: string[][];

  before(async () => {
    listener = net.createServer((socket) => { connections += 1; socket.destroy(); });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', () => resolve()));
    port = (listener.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => listener.close(() => resolve())));
  beforeEach(async () => {
    h = await startGatehouse({ SCIM_ALLOW_PRIVATE_TARGETS: 'false' });
    answers = [['93.184.216.34']];
    h.ctx.resolveHost = async (host) => (host === 'scim.rebind.test' ? (answers.length > 1 ? answers.shift()! : answers[0]) : []);
    connections = 0;
  });
  afterEach(() => h.close());

  async function savedApp() {
    const app = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', placeholders: { YOUR_SUBDOMAIN: 'acme' } }).expect(201)).body;
    await h.api().put(`/api/v1/applications/${app.id}/idm`).send({ baseUrl: `https://scim.rebind.test:${port}/scim/v2`, token: 'a-scim-token-1234' }).expect(200);
    return app;
  }

  it('refuses activation when the name resolves to loopback at connect time, right after a public answer, and connects nowhere', async () => {
    const app = await savedApp();
    answers = [['93.184.216.34'], ['127.0.0.1']]; // the activation's own check, then the connect
    const res = await h.api().post(`/api/v1/applications/${app.id}/idm/activate`).expect(422);
    expect(res.body.code).to.equal('idm.target_refused');
    expect(res.body.message).to.contain('scim.rebind.test resolves to 127.0.0.1');
    expect(res.body.message).to.contain('SCIM_ALLOW_PRIVATE_TARGETS');
    expect((await h.ctx.store.idm.find(app.id))?.active).to.equal(false);
    expect(connections).to.equal(0);
  });

  it('fails a provisioning job whose target turned private after activation, with a clear message and an event, without retrying', async () => {
    const app = await savedApp();
    // Activated while the name still resolved to a public address.
    const saved = (await h.ctx.store.idm.find(app.id))!;
    await h.ctx.store.idm.put({ ...saved, active: true, activatedAt: saved.updatedAt });
    const group = await createGroup(h);
    await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
    const user = await createUser(h);
    answers = [['::ffff:127.0.0.1']];
    await h.api().put(`/api/v1/groups/${group.id}/members/${user.id}`).expect(204);

    expect(await runDueJobs(h.ctx)).to.equal(1);
    const [job] = await h.ctx.store.provisioning.list(app.id, 1);
    expect(job.status).to.equal('failed');
    expect(job.lastError).to.contain('did not connect to the SCIM service');
    expect(job.lastError).to.contain('IPv4-mapped loopback');
    const [event] = await h.ctx.store.events.list({ appId: app.id, outcome: 'failure', limit: 1 });
    expect(event).to.include({ reason: 'idm.target_refused' });
    expect(event.detail).to.include({ willRetry: false });
    expect(connections).to.equal(0);
    h.clock.advance(3600);
    expect(await runDueJobs(h.ctx)).to.equal(0);
  });
});
