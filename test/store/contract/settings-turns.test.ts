import { expect } from 'chai';
import type { Store } from '../../../src/store';
import { forEachDriver } from './drivers';

/** Issue 10 #3: periodic work runs once per interval, whichever instance gets there first. */
forEachDriver('Store contract: turns for periodic work', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });
  const at = (seconds: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, seconds)).toISOString();

  it('gives the turn to exactly one of several instances asking at once, then to nobody until the interval has passed', async () => {
    const answers = await Promise.all([0, 1, 2, 3].map(() => store.settings.claimTurn('turn:test', at(0), at(-60))));
    expect(answers.filter(Boolean)).to.have.length(1);
    expect(await store.settings.claimTurn('turn:test', at(30), at(-30))).to.equal(false);
    expect(await store.settings.claimTurn('turn:test', at(61), at(1))).to.equal(true);
    expect(await store.settings.get('turn:test')).to.equal(at(61));
  });
});
