import { expect } from 'chai';
import type { Store } from '../../../src/store';
import { forEachDriver } from './drivers';
import { nextTime, sampleGroup, sampleUser } from './fixtures';
import { refusal } from './refusal';

forEachDriver('Store contract: users', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });

  it('keeps every field of a created user, and finds nothing for an unknown id', async () => {
    const user = sampleUser({ employeeId: 'E-1', title: 'Engineer', state: 'suspended', isAdmin: true, mfaRequired: true });
    await store.users.create(user, 'hash-1');
    expect(await store.users.findById(user.id)).to.deep.equal(user);
    expect(await store.users.findById('no-such-user')).to.equal(undefined);
  });

  it('refuses a username or e-mail taken in another case, and a taken id, naming the field', async () => {
    const user = sampleUser({ username: 'CaseUser', email: 'Case.User@Example.com' });
    await store.users.create(user, null);
    const byName = await refusal(store.users.create(sampleUser({ username: 'caseuser' }), null));
    expect([byName.kind, byName.field]).to.deep.equal(['unique', 'users.username']);
    const byEmail = await refusal(store.users.create(sampleUser({ email: 'case.user@example.COM' }), null));
    expect([byEmail.kind, byEmail.field]).to.deep.equal(['unique', 'users.email']);
    const byId = await refusal(store.users.create(sampleUser({ id: user.id }), null));
    expect([byId.kind, byId.field]).to.deep.equal(['unique', 'users.id']);
  });

  it('refuses a state outside active/suspended as a check violation', async () => {
    const error = await refusal(store.users.create(sampleUser({ state: 'gone' as 'active' }), null));
    expect(error.kind).to.equal('check');
  });

  it('updates only the given fields and stamps updated_at; no fields change nothing; an unknown id is a no-op', async () => {
    const user = sampleUser();
    await store.users.create(user, null);
    const t1 = nextTime();
    await store.users.update(user.id, { firstName: 'Grace', isAdmin: true, mfaRequired: true, state: 'suspended' }, t1);
    expect(await store.users.findById(user.id)).to.deep.equal({
      ...user, firstName: 'Grace', isAdmin: true, mfaRequired: true, state: 'suspended', updatedAt: t1,
    });
    await store.users.update(user.id, { lastName: undefined }, nextTime());
    expect((await store.users.findById(user.id))!.updatedAt).to.equal(t1);
    await store.users.update('no-such-user', { firstName: 'X' }, nextTime());
  });

  it('lets a user change the case of their own username, but not take another user\'s in any case', async () => {
    const a = sampleUser({ username: 'renamer' });
    const b = sampleUser();
    await store.users.create(a, null);
    await store.users.create(b, null);
    await store.users.update(a.id, { username: 'Renamer' }, nextTime());
    expect((await store.users.findById(a.id))!.username).to.equal('Renamer');
    const error = await refusal(store.users.update(b.id, { username: 'RENAMER' }, nextTime()));
    expect([error.kind, error.field]).to.deep.equal(['unique', 'users.username']);
  });

  it('deletes once, and the user leaves their groups', async () => {
    const user = sampleUser();
    const group = sampleGroup();
    await store.users.create(user, null);
    await store.groups.create(group);
    await store.groups.addMember(group.id, user.id);
    expect(await store.users.delete(user.id)).to.equal(true);
    expect(await store.users.delete(user.id)).to.equal(false);
    expect(await store.users.findById(user.id)).to.equal(undefined);
    expect(await store.groups.listMembers(group.id)).to.deep.equal([]);
  });

  it('finds a user by username or e-mail in any case, and nothing for an unknown login', async () => {
    const user = sampleUser({ username: 'LoginName', email: 'Login.Mail@Example.com' });
    await store.users.create(user, null);
    expect((await store.users.findByLogin('loginname'))?.id).to.equal(user.id);
    expect((await store.users.findByLogin('LOGIN.MAIL@example.com'))?.id).to.equal(user.id);
    expect(await store.users.findByLogin('nobody@example.com')).to.equal(undefined);
    expect(await store.users.findByLogin('')).to.equal(undefined);
  });

  it('folds ASCII case only, as SQLite NOCASE does: É and é are different letters', async () => {
    const upper = sampleUser({ username: `Émile${Date.now()}` });
    const lower = sampleUser({ username: upper.username.replace('É', 'é') });
    await store.users.create(upper, null);
    await store.users.create(lower, null);
    expect((await store.users.findByLogin(lower.username.toUpperCase().replace('É', 'é')))?.id).to.equal(lower.id);
    expect((await store.users.list({ limit: 10, offset: 0, q: 'émile' })).items.map((u) => u.id)).to.deep.equal([lower.id]);
  });

  it('prefers the username owner when a login is one user\'s username and another\'s e-mail', async () => {
    const byEmail = sampleUser({ email: 'shared.login@example.com' });
    const byName = sampleUser({ username: 'Shared.Login@example.com' });
    await store.users.create(byEmail, null);
    await store.users.create(byName, null);
    expect((await store.users.findByLogin('shared.login@example.com'))?.id).to.equal(byName.id);
  });

  it('keeps the password hash apart: a hash, null for none, undefined for an unknown user; setting one stamps updated_at', async () => {
    const withHash = sampleUser();
    const without = sampleUser();
    await store.users.create(withHash, 'argon2-hash');
    await store.users.create(without, null);
    expect(await store.users.getPasswordHash(withHash.id)).to.equal('argon2-hash');
    expect(await store.users.getPasswordHash(without.id)).to.equal(null);
    expect(await store.users.getPasswordHash('no-such-user')).to.equal(undefined);
    const t = nextTime();
    await store.users.setPasswordHash(without.id, 'new-hash', t);
    expect(await store.users.getPasswordHash(without.id)).to.equal('new-hash');
    expect((await store.users.findById(without.id))!.updatedAt).to.equal(t);
    expect(JSON.stringify(await store.users.findById(without.id))).not.to.include('new-hash');
  });

  it('counts admins', async () => {
    const fresh = await open();
    expect(await fresh.users.countAdmins()).to.equal(0);
    await fresh.users.create(sampleUser({ isAdmin: true }), null);
    await fresh.users.create(sampleUser({ isAdmin: true }), null);
    await fresh.users.create(sampleUser(), null);
    expect(await fresh.users.countAdmins()).to.equal(2);
  });

  it('lists case-insensitively by username, a page at a time, with the total of all matches', async () => {
    const fresh = await open();
    for (const username of ['carol', 'Bob', 'alice', 'Dave', 'eve']) await fresh.users.create(sampleUser({ username }), null);
    const names = async (page: { limit: number; offset: number; q?: string }) => {
      const { items, total } = await fresh.users.list(page);
      return { names: items.map((u) => u.username), total };
    };
    expect(await names({ limit: 10, offset: 0 })).to.deep.equal({ names: ['alice', 'Bob', 'carol', 'Dave', 'eve'], total: 5 });
    expect(await names({ limit: 2, offset: 1 })).to.deep.equal({ names: ['Bob', 'carol'], total: 5 });
    expect(await names({ limit: 2, offset: 9 })).to.deep.equal({ names: [], total: 5 });
  });
  // Search: directory-search.test.ts; paging by key: directory-paging.test.ts.
});

forEachDriver('Store contract: groups', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });

  it('keeps a created group, finds nothing for an unknown id, and refuses a name taken in another case', async () => {
    const group = sampleGroup({ name: 'Engineering' });
    await store.groups.create(group);
    expect(await store.groups.findById(group.id)).to.deep.equal(group);
    expect(await store.groups.findById('no-such-group')).to.equal(undefined);
    const error = await refusal(store.groups.create(sampleGroup({ name: 'ENGINEERING' })));
    expect([error.kind, error.field]).to.deep.equal(['unique', 'groups.name']);
  });

  it('updates the given fields only, stamps updated_at, ignores an unknown id, and refuses a taken name', async () => {
    const group = sampleGroup();
    const other = sampleGroup();
    await store.groups.create(group);
    await store.groups.create(other);
    const t1 = nextTime();
    await store.groups.update(group.id, { description: 'New words' }, t1);
    expect(await store.groups.findById(group.id)).to.deep.equal({ ...group, description: 'New words', updatedAt: t1 });
    const t2 = nextTime();
    await store.groups.update(group.id, { name: `${group.name}-renamed` }, t2);
    expect(await store.groups.findById(group.id)).to.deep.equal({ ...group, name: `${group.name}-renamed`, description: 'New words', updatedAt: t2 });
    await store.groups.update('no-such-group', { name: 'x' }, nextTime());
    expect(await store.groups.findById('no-such-group')).to.equal(undefined);
    const error = await refusal(store.groups.update(group.id, { name: other.name.toUpperCase() }, nextTime()));
    expect([error.kind, error.field]).to.deep.equal(['unique', 'groups.name']);
  });

  it('adds a member once, removes them once, and refuses a missing group or user as a reference', async () => {
    const group = sampleGroup();
    const user = sampleUser();
    await store.groups.create(group);
    await store.users.create(user, null);
    expect(await store.groups.addMember(group.id, user.id)).to.equal(true);
    expect(await store.groups.addMember(group.id, user.id)).to.equal(false);
    expect((await store.groups.listMembers(group.id)).map((u) => u.id)).to.deep.equal([user.id]);
    expect(await store.groups.removeMember(group.id, user.id)).to.equal(true);
    expect(await store.groups.removeMember(group.id, user.id)).to.equal(false);
    expect(await store.groups.listMembers(group.id)).to.deep.equal([]);
    expect((await refusal(store.groups.addMember('no-such-group', user.id))).kind).to.equal('reference');
    expect((await refusal(store.groups.addMember(group.id, 'no-such-user'))).kind).to.equal('reference');
  });

  it('lists members by username and a user\'s groups by name, both case-insensitively', async () => {
    const groups = ['beta', 'Alpha', 'gamma'].map((name) => sampleGroup({ name: `${name}-${Math.random().toString(36).slice(2, 8)}` }));
    const users = ['zed', 'Yan', 'xia'].map((name) => sampleUser({ username: `${name}${Math.random().toString(36).slice(2, 8)}` }));
    for (const g of groups) await store.groups.create(g);
    for (const u of users) await store.users.create(u, null);
    for (const u of users) await store.groups.addMember(groups[0].id, u.id);
    for (const g of groups) await store.groups.addMember(g.id, users[0].id);
    expect((await store.groups.listMembers(groups[0].id)).map((u) => u.username)).to.deep.equal([users[2], users[1], users[0]].map((u) => u.username));
    expect(await store.groups.listMembers(groups[0].id)).to.deep.equal([users[2], users[1], users[0]]);
    expect((await store.groups.listGroupsOfUser(users[0].id)).map((g) => g.name)).to.deep.equal([groups[1], groups[0], groups[2]].map((g) => g.name));
    expect(await store.groups.listGroupsOfUser(users[0].id)).to.deep.equal([groups[1], groups[0], groups[2]]);
    expect(await store.groups.listGroupsOfUser('no-such-user')).to.deep.equal([]);
  });

  it('deletes once, and its memberships go with it', async () => {
    const group = sampleGroup();
    const user = sampleUser();
    await store.groups.create(group);
    await store.users.create(user, null);
    await store.groups.addMember(group.id, user.id);
    expect(await store.groups.delete(group.id)).to.equal(true);
    expect(await store.groups.delete(group.id)).to.equal(false);
    expect(await store.groups.listGroupsOfUser(user.id)).to.deep.equal([]);
    expect(await store.users.findById(user.id)).to.not.equal(undefined);
  });

  it('lists case-insensitively by name, a page at a time, searching with % and _ taken literally', async () => {
    const fresh = await open();
    for (const name of ['sales', 'Admins', 'dev_ops', 'devXops', 'Design']) await fresh.groups.create(sampleGroup({ name }));
    const list = async (page: { limit: number; offset: number; q?: string }) => {
      const { items, total } = await fresh.groups.list(page);
      return { names: items.map((g) => g.name), total };
    };
    expect(await list({ limit: 10, offset: 0 })).to.deep.equal({ names: ['Admins', 'Design', 'dev_ops', 'devXops', 'sales'], total: 5 });
    expect(await list({ limit: 2, offset: 2 })).to.deep.equal({ names: ['dev_ops', 'devXops'], total: 5 });
    expect(await list({ limit: 2, offset: 5 })).to.deep.equal({ names: [], total: 5 });
    expect(await list({ limit: 10, offset: 0, q: 'DE' })).to.deep.equal({ names: ['Design', 'dev_ops', 'devXops'], total: 3 });
    expect(await list({ limit: 1, offset: 0, q: 'v_o' })).to.deep.equal({ names: ['dev_ops'], total: 1 });
  });
});
