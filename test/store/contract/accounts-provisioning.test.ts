import crypto from 'node:crypto';
import { expect } from 'chai';
import type { ProvisioningJob, Store } from '../../../src/store';
import { forEachDriver } from './drivers';
import { sampleApplication } from './fixtures';

/** The provisioning outbox and the links to remote SCIM users and groups, on every driver. */

const iso = (offsetMs = 0) => new Date(Date.UTC(2026, 11, 2, 12, 0, 0) + offsetMs).toISOString();
const NOW = iso();
const MINUTE = 60_000;

async function newApp(store: Store): Promise<string> {
  const app = sampleApplication();
  await store.applications.create(app);
  return app.id;
}

/** The pending jobs of one (app, user), oldest first. */
async function pendingOf(store: Store, appId: string, userId: string): Promise<ProvisioningJob[]> {
  return (await store.provisioning.list(appId, 1000)).filter((j) => j.userId === userId && j.status === 'pending').reverse();
}

forEachDriver('Store contract: provisioning jobs', ({ open }) => {
  let store: Store;
  beforeEach(async () => { store = await open(); });

  it('enqueues pending jobs and lists an app\'s jobs newest first, up to the limit', async () => {
    const app = await newApp(store);
    const other = await newApp(store);
    await store.provisioning.enqueue(app, 'u1', NOW);
    await store.provisioning.enqueue(app, 'group:g1', iso(1000));
    await store.provisioning.enqueue(other, 'u1', NOW);
    await store.provisioning.enqueue(app, 'u2', iso(2000));
    const jobs = await store.provisioning.list(app, 10);
    expect(jobs.map((j) => j.userId)).to.deep.equal(['u2', 'group:g1', 'u1']);
    expect(jobs[2]).to.deep.equal({ id: jobs[2].id, appId: app, userId: 'u1', status: 'pending', attempts: 0, nextAttemptAt: NOW, lastError: null, createdAt: NOW });
    expect(jobs[2].id).to.be.a('number');
    expect(jobs[0].id).to.be.greaterThan(jobs[1].id).and.greaterThan(jobs[2].id);
    expect((await store.provisioning.list(app, 2)).map((j) => j.userId)).to.deep.equal(['u2', 'group:g1']);
    expect(await store.provisioning.list(crypto.randomUUID(), 10)).to.deep.equal([]);
  });

  it('gives the due jobs at most one per (app, user), the newest, in the order of those newest ids, up to the limit', async () => {
    const a = await newApp(store);
    const b = await newApp(store);
    await store.provisioning.enqueue(a, 'u1', NOW);
    await store.provisioning.enqueue(a, 'u2', NOW);
    await store.provisioning.enqueue(b, 'u1', NOW);
    await store.provisioning.enqueue(a, 'u1', NOW);
    const due = await store.provisioning.due(NOW, 10);
    expect(due.map((j) => [j.appId, j.userId])).to.deep.equal([[a, 'u2'], [b, 'u1'], [a, 'u1']]);
    const newestA1 = (await pendingOf(store, a, 'u1'))[1];
    expect(due[2]).to.deep.equal(newestA1);
    expect((await store.provisioning.due(NOW, 2)).map((j) => j.userId)).to.deep.equal(['u2', 'u1']);
  });

  it('does not give a job before its time, and a newer job does not skip an older one\'s retry wait', async () => {
    const app = await newApp(store);
    await store.provisioning.enqueue(app, 'later', iso(MINUTE));
    expect(await store.provisioning.due(NOW, 10)).to.deep.equal([]);
    expect((await store.provisioning.due(iso(MINUTE), 10)).map((j) => j.userId)).to.deep.equal(['later']);

    await store.provisioning.enqueue(app, 'u1', NOW);
    const [first] = (await store.provisioning.due(NOW, 10)).filter((j) => j.userId === 'u1');
    await store.provisioning.retryLater(first, iso(5 * MINUTE), 'HTTP 503', NOW);
    await store.provisioning.enqueue(app, 'u1', iso(1000));
    const u1Due = async (at: string) => (await store.provisioning.due(at, 10)).filter((j) => j.userId === 'u1');
    expect(await u1Due(iso(2 * MINUTE))).to.deep.equal([]);
    const [newest] = await u1Due(iso(5 * MINUTE));
    expect(newest.id).to.be.greaterThan(first.id);
  });

  it('completes a job together with every older pending job of the same (app, user), and nothing else', async () => {
    const app = await newApp(store);
    const other = await newApp(store);
    await store.provisioning.enqueue(app, 'u1', NOW);
    await store.provisioning.enqueue(app, 'u1', NOW);
    await store.provisioning.enqueue(app, 'u2', NOW);
    await store.provisioning.enqueue(other, 'u1', NOW);
    const [job] = (await store.provisioning.due(NOW, 10)).filter((j) => j.appId === app && j.userId === 'u1');
    await store.provisioning.enqueue(app, 'u1', iso(1000)); // arrives while the job runs
    await store.provisioning.complete(job, 'failed', 'HTTP 400: bad userName', iso(2000));

    const jobs = await store.provisioning.list(app, 10);
    const u1 = jobs.filter((j) => j.userId === 'u1').reverse();
    expect(u1.map((j) => [j.status, j.attempts, j.lastError])).to.deep.equal([
      ['failed', 1, 'HTTP 400: bad userName'], ['failed', 1, 'HTTP 400: bad userName'], ['pending', 0, null]]);
    expect(jobs.find((j) => j.userId === 'u2')?.status).to.equal('pending');
    expect((await store.provisioning.list(other, 10))[0].status).to.equal('pending');

    // Finished jobs are not touched again by a later completion.
    const [next] = (await store.provisioning.due(iso(2000), 10)).filter((j) => j.appId === app && j.userId === 'u1');
    await store.provisioning.complete(next, 'done', null, iso(3000));
    const after = (await store.provisioning.list(app, 10)).filter((j) => j.userId === 'u1').reverse();
    expect(after.map((j) => [j.status, j.attempts])).to.deep.equal([['failed', 1], ['failed', 1], ['done', 1]]);
    expect((await store.provisioning.due(iso(3000), 10)).map((j) => j.userId)).to.deep.equal(['u2', 'u1']);
  });

  it('puts a job and its older pending ones off until later, counting the attempt; a newer job keeps its time', async () => {
    const app = await newApp(store);
    await store.provisioning.enqueue(app, 'u1', NOW);
    await store.provisioning.enqueue(app, 'u1', NOW);
    const [job] = await store.provisioning.due(NOW, 10);
    await store.provisioning.enqueue(app, 'u1', iso(1000));
    await store.provisioning.retryLater(job, iso(MINUTE), 'HTTP 429', iso(1000));
    expect((await pendingOf(store, app, 'u1')).map((j) => [j.attempts, j.nextAttemptAt, j.lastError])).to.deep.equal([
      [1, iso(MINUTE), 'HTTP 429'], [1, iso(MINUTE), 'HTTP 429'], [0, iso(1000), null]]);
  });

  it('keeps the jobs when their user is deleted, and drops them with their app', async () => {
    const app = await newApp(store);
    await store.provisioning.enqueue(app, 'not-a-user-id', NOW);
    expect(await store.provisioning.list(app, 10)).to.have.length(1);
    await store.applications.delete(app);
    expect(await store.provisioning.list(app, 10)).to.deep.equal([]);
    expect(await store.provisioning.due(NOW, 10)).to.deep.equal([]);
  });

  it('enqueues with the unit of work: a rolled-back change leaves no job (the outbox rule)', async () => {
    const app = await newApp(store);
    await store.transaction(async () => {
      await store.provisioning.enqueue(app, 'u1', NOW);
      throw new Error('the change failed');
    }).catch(() => undefined);
    expect(await store.provisioning.list(app, 10)).to.deep.equal([]);
  });

  it('finishes the jobs one unit of work enqueued for a user together, and those enqueued before it', async () => {
    const app = await newApp(store);
    await store.provisioning.enqueue(app, 'u1', NOW);
    await store.transaction(async () => {
      await store.provisioning.enqueue(app, 'u1', NOW);
      await store.provisioning.enqueue(app, 'u2', NOW);
      await store.provisioning.enqueue(app, 'u1', NOW);
    });
    const job = (await store.provisioning.due(NOW, 10)).find((j) => j.userId === 'u1') as ProvisioningJob;
    await store.provisioning.complete(job, 'done', null, iso(1000));
    const jobs = await store.provisioning.list(app, 10);
    expect(jobs.filter((j) => j.userId === 'u1').map((j) => j.status)).to.deep.equal(['done', 'done', 'done']);
    expect(jobs.find((j) => j.userId === 'u2')?.status).to.equal('pending');
  });
});

forEachDriver('Store contract: links to remote SCIM users and groups', ({ open }) => {
  let store: Store;
  beforeEach(async () => { store = await open(); });

  it('finds no link before one is put, then the link with what was last sent', async () => {
    const app = await newApp(store);
    expect(await store.provisioning.findLink(app, 'u1')).to.equal(undefined);
    const sent = { userName: 'ada', name: { givenName: 'Ada' }, active: true, emails: [{ value: 'ada@example.com', primary: true }] };
    await store.provisioning.putLink({ appId: app, userId: 'u1', remoteId: 'r-1', active: true, sent }, NOW);
    expect(await store.provisioning.findLink(app, 'u1')).to.deep.equal({ appId: app, userId: 'u1', remoteId: 'r-1', active: true, sent });
  });

  it('stores an unknown `sent` (absent or null) as null, and replaces the link on a second put', async () => {
    const app = await newApp(store);
    await store.provisioning.putLink({ appId: app, userId: 'u1', remoteId: 'r-1', active: true }, NOW);
    expect(await store.provisioning.findLink(app, 'u1')).to.deep.equal({ appId: app, userId: 'u1', remoteId: 'r-1', active: true, sent: null });
    await store.provisioning.putLink({ appId: app, userId: 'u1', remoteId: 'r-2', active: false, sent: { active: false } }, iso(1000));
    expect(await store.provisioning.findLink(app, 'u1')).to.deep.equal({ appId: app, userId: 'u1', remoteId: 'r-2', active: false, sent: { active: false } });
    await store.provisioning.putLink({ appId: app, userId: 'u1', remoteId: 'r-2', active: false, sent: null }, iso(2000));
    expect((await store.provisioning.findLink(app, 'u1'))?.sent).to.equal(null);
  });

  it('deletes a link (a missing one is no error), per app', async () => {
    const app = await newApp(store);
    const other = await newApp(store);
    await store.provisioning.putLink({ appId: app, userId: 'u1', remoteId: 'r-1', active: true }, NOW);
    await store.provisioning.putLink({ appId: other, userId: 'u1', remoteId: 'r-9', active: true }, NOW);
    await store.provisioning.deleteLink(app, 'u1');
    await store.provisioning.deleteLink(app, 'u1');
    expect(await store.provisioning.findLink(app, 'u1')).to.equal(undefined);
    expect((await store.provisioning.findLink(other, 'u1'))?.remoteId).to.equal('r-9');
  });

  it('lists the linked user ids and their remote ids of one app, by user id', async () => {
    const app = await newApp(store);
    const other = await newApp(store);
    for (const [userId, remoteId] of [['u3', 'r-c'], ['u1', 'r-z'], ['u2', 'r-a']]) {
      await store.provisioning.putLink({ appId: app, userId, remoteId, active: userId !== 'u2' }, NOW);
    }
    await store.provisioning.putLink({ appId: other, userId: 'u9', remoteId: 'r-9', active: true }, NOW);
    expect(await store.provisioning.linkedUserIds(app)).to.deep.equal(['u1', 'u2', 'u3']);
    expect(await store.provisioning.linkedRemoteIds(app)).to.deep.equal(['r-z', 'r-a', 'r-c']);
    expect(await store.provisioning.linkedUserIds(crypto.randomUUID())).to.deep.equal([]);
    expect(await store.provisioning.linkedRemoteIds(crypto.randomUUID())).to.deep.equal([]);
  });

  it('keeps group links with their name and managed members; absent `sent` is null; put replaces; delete removes', async () => {
    const app = await newApp(store);
    expect(await store.provisioning.findGroupLink(app, 'g1')).to.equal(undefined);
    await store.provisioning.putGroupLink(app, 'g1', 'rg-1', NOW);
    expect(await store.provisioning.findGroupLink(app, 'g1')).to.deep.equal({ remoteId: 'rg-1', sent: null });
    const sent = { displayName: 'Engineering', members: ['r-2', 'r-1'] };
    await store.provisioning.putGroupLink(app, 'g1', 'rg-2', iso(1000), sent);
    expect(await store.provisioning.findGroupLink(app, 'g1')).to.deep.equal({ remoteId: 'rg-2', sent });
    await store.provisioning.deleteGroupLink(app, 'g1');
    await store.provisioning.deleteGroupLink(app, 'g1');
    expect(await store.provisioning.findGroupLink(app, 'g1')).to.equal(undefined);
  });

  it('drops an app\'s user and group links with the app', async () => {
    const app = await newApp(store);
    await store.provisioning.putLink({ appId: app, userId: 'u1', remoteId: 'r-1', active: true }, NOW);
    await store.provisioning.putGroupLink(app, 'g1', 'rg-1', NOW, null);
    await store.applications.delete(app);
    expect(await store.provisioning.findLink(app, 'u1')).to.equal(undefined);
    expect(await store.provisioning.findGroupLink(app, 'g1')).to.equal(undefined);
  });
});
