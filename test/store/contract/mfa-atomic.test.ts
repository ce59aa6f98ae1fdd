import { expect } from 'chai';
import type { Store, User } from '../../../src/store';
import { forEachDriver } from './drivers';
import { sampleUser } from './fixtures';

/**
 * Issue 10 #3: a TOTP code and a recovery code are each usable once, even when two instances
 * check the same code at the same moment: using one is a compare-and-set, not a read and a write.
 */
forEachDriver('Store contract: MFA codes are used once across instances', ({ open }) => {
  let store: Store;
  let user: User;
  before(async () => {
    store = await open();
    user = sampleUser();
    await store.users.create(user, null);
    await store.mfa.put({ userId: user.id, sealedSecret: 'sealed', confirmed: true, recoveryCodeHashes: ['h1', 'h2'], lastUsedStep: 100, createdAt: new Date().toISOString() });
  });

  it('takes a time step once: the same or an older step again is refused', async () => {
    const answers = await Promise.all([0, 1, 2, 3].map(() => store.mfa.useStep(user.id, 101)));
    expect(answers.filter(Boolean)).to.have.length(1);
    expect(await store.mfa.useStep(user.id, 100)).to.equal(false);
    expect((await store.mfa.find(user.id))?.lastUsedStep).to.equal(101);
    expect(await store.mfa.useStep('nobody', 500)).to.equal(false);
  });

  it('takes a recovery code once, and records the step it was used at', async () => {
    const answers = await Promise.all([0, 1, 2, 3].map(() => store.mfa.useRecoveryCode(user.id, 'h1', 102)));
    expect(answers.filter(Boolean)).to.have.length(1);
    expect(await store.mfa.useRecoveryCode(user.id, 'unknown', 103)).to.equal(false);
    const after = await store.mfa.find(user.id);
    expect(after?.recoveryCodeHashes).to.deep.equal(['h2']);
    expect(after?.lastUsedStep).to.equal(102);
  });
});
