import { expect } from 'chai';
import { StoreConstraintError, type Store } from '../../../src/store';
import { forEachDriver } from './drivers';
import { sampleApplication, sampleGroup, sampleSigningKey, sampleSsoSettings, sampleUser } from './fixtures';

/**
 * A refused write inside `store.transaction` undoes only itself, as a failed statement does in
 * SQLite: the service may catch the StoreConstraintError and go on in the same unit of work
 * (services/applications.ts reads who holds the SP entity ID to answer 409). PostgreSQL would
 * otherwise abort the whole transaction at the first error.
 */
forEachDriver('Store contract: a refused directory write inside a transaction', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });

  async function caught(write: () => Promise<unknown>): Promise<StoreConstraintError> {
    const error = await write().then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(StoreConstraintError);
    return error as StoreConstraintError;
  }

  it('lets the unit of work read and write on after a refused application update, and commits it', async () => {
    const holder = sampleApplication({ sso: sampleSsoSettings({ spEntityId: 'https://held.example/sp' }) });
    const mover = sampleApplication();
    await store.applications.create(holder);
    await store.applications.create(mover);
    const group = sampleGroup();
    const other = await store.transaction(async () => {
      await store.groups.create(group);
      await caught(() => store.applications.update({ ...mover, sso: { ...mover.sso!, spEntityId: 'https://held.example/sp' } }));
      return store.applications.findBySpEntityId('https://held.example/sp', mover.id);
    });
    expect(other?.id).to.equal(holder.id);
    expect(await store.groups.findById(group.id)).to.deep.equal(group);
    expect((await store.applications.findById(mover.id))!.sso!.spEntityId).to.equal(mover.sso!.spEntityId);
  });

  it('does the same after every other refusable directory write', async () => {
    const user = sampleUser();
    const group = sampleGroup();
    const second = sampleGroup();
    const app = sampleApplication();
    await store.users.create(user, null);
    await store.groups.create(group);
    await store.groups.create(second);
    await store.applications.create(app);
    await store.signingKeys.create(sampleSigningKey({ isDefault: true }));
    const survivor = sampleUser();
    const refused = await store.transaction(async () => {
      const errors = [
        await caught(() => store.users.create(sampleUser({ username: user.username }), null)),
        await caught(() => store.users.update(user.id, { state: 'gone' as 'active' }, '2026-01-01T00:00:00.000Z')),
        await caught(() => store.groups.create(sampleGroup({ name: group.name }))),
        await caught(() => store.groups.update(second.id, { name: group.name.toUpperCase() }, '2026-01-01T00:00:00.000Z')),
        await caught(() => store.groups.addMember('no-such-group', user.id)),
        await caught(() => store.applications.create(sampleApplication({ slug: app.slug }))),
        await caught(() => store.applications.bindGroup(app.id, 'no-such-group', '2026-01-01T00:00:00.000Z')),
        await caught(() => store.signingKeys.create(sampleSigningKey({ isDefault: true }))),
      ];
      await store.users.create(survivor, null);
      return errors.map((e) => e.kind);
    });
    expect(refused).to.deep.equal(['unique', 'check', 'unique', 'unique', 'reference', 'unique', 'reference', 'unique']);
    expect(await store.users.findById(survivor.id)).to.deep.equal(survivor);
    expect((await store.users.findById(user.id))!.state).to.equal('active');
  });
});
