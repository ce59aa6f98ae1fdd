import { expect } from 'chai';
import type { Page, PageOf, Store } from '../../../src/store';
import { forEachDriver } from './drivers';
import { sampleApplication, sampleGroup, sampleUser } from './fixtures';

/**
 * Keyset paging (types-paging.ts): forward with `next`, back with `prev`, every row exactly once
 * in one stable order, and rows added or removed between pages shift nothing.
 */
async function walk<T>(list: (page: Page) => Promise<PageOf<T>>, label: (item: T) => string, limit: number) {
  const forward: string[][] = [];
  let page = await list({ limit });
  expect(page.prev, 'the first page has no previous').to.equal(null);
  for (;;) {
    forward.push(page.items.map(label));
    if (!page.next) break;
    page = await list({ limit, after: page.next });
  }
  // And back from the last page to the first, with `prev`.
  const backward: string[][] = [page.items.map(label)];
  while (page.prev) {
    page = await list({ limit, before: page.prev });
    backward.unshift(page.items.map(label));
  }
  return { forward, backward };
}

forEachDriver('Store contract: directory paging', ({ open }) => {
  it('pages users by username, ignoring ASCII case, forward and back, each exactly once', async () => {
    const store = await open();
    const usernames = ['carol', 'Bob', 'alice', 'Dave', 'eve', 'Frank', 'grace', 'Heidi', 'ivan', 'Judy', 'kim'];
    for (const username of usernames) await store.users.create(sampleUser({ username }), null);
    const { forward, backward } = await walk((p) => store.users.list(p), (u) => u.username, 4);
    const sorted = [...usernames].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    expect(forward).to.deep.equal([sorted.slice(0, 4), sorted.slice(4, 8), sorted.slice(8)]);
    expect(backward).to.deep.equal(forward);
    const first = await store.users.list({ limit: 4 });
    expect([first.total, first.totalCapped]).to.deep.equal([11, false]);
  });

  it('shifts nothing when rows come and go between pages', async () => {
    const store = await open();
    for (const username of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']) await store.users.create(sampleUser({ username }), null);
    const first = await store.users.list({ limit: 3 });
    expect(first.items.map((u) => u.username)).to.deep.equal(['a1', 'a2', 'a3']);
    await store.users.delete(first.items[0].id);
    await store.users.create(sampleUser({ username: 'a0' }), null);
    const second = await store.users.list({ limit: 3, after: first.next! });
    expect(second.items.map((u) => u.username)).to.deep.equal(['a4', 'a5', 'a6']);
    expect(second.next).to.equal(null);
  });

  it('pages groups by name, and a search, forward and back', async () => {
    const store = await open();
    const names = ['Sales', 'admins', 'Design', 'dev_ops', 'devXops', 'Eng', 'finance'];
    for (const name of names) await store.groups.create(sampleGroup({ name }));
    const { forward, backward } = await walk((p) => store.groups.list(p), (g) => g.name, 3);
    expect(forward.flat()).to.deep.equal(['admins', 'Design', 'dev_ops', 'devXops', 'Eng', 'finance', 'Sales']);
    expect(backward).to.deep.equal(forward);
    const de = await walk((p) => store.groups.list({ ...p, q: 'DE' }), (g) => g.name, 2);
    expect(de.forward).to.deep.equal([['Design', 'dev_ops'], ['devXops']]);
    expect((await store.groups.list({ limit: 1, q: 'de' })).total).to.equal(3);
  });

  it('pages applications by label, then creation, then id, labels repeating, with the SSO filter', async () => {
    const store = await open();
    const apps = ['Wiki', 'Box', 'Wiki', 'Asana', 'Wiki', 'Box'].map((displayLabel, i) => sampleApplication({ displayLabel, ssoActive: i % 2 === 0 }));
    for (const app of apps) await store.applications.create(app);
    const { forward, backward } = await walk((p) => store.applications.list(p), (a) => a.id, 2);
    const order = [...apps].sort((a, b) => (a.displayLabel < b.displayLabel ? -1 : a.displayLabel > b.displayLabel ? 1 : a.createdAt < b.createdAt ? -1 : 1));
    expect(forward.flat()).to.deep.equal(order.map((a) => a.id));
    expect(backward).to.deep.equal(forward);
    const active = await store.applications.list({ limit: 10, ssoActive: true });
    expect(active.items.map((a) => a.id)).to.deep.equal(order.filter((a) => a.ssoActive).map((a) => a.id));
    expect((await store.applications.list({ limit: 10, ssoActive: false, q: 'wiki' })).items.map((a) => a.id))
      .to.deep.equal(order.filter((a) => !a.ssoActive && a.displayLabel === 'Wiki').map((a) => a.id));
  });

  it('still takes an offset, and keeps the page\'s links right with it', async () => {
    const store = await open();
    for (const name of ['g1', 'g2', 'g3', 'g4', 'g5']) await store.groups.create(sampleGroup({ name }));
    const page = await store.groups.list({ limit: 2, offset: 2 });
    expect(page.items.map((g) => g.name)).to.deep.equal(['g3', 'g4']);
    expect(page.prev).to.deep.equal(['g3']);
    expect(page.next).to.deep.equal(['g4']);
    expect((await store.groups.list({ limit: 2, before: page.prev! })).items.map((g) => g.name)).to.deep.equal(['g1', 'g2']);
  });

  it('pages a group\'s members by username and tells which users are members', async () => {
    const store = await open();
    const group = sampleGroup();
    await store.groups.create(group);
    const users = ['m3', 'M1', 'm2', 'x9', 'm5', 'm4'].map((username) => sampleUser({ username }));
    for (const u of users) await store.users.create(u, null);
    for (const u of users.filter((u) => u.username !== 'x9')) await store.groups.addMember(group.id, u.id);
    const { forward, backward } = await walk((p) => store.groups.pageMembers(group.id, p), (u) => u.username, 2);
    expect(forward).to.deep.equal([['M1', 'm2'], ['m3', 'm4'], ['m5']]);
    expect(backward).to.deep.equal(forward);
    expect((await store.groups.pageMembers(group.id, { limit: 1 })).total).to.equal(5);
    expect((await store.groups.pageMembers('no-such-group', { limit: 5 })).items).to.deep.equal([]);
    const among = await store.groups.membersAmong(group.id, [users[3].id, users[0].id, 'no-such-user']);
    expect(among).to.deep.equal([users[0].id]);
    expect(await store.groups.membersAmong(group.id, [])).to.deep.equal([]);
  });
});
