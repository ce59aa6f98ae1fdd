import { expect } from 'chai';
import type { Store } from '../../../src/store';
import { forEachDriver } from './drivers';

/**
 * Issue 10 #3: failed sign-ins are counted atomically across instances. `recordFailure` is one
 * statement, so failures recorded at the same moment by several instances are all counted, and a
 * wait set by one is never shortened by another.
 */
forEachDriver('Store contract: throttle counts failures atomically', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });
  const at = (seconds: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, seconds)).toISOString();

  it('starts a window at the first failure, counts on inside it, and starts again after it', async () => {
    expect(await store.throttle.recordFailure('k:window', at(0), at(-900))).to.deep.equal({ failures: 1, windowStart: at(0) });
    expect(await store.throttle.recordFailure('k:window', at(10), at(-890))).to.deep.equal({ failures: 2, windowStart: at(0) });
    await store.throttle.blockUntil('k:window', at(20));
    // A failure after the window (window start older than freshAfter) counts from 1 again and lifts the old wait.
    expect(await store.throttle.recordFailure('k:window', at(1000), at(100))).to.deep.equal({ failures: 1, windowStart: at(1000) });
    expect((await store.throttle.find('k:window'))?.blockedUntil).to.equal(null);
  });

  it('counts every one of many failures recorded at the same moment', async () => {
    await Promise.all(Array.from({ length: 20 }, () => store.throttle.recordFailure('k:race', at(0), at(-900))));
    expect((await store.throttle.find('k:race'))?.failures).to.equal(20);
  });

  it('only ever lengthens a wait', async () => {
    await store.throttle.recordFailure('k:wait', at(0), at(-900));
    await store.throttle.blockUntil('k:wait', at(60));
    await store.throttle.blockUntil('k:wait', at(30));
    expect((await store.throttle.find('k:wait'))?.blockedUntil).to.equal(at(60));
  });
});
