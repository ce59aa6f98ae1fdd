import { expect } from 'chai';
import type { Store } from '../../../src/store';
import { forEachDriver } from './drivers';
import { sampleApplication } from './fixtures';

/**
 * Issue 10 #3: workers on several instances share the provisioning queue by claiming jobs with a
 * lease per (app, user). On SQLite claims run one after the other; on PostgreSQL they overlap.
 */

const iso = (offsetMs = 0) => new Date(Date.UTC(2026, 11, 2, 12, 0, 0) + offsetMs).toISOString();
const NOW = iso();
const LEASE = 60;

forEachDriver('Store contract: provisioning claims and leases', ({ open }) => {
  let store: Store;
  let app: string;
  beforeEach(async () => {
    store = await open();
    const a = sampleApplication();
    await store.applications.create(a);
    app = a.id;
  });
  const jobsOf = async (userId: string) => (await store.provisioning.list(app, 1000)).filter((j) => j.userId === userId);

  it('never gives two claimers at once the same job, and gives every due user to one of them', async () => {
    const users = Array.from({ length: 30 }, (_, i) => `u${i}`);
    for (const u of users) {
      await store.provisioning.enqueue(app, u, NOW);
      await store.provisioning.enqueue(app, u, NOW);
    }
    const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => store.provisioning.claim(NOW, 10, LEASE, `w${i}`)));
    const ids = claims.flat().map((j) => j.id);
    expect(new Set(ids).size, 'no job twice').to.equal(ids.length);
    const claimedUsers = claims.flat().map((j) => j.userId);
    expect(new Set(claimedUsers).size, 'no user twice').to.equal(claimedUsers.length);
    // What one claimer skipped (locked by another) a later claim takes: all 30 in the end.
    const rest = await store.provisioning.claim(NOW, 100, LEASE, 'w-late');
    expect([...claimedUsers, ...rest.map((j) => j.userId)].sort()).to.deep.equal([...users].sort());
    expect(await store.provisioning.claim(NOW, 100, LEASE, 'w-after')).to.deep.equal([]);
  });

  it('hides a leased job and its (app, user), even a newer job of that user, until the lease is released', async () => {
    await store.provisioning.enqueue(app, 'u1', NOW);
    const [job] = await store.provisioning.claim(NOW, 10, LEASE, 'a');
    expect(job.userId).to.equal('u1');
    await store.provisioning.enqueue(app, 'u1', iso(1000));
    await store.provisioning.enqueue(app, 'u2', iso(1000));
    expect((await store.provisioning.claim(iso(2000), 10, LEASE, 'b')).map((j) => j.userId)).to.deep.equal(['u2']);
    expect(await store.provisioning.claim(iso(30_000), 10, LEASE, 'b')).to.deep.equal([]);
    await store.provisioning.complete(job, 'done', null, iso(3000), 'a');
    // The newer job stays pending and is claimable now that the lease is gone: in order per user.
    const [next] = await store.provisioning.claim(iso(3000), 10, LEASE, 'b');
    expect([next.userId, next.id > job.id]).to.deep.equal(['u1', true]);
  });

  it('lets another worker take over a job whose lease expired; renewing keeps it', async () => {
    await store.provisioning.enqueue(app, 'u1', NOW);
    const [job] = await store.provisioning.claim(NOW, 10, LEASE, 'a');
    expect(await store.provisioning.renew(job, 'a', iso(90_000))).to.equal(true);
    expect(await store.provisioning.claim(iso(61_000), 10, LEASE, 'b'), 'renewed: still hidden').to.deep.equal([]);
    const [taken] = await store.provisioning.claim(iso(90_000), 10, LEASE, 'b');
    expect(taken.id).to.equal(job.id);
    expect(await store.provisioning.renew(job, 'a', iso(200_000)), 'no longer a\'s').to.equal(false);
    expect(await store.provisioning.claim(iso(100_000), 10, LEASE, 'c')).to.deep.equal([]);
  });

  it('lets only the owner complete or put off a job: an expired, re-claimed lease is not the old owner\'s', async () => {
    await store.provisioning.enqueue(app, 'u1', NOW);
    const [job] = await store.provisioning.claim(NOW, 10, LEASE, 'a');
    const [again] = await store.provisioning.claim(iso(61_000), 10, LEASE, 'b');
    expect(again.id).to.equal(job.id);
    await store.provisioning.complete(job, 'failed', 'late', iso(62_000), 'a');
    await store.provisioning.retryLater(job, iso(600_000), 'late', iso(62_000), 'a');
    expect((await jobsOf('u1')).map((j) => [j.status, j.attempts])).to.deep.equal([['pending', 0]]);
    await store.provisioning.retryLater(again, iso(120_000), 'HTTP 503', iso(63_000), 'b');
    expect((await jobsOf('u1')).map((j) => [j.status, j.attempts, j.nextAttemptAt])).to.deep.equal([['pending', 1, iso(120_000)]]);
    // The retry released b's lease: the job is due again at its time, for anyone.
    expect(await store.provisioning.claim(iso(119_000), 10, LEASE, 'c')).to.deep.equal([]);
    const [third] = await store.provisioning.claim(iso(120_000), 10, LEASE, 'c');
    await store.provisioning.complete(third, 'done', null, iso(121_000), 'c');
    expect((await jobsOf('u1')).map((j) => j.status)).to.deep.equal(['done']);
  });

  it('claims the newest pending job of a user, finishing the older ones with it, oldest users first', async () => {
    await store.provisioning.enqueue(app, 'u1', NOW);
    await store.provisioning.enqueue(app, 'u2', NOW);
    await store.provisioning.enqueue(app, 'u1', NOW);
    const claimed = await store.provisioning.claim(NOW, 10, LEASE, 'a');
    expect(claimed.map((j) => j.userId)).to.deep.equal(['u2', 'u1']);
    await store.provisioning.complete(claimed[1], 'done', null, iso(1000), 'a');
    expect((await jobsOf('u1')).map((j) => j.status)).to.deep.equal(['done', 'done']);
  });
});
