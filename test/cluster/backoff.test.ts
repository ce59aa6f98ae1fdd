import { expect } from 'chai';
import { crashesInARow, replacementDelayMs } from '../../src/cluster';

/** Issue 10 #4: a worker that dies is replaced; one that keeps dying young is not re-forked in a tight loop. */
describe('Replacing a worker that died', () => {
  it('replaces a worker that had been up for a while at once, and starts counting again', () => {
    expect(crashesInARow(4, 10_000)).to.equal(0);
    expect(replacementDelayMs(0)).to.equal(0);
  });

  it('backs off exponentially from 0.5 s while workers die young, up to 30 s', () => {
    let crashes = 0;
    const delays = [];
    for (let i = 0; i < 9; i++) {
      crashes = crashesInARow(crashes, 200);
      delays.push(replacementDelayMs(crashes));
    }
    expect(delays).to.deep.equal([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });
});
