import { expect } from 'chai';
import type { ProvisioningJob, Store } from '../../../src/store';
import { forEachDriver } from './drivers';
import { sampleApplication } from './fixtures';

/**
 * Several Gatehouse instances share one outbox. These cases pin what the plain calls (`due`,
 * `complete`, `retryLater` without an owner) leave behind when two instances make them at once;
 * the worker claims jobs under leases (provisioning-leases.test.ts). On SQLite the calls run one
 * after the other; on PostgreSQL they truly overlap.
 */

const iso = (offsetMs = 0) => new Date(Date.UTC(2026, 11, 2, 12, 0, 0) + offsetMs).toISOString();
const NOW = iso();

forEachDriver('Store contract: provisioning when instances race', ({ open, kind }) => {
  let store: Store;
  let app: string;
  beforeEach(async () => {
    store = await open();
    const a = sampleApplication();
    await store.applications.create(a);
    app = a.id;
  });
  const jobsOf = async (userId: string) => (await store.provisioning.list(app, 1000)).filter((j) => j.userId === userId);
  const dueFor = async (userId: string, at = NOW): Promise<ProvisioningJob> => {
    const [job] = (await store.provisioning.due(at, 100)).filter((j) => j.appId === app && j.userId === userId);
    expect(job, `a due job for ${userId}`).to.not.equal(undefined);
    return job;
  };

  it('keeps every job enqueued for one (app, user) at once; due gives one at a time, and completing finishes them all', async () => {
    await Promise.all(Array.from({ length: 8 }, () => store.provisioning.enqueue(app, 'u1', NOW)));
    expect(await jobsOf('u1')).to.have.length(8);
    const due = await store.provisioning.due(NOW, 100);
    expect(due).to.have.length(1);
    expect(due[0].id).to.equal(Math.max(...(await jobsOf('u1')).map((j) => j.id)));
    // Completing finishes the job and the older ones its enqueuer could see. On PostgreSQL jobs
    // enqueued by transactions running at the same moment may not be among them: they stay due
    // and run once more (a reconcile with nothing to do), never get lost.
    for (let round = 0, next = due; next.length > 0; round++, next = await store.provisioning.due(NOW, 100)) {
      expect(next, 'one job at a time per (app, user)').to.have.length(1);
      expect(round).to.be.below(8);
      await store.provisioning.complete(next[0], 'done', null, NOW);
    }
    expect((await jobsOf('u1')).every((j) => j.status === 'done')).to.equal(true);
  });

  it('gives two instances asking at once the same due jobs (due, which does not claim; claim is in provisioning-leases.test.ts)', async () => {
    await store.provisioning.enqueue(app, 'u1', NOW);
    await store.provisioning.enqueue(app, 'u2', NOW);
    const [a, b] = await Promise.all([store.provisioning.due(NOW, 10), store.provisioning.due(NOW, 10)]);
    expect(a.map((j) => j.id)).to.have.length(2).and.deep.equal(b.map((j) => j.id));
  });

  it('finishes a job once when two instances complete it at once', async () => {
    await store.provisioning.enqueue(app, 'u1', NOW);
    await store.provisioning.enqueue(app, 'u1', NOW);
    const job = await dueFor('u1');
    await Promise.all([
      store.provisioning.complete(job, 'done', null, iso(1000)),
      store.provisioning.complete(job, 'failed', 'HTTP 400', iso(1000)),
      store.provisioning.complete(job, 'done', null, iso(1000)),
    ]);
    const jobs = await jobsOf('u1');
    // One completion finished both jobs; the others found nothing pending.
    expect(jobs.map((j) => j.attempts)).to.deep.equal([1, 1]);
    expect(new Set(jobs.map((j) => j.status)).size).to.equal(1);
    expect(jobs[0].status).to.be.oneOf(['done', 'failed']);
  });

  it('ends finished when one instance completes a job while another puts it off', async () => {
    await store.provisioning.enqueue(app, 'u1', NOW);
    const job = await dueFor('u1');
    await Promise.all([
      store.provisioning.retryLater(job, iso(60_000), 'HTTP 503', iso(1000)),
      store.provisioning.complete(job, 'done', null, iso(1000)),
    ]);
    const [after] = await jobsOf('u1');
    expect(after.status).to.equal('done');
    expect(after.attempts).to.be.oneOf([1, 2]);
    expect(await store.provisioning.due(iso(120_000), 10)).to.deep.equal([]);
  });

  it('counts both attempts when two instances put the same job off at once (due, which does not claim; claim is in provisioning-leases.test.ts)', async () => {
    await store.provisioning.enqueue(app, 'u1', NOW);
    const job = await dueFor('u1');
    await Promise.all([
      store.provisioning.retryLater(job, iso(60_000), 'HTTP 503', iso(1000)),
      store.provisioning.retryLater(job, iso(60_000), 'HTTP 503', iso(1000)),
    ]);
    const [after] = await jobsOf('u1');
    expect([after.status, after.attempts, after.nextAttemptAt]).to.deep.equal(['pending', 2, iso(60_000)]);
  });

  it('leaves a job enqueued while another instance completes the older one pending', async () => {
    await store.provisioning.enqueue(app, 'u1', NOW);
    const job = await dueFor('u1');
    await Promise.all([
      store.provisioning.complete(job, 'done', null, iso(1000)),
      store.provisioning.enqueue(app, 'u1', iso(1000)),
    ]);
    const jobs = await jobsOf('u1');
    expect(jobs.map((j) => j.status)).to.deep.equal(['pending', 'done']);
    expect((await dueFor('u1', iso(1000))).id).to.be.greaterThan(job.id);
  });

  it('links one remote user once when two instances put the same link at once', async () => {
    await Promise.all(['r-1', 'r-2'].map((remoteId) => store.provisioning.putLink({ appId: app, userId: 'u1', remoteId, active: true, sent: { remoteId } }, NOW)));
    const link = await store.provisioning.findLink(app, 'u1');
    expect(link?.remoteId).to.be.oneOf(['r-1', 'r-2']);
    expect(link?.sent).to.deep.equal({ remoteId: link?.remoteId });
    expect(await store.provisioning.linkedUserIds(app)).to.deep.equal(['u1']);
    await Promise.all(['rg-1', 'rg-2'].map((remoteId) => store.provisioning.putGroupLink(app, 'g1', remoteId, NOW, { displayName: remoteId, members: [] })));
    const group = await store.provisioning.findGroupLink(app, 'g1');
    expect(group?.sent?.displayName).to.equal(group?.remoteId);
  });

  // SQLite serializes writers (BEGIN IMMEDIATE), so its ids follow commit order: a PostgreSQL case.
  if (kind === 'postgres') it('does not finish an older job whose unit of work commits after a newer job was run', async function () {
    let commit!: () => void;
    const held = new Promise<void>((resolve) => { commit = resolve; });
    let enqueued!: () => void;
    const inside = new Promise<void>((resolve) => { enqueued = resolve; });
    // A user change and its job, in one unit of work that is still open: it drew the lower id.
    const slow = store.transaction(async () => {
      await store.provisioning.enqueue(app, 'u1', NOW);
      enqueued();
      await held;
    });
    await inside;
    await store.provisioning.enqueue(app, 'u1', NOW);
    const job = await dueFor('u1'); // the worker runs the newer job, without the open change
    expect(await jobsOf('u1')).to.have.length(1);
    commit();
    await slow;
    await store.provisioning.complete(job, 'done', null, iso(1000));
    const jobs = await jobsOf('u1');
    expect(jobs.map((j) => [j.id < job.id, j.status])).to.deep.equal([[false, 'done'], [true, 'pending']]);
    const again = await dueFor('u1', iso(1000));
    expect(again.id).to.be.lessThan(job.id);
    await store.provisioning.complete(again, 'done', null, iso(2000));
    expect(await store.provisioning.due(iso(2000), 10)).to.deep.equal([]);
  });
});
