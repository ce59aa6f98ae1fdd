import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import type { ProvisioningJob } from '../../src/store';
import { runDueJobs } from '../../src/services/provisioning';
import { createGroup, createUser, startGatehouse, type Harness } from '../helpers/harness';
import { freshPostgresUrl, postgresAvailable } from '../helpers/postgres';
import { startScimServer, type ScimServer } from '../helpers/scim-server';

/**
 * Issue 10 #3: the provisioning workers of two instances on one PostgreSQL database share the
 * queue: every job runs exactly once (counted as requests at a real SCIM service), and a worker
 * killed with kill -9 mid-job leaves its lease to expire, after which another instance finishes it.
 */
const LEASE_SECONDS = 2;

(postgresAvailable() ? describe : describe.skip)('The provisioning queue under two instances on one PostgreSQL database', function () {
  this.timeout(60_000);
  let a: Harness;
  let b: Harness;
  let scim: ScimServer;
  let url: string;

  beforeEach(async () => {
    url = await freshPostgresUrl();
    const shared = {
      DATABASE_URL: url, SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
      GATEHOUSE_KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'), PROVISIONING_LEASE_SECONDS: String(LEASE_SECONDS),
    };
    a = await startGatehouse(shared);
    b = await startGatehouse(shared);
    scim = await startScimServer();
  });
  afterEach(async () => { await scim?.close(); await Promise.all([a?.close(), b?.close()]); });

  /** monday.com on instance A with an active connection and a bound group (the other instance reads the same rows). */
  async function connectedApp() {
    const app = (await a.api().post('/api/v1/applications').send({ catalogId: 'monday', placeholders: { YOUR_SUBDOMAIN: 'acme' } }).expect(201)).body;
    const group = await createGroup(a, `Sales ${crypto.randomBytes(3).toString('hex')}`);
    await a.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
    await a.api().put(`/api/v1/applications/${app.id}/idm`).send({ baseUrl: scim.baseUrl, token: scim.token }).expect(200);
    await a.api().post(`/api/v1/applications/${app.id}/idm/activate`).expect(200);
    return { app, group };
  }
  const userRequests = (userName: string) => scim.requests.filter((r) => /\/Users\b/.test(r.path)
    && (r.body?.userName === userName || decodeURIComponent(r.path).includes(`"${userName}"`)));

  it('runs every job exactly once when both instances\' workers drain the queue at once', async () => {
    const { group } = await connectedApp();
    const people = [];
    for (let i = 0; i < 24; i++) {
      const user = await createUser(a);
      await a.api().put(`/api/v1/groups/${group.id}/members/${user.id}`).expect(204);
      people.push(user);
    }
    const ran = { a: 0, b: 0 };
    const drain = async (h: Harness, owner: string, key: 'a' | 'b') => {
      for (let n; (n = await runDueJobs(h.ctx, 3, owner)) > 0;) ran[key] += n;
    };
    await Promise.all([drain(a, 'instance-a', 'a'), drain(b, 'instance-b', 'b'), drain(a, 'instance-a2', 'a'), drain(b, 'instance-b2', 'b')]);
    expect(ran.a, 'instance A ran some').to.be.greaterThan(0);
    expect(ran.b, 'instance B ran some').to.be.greaterThan(0);
    // Each user: one look-up and one create, never a second of either (which a job run twice at
    // once would send), and no 409 from a duplicate create.
    for (const person of people) {
      expect(userRequests(person.username).map((r) => r.method), person.username).to.deep.equal(['GET', 'POST']);
    }
    expect([...scim.users.values()].map((u) => u.userName).sort()).to.deep.equal(people.map((p) => p.username).sort());
    const pending = (await a.ctx.store.provisioning.list((await a.ctx.store.idm.activeAppIds())[0], 1000)).filter((j) => j.status === 'pending');
    expect(pending).to.deep.equal([]);
  });

  it('lets another instance finish a job whose worker was killed with kill -9 mid-job, once its lease expired', async () => {
    const { group } = await connectedApp();
    const user = await createUser(a);
    await a.api().put(`/api/v1/groups/${group.id}/members/${user.id}`).expect(204);

    // `node --import tsx` runs the script in this one process: the tsx CLI would start a second
    // node process, which a SIGKILL of the first leaves running (and holding mocha's pipes open).
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'claim-and-hang.ts'),
      url, b.clock.now().toISOString(), String(LEASE_SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); if (out.includes('\n')) resolve(out.split('\n')[0]); });
      child.on('exit', () => reject(new Error(`the worker exited before claiming: ${out}`)));
    });
    const [claimed] = JSON.parse(line) as ProvisioningJob[];
    expect(claimed.userId).to.equal(user.id);
    child.kill('SIGKILL');
    expect(await exited).to.equal('SIGKILL');

    // The dead worker's lease still holds: nobody runs the job, nothing reaches the SP.
    expect(await runDueJobs(b.ctx, 10, 'instance-b')).to.equal(0);
    expect(userRequests(user.username)).to.deep.equal([]);
    // Once it has expired, instance B takes the job over and finishes it, once.
    b.clock.advance(LEASE_SECONDS + 1);
    expect(await runDueJobs(b.ctx, 10, 'instance-b')).to.be.greaterThan(0);
    expect(userRequests(user.username).map((r) => r.method)).to.deep.equal(['GET', 'POST']);
    const jobs = (await b.ctx.store.provisioning.list(claimed.appId, 100)).filter((j) => j.userId === user.id);
    expect(jobs.map((j) => j.status)).to.deep.equal(['done']);
  });
});
