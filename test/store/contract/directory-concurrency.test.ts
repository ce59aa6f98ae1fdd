import { expect } from 'chai';
import { StoreConstraintError, type Store } from '../../../src/store';
import { forEachDriver } from './drivers';
import { nextTime, sampleApplication, sampleGroup, sampleSigningKey, sampleSsoSettings, sampleUser } from './fixtures';

/**
 * Several instances on one database (PostgreSQL, a pool): calls that overlap must still give the
 * answers the synchronous SQLite driver gives. Each case starts its calls together; on PostgreSQL
 * they run on different pooled connections.
 */
const together = <T>(n: number, call: (i: number) => Promise<T>) => Promise.allSettled(Array.from({ length: n }, (_, i) => call(i)));
const values = <T>(results: PromiseSettledResult<T>[]) => results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason as unknown));
const refusedWith = (results: PromiseSettledResult<unknown>[]) =>
  results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => {
    expect(r.reason).to.be.instanceOf(StoreConstraintError);
    return (r.reason as StoreConstraintError).field;
  });

forEachDriver('Store contract: directory under concurrent instances', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });

  async function userInGroup() {
    const user = sampleUser();
    const group = sampleGroup();
    await store.users.create(user, null);
    await store.groups.create(group);
    return { user, group };
  }

  it('tells exactly one of several instances adding the same member that it changed something', async () => {
    const { user, group } = await userInGroup();
    expect(values(await together(4, () => store.groups.addMember(group.id, user.id))).filter((v) => v === true)).to.have.length(1);
    expect((await store.groups.listMembers(group.id)).map((u) => u.id)).to.deep.equal([user.id]);
    expect(values(await together(4, () => store.groups.removeMember(group.id, user.id))).filter((v) => v === true)).to.have.length(1);
  });

  it('tells exactly one of several instances binding the same group that it changed something', async () => {
    const app = sampleApplication();
    const group = sampleGroup();
    await store.applications.create(app);
    await store.groups.create(group);
    expect(values(await together(4, () => store.applications.bindGroup(app.id, group.id, nextTime()))).filter((v) => v === true)).to.have.length(1);
    expect(await store.applications.listBoundGroups(app.id)).to.deep.equal([group]);
    expect(values(await together(4, () => store.applications.unbindGroup(app.id, group.id))).filter((v) => v === true)).to.have.length(1);
  });

  it('tells exactly one of several instances deleting the same user, group or app that it did', async () => {
    const { user, group } = await userInGroup();
    const app = sampleApplication();
    await store.applications.create(app);
    for (const remove of [() => store.users.delete(user.id), () => store.groups.delete(group.id), () => store.applications.delete(app.id)]) {
      expect(values(await together(3, remove)).filter((v) => v === true)).to.have.length(1);
    }
  });

  it('lets exactly one of two instances take a username, a group name or a slug, whatever the case', async () => {
    const users = await together(2, (i) => store.users.create(sampleUser({ username: i ? 'RaceName' : 'racename' }), null));
    expect(refusedWith(users)).to.deep.equal(['users.username']);
    const groups = await together(2, (i) => store.groups.create(sampleGroup({ name: i ? 'Race Group' : 'race group' })));
    expect(refusedWith(groups)).to.deep.equal(['groups.name']);
    const apps = await together(2, () => store.applications.create(sampleApplication({ slug: 'race-slug' })));
    expect(refusedWith(apps)).to.deep.equal(['applications.slug']);
  });

  it('keeps both changes when two instances change different fields of one group or user at once', async () => {
    // Many pairs at once, so that some pair overlaps on any machine.
    const pairs = await Promise.all(Array.from({ length: 8 }, () => userInGroup()));
    await Promise.all(pairs.flatMap(({ user, group }) => [
      store.groups.update(group.id, { name: `${group.name}-new` }, nextTime()),
      store.groups.update(group.id, { description: 'new words' }, nextTime()),
      store.users.update(user.id, { firstName: 'Grace' }, nextTime()),
      store.users.update(user.id, { title: 'Admiral' }, nextTime()),
    ]));
    for (const { user, group } of pairs) {
      expect(await store.groups.findById(group.id)).to.include({ name: `${group.name}-new`, description: 'new words' });
      expect(await store.users.findById(user.id)).to.include({ firstName: 'Grace', title: 'Admiral' });
    }
  });

  it('registers an SP entity ID once when two instances check it is free and create at the same time', async () => {
    const spEntityId = 'https://race.example/sp';
    const apps = [0, 1].map(() => sampleApplication({ sso: sampleSsoSettings({ spEntityId }) }));
    // The service's own pattern: look first, then save, with the unique index catching the race.
    const results = await together(2, (i) => store.transaction(async () => {
      if (await store.applications.findBySpEntityId(spEntityId, apps[i].id)) throw new Error('taken');
      await store.applications.create(apps[i]);
    }));
    const created = results.findIndex((r) => r.status === 'fulfilled');
    expect(created).to.not.equal(-1);
    const loser = results[1 - created];
    expect(loser.status).to.equal('rejected');
    const reason = (loser as PromiseRejectedResult).reason as Error;
    if (reason instanceof StoreConstraintError) expect(reason.field).to.equal('applications.sp_entity_id');
    else expect(reason.message).to.equal('taken');
    expect((await store.applications.findBySpEntityId(spEntityId, apps[1 - created].id))?.id).to.equal(apps[created].id);
  });

  it('keeps one default signing key when two instances start on an empty store together', async () => {
    const fresh = await open();
    const results = await together(2, () => fresh.transaction(async () => {
      if (!(await fresh.signingKeys.findDefault())) await fresh.signingKeys.create(sampleSigningKey({ isDefault: true }));
    }));
    expect(refusedWith(results).every((f) => f === 'signing_keys.is_default')).to.equal(true);
    expect((await fresh.signingKeys.list()).filter((k) => k.isDefault)).to.have.length(1);
  });

  it('leaves no membership or binding behind when it is added while its group is deleted', async () => {
    const { user, group } = await userInGroup();
    const app = sampleApplication();
    await store.applications.create(app);
    const results = await Promise.allSettled([
      store.groups.addMember(group.id, user.id), store.applications.bindGroup(app.id, group.id, nextTime()), store.groups.delete(group.id),
    ]);
    expect(refusedWith(results).every((f) => /group_id|unknown/.test(f))).to.equal(true);
    expect(await store.groups.findById(group.id)).to.equal(undefined);
    expect(await store.groups.listGroupsOfUser(user.id)).to.deep.equal([]);
    expect(await store.applications.listBoundGroups(app.id)).to.deep.equal([]);
    expect(await store.applications.isUserAuthorized(app.id, user.id)).to.equal(false);
  });

  it('gives a page and a total that agree while other instances add users', async () => {
    const fresh = await open();
    const writes = together(30, () => fresh.users.create(sampleUser(), null));
    const pages = await Promise.all(Array.from({ length: 10 }, () => fresh.users.list({ limit: 1000, offset: 0 })));
    await writes;
    for (const page of pages) expect(page.items).to.have.length(page.total);
    expect((await fresh.users.list({ limit: 1000, offset: 0 })).total).to.equal(30);
  });
});
