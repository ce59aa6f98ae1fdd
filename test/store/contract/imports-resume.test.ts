import { expect } from 'chai';
import type { Store, UserImport } from '../../../src/store';
import { forEachDriver } from './drivers';
import { sampleApplication } from './fixtures';

/** Issue 10 #3: imports that resume after a restart: their chosen users, outcomes and lease. */

const iso = (offsetMs = 0) => new Date(Date.UTC(2026, 11, 2, 12, 0, 0) + offsetMs).toISOString();

forEachDriver('Store contract: imports that resume', ({ open }) => {
  let store: Store;
  let app: string;
  beforeEach(async () => {
    store = await open();
    const a = sampleApplication();
    await store.applications.create(a);
    app = a.id;
  });
  const entry = (id: string, total: number): UserImport => ({ id, appId: app, total, done: 0, failed: 0, status: 'running', createdAt: iso() });

  it('keeps the chosen users in order and gives back those without an outcome, with the counts so far', async () => {
    await store.imports.start(entry('i1', 3), 'g1', [{ remoteId: 'a' }, { remoteId: 'b' }, { remoteId: 'c' }], 'p1', iso(60_000));
    expect(await store.imports.find('i1')).to.deep.equal(entry('i1', 3));
    await store.imports.recordItem('i1', 0, 'done');
    await store.imports.recordItem('i1', 2, 'failed');
    expect(await store.imports.remaining('i1')).to.deep.equal({ groupId: 'g1', done: 1, failed: 1, items: [{ position: 1, user: { remoteId: 'b' } }] });
  });

  it('gives each running import whose lease expired to one of two instances asking at once; a live lease, a renewed one and a finished import stay', async () => {
    await store.imports.start(entry('dead', 1), 'g1', [{ remoteId: 'a' }], 'p1', iso(1000));
    await store.imports.start(entry('alive', 1), 'g1', [{ remoteId: 'b' }], 'p2', iso(1000));
    await store.imports.start(entry('done', 1), 'g1', [{ remoteId: 'c' }], 'p3', iso(1000));
    await store.imports.progress('done', 1, 0, 'finished', iso(500));
    await store.imports.create(entry('legacy', 5)); // from before leases: no owner
    expect(await store.imports.renew('alive', 'p2', iso(90_000))).to.equal(true);
    expect(await store.imports.renew('alive', 'someone-else', iso(99_000))).to.equal(false);
    const [x, y] = await Promise.all([store.imports.claimStale(iso(2000), 'x', iso(62_000)), store.imports.claimStale(iso(2000), 'y', iso(62_000))]);
    expect([...x, ...y].sort()).to.deep.equal(['dead', 'legacy']);
    expect(await store.imports.renew('dead', 'p1', iso(99_000)), 'the dead owner lost it').to.equal(false);
    expect(await store.imports.remaining('legacy')).to.deep.equal({ groupId: null, done: 0, failed: 0, items: [] });
  });
});
