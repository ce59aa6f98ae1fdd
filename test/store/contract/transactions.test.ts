import crypto from 'node:crypto';
import { expect } from 'chai';
import { StoreConstraintError, type Store } from '../../../src/store';
import { forEachDriver } from './drivers';
import { sampleUser } from './fixtures';

/** ARCHITECTURE.md "Transactions with a handle": what every driver's transaction must guarantee. */
forEachDriver('Store contract: transactions', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });

  it('commits everything the unit of work wrote, together', async () => {
    const a = sampleUser();
    const b = sampleUser();
    await store.transaction(async () => {
      await store.users.create(a, null);
      await store.users.create(b, null);
    });
    expect((await store.users.findById(a.id))?.username).to.equal(a.username);
    expect((await store.users.findById(b.id))?.username).to.equal(b.username);
  });

  it('rolls back everything when the unit of work throws, and passes the error on', async () => {
    const a = sampleUser();
    const failure = await store.transaction(async () => {
      await store.users.create(a, null);
      throw new Error('changed my mind');
    }).catch((e: unknown) => e);
    expect((failure as Error).message).to.equal('changed my mind');
    expect(await store.users.findById(a.id)).to.equal(undefined);
  });

  it('reports a unique violation as a StoreConstraintError naming the field, inside and outside a transaction', async () => {
    const a = sampleUser();
    await store.users.create(a, null);
    for (const attempt of [
      () => store.users.create(sampleUser({ username: a.username.toUpperCase() }), null),
      () => store.transaction(() => store.users.create(sampleUser({ email: a.email }), null)),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).to.be.instanceOf(StoreConstraintError);
      expect((error as StoreConstraintError).kind).to.equal('unique');
      expect((error as StoreConstraintError).field).to.match(/^users\.(username|email)$/);
    }
  });

  it('lets exactly one of two racing transactions take the same unique value', async () => {
    const username = `race${crypto.randomBytes(4).toString('hex')}`;
    const results = await Promise.allSettled([0, 1].map(() => store.transaction(async () => {
      await store.users.create(sampleUser({ username }), null);
    })));
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).to.be.instanceOf(StoreConstraintError);
  });

  it('remembers a replayed AuthnRequest ID once when two instances see it at the same time', async () => {
    const now = new Date().toISOString();
    const later = new Date(Date.now() + 300_000).toISOString();
    const answers = await Promise.all([0, 1, 2, 3].map(() => store.ssoState.rememberRequestId('https://sp.example', '_same-id', later, now)));
    expect(answers.filter(Boolean)).to.have.length(1);
  });
});
