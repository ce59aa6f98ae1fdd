import { expect } from 'chai';
import { runDueJobs } from '../../src/services/provisioning';
import { createGroup, createUser, type Harness } from '../helpers/harness';
import { gatehouseWithScim, type ScimServer } from '../helpers/scim-server';

describe('Group provisioning over SCIM (the seeds\u2019 Group Management Considerations)', () => {
  const rig = gatehouseWithScim();
  let h: Harness;
  let scim: ScimServer;
  beforeEach(() => { ({ h, scim } = rig); });

  const drain = async () => { while ((await runDueJobs(h.ctx)) > 0) { /* until nothing is due */ } };
  const remoteGroup = (name: string) => [...scim.groups.values()].find((g) => g.displayName === name);
  const remoteUserId = (userName: string) => [...scim.users.values()].find((u) => u.userName === userName)?.id;

  async function connected(groupsEnabled = true) {
    const app = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', placeholders: { YOUR_SUBDOMAIN: 'acme' } }).expect(201)).body;
    await h.api().put(`/api/v1/applications/${app.id}/idm`).send({ baseUrl: scim.baseUrl, token: scim.token, groupsEnabled }).expect(200);
    await h.api().post(`/api/v1/applications/${app.id}/idm/activate`).expect(200);
    return app;
  }

  it('does not create empty groups, then creates the group with its members, syncs membership and renames', async () => {
    const app = await connected();
    const group = await createGroup(h, 'Design');
    await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
    await drain();
    expect(remoteGroup('Design')).to.equal(undefined);

    const ada = await createUser(h);
    const bob = await createUser(h);
    await h.api().put(`/api/v1/groups/${group.id}/members/${ada.id}`).expect(204);
    await h.api().put(`/api/v1/groups/${group.id}/members/${bob.id}`).expect(204);
    await drain();
    const created = remoteGroup('Design')!;
    expect(created.members.map((m: { value: string }) => m.value).sort()).to.deep.equal([remoteUserId(ada.username), remoteUserId(bob.username)].sort());

    await h.api().delete(`/api/v1/groups/${group.id}/members/${bob.id}`).expect(204);
    await h.api().patch(`/api/v1/groups/${group.id}`).send({ name: 'Product Design' }).expect(200);
    await drain();
    const renamed = remoteGroup('Product Design')!;
    expect(renamed.id).to.equal(created.id);
    expect(renamed.members.map((m: { value: string }) => m.value)).to.deep.equal([remoteUserId(ada.username)]);
    expect([...scim.users.values()].find((u) => u.userName === bob.username)!.active).to.equal(false);
    const types = (await h.ctx.store.events.list({ appId: app.id, limit: 50 })).map((e) => e.type);
    expect(types).to.include.members(['group_create_provision', 'group_update_provision']);
  });

  it('a suspended or deleted user leaves the remote groups they were in; reactivated, they return', async () => {
    const app = await connected();
    const group = await createGroup(h, 'Support');
    const [ada, bob, cy] = [await createUser(h), await createUser(h), await createUser(h)];
    for (const u of [ada, bob, cy]) await h.api().put(`/api/v1/groups/${group.id}/members/${u.id}`).expect(204);
    await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
    await drain();
    const members = () => remoteGroup('Support')!.members.map((m: { value: string }) => m.value).sort();
    const ids = (...us: { username: string }[]) => us.map((u) => remoteUserId(u.username)).sort();
    expect(members()).to.deep.equal(ids(ada, bob, cy));

    await h.api().patch(`/api/v1/users/${bob.id}`).send({ state: 'suspended' }).expect(200);
    await drain();
    expect(members(), 'suspended: out of the remote group').to.deep.equal(ids(ada, cy));

    await h.api().patch(`/api/v1/users/${bob.id}`).send({ state: 'active' }).expect(200);
    await drain();
    expect(members(), 'reactivated: back in').to.deep.equal(ids(ada, bob, cy));

    const adaRemoteId = remoteUserId(ada.username);
    await h.api().delete(`/api/v1/users/${ada.id}`).expect(204);
    await drain();
    expect(members(), 'deleted: out of the remote group').to.deep.equal(ids(bob, cy));
    expect([...scim.users.values()].find((u) => u.id === adaRemoteId)!.active).to.equal(false);
  });

  it('takes over a remote group with the same name', async () => {
    const app = await connected();
    scim.groups.set('g-existing', { id: 'g-existing', displayName: 'Sales', members: [], schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'] });
    const group = await createGroup(h, 'Sales');
    const user = await createUser(h);
    await h.api().put(`/api/v1/groups/${group.id}/members/${user.id}`).expect(204);
    await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
    await drain();
    expect([...scim.groups.values()].filter((g) => g.displayName === 'Sales')).to.have.length(1);
    expect(scim.groups.get('g-existing')!.members).to.have.length(1);
  });

  it('taking over a remote group keeps its SP-only members; PATCH adds and removes only what Gatehouse manages, once', async () => {
    const app = await connected();
    scim.users.set('sp-only', { id: 'sp-only', userName: 'contractor', active: true, schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] });
    scim.groups.set('g-sales', { id: 'g-sales', displayName: 'Sales', members: [{ value: 'sp-only' }], schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'] });
    const group = await createGroup(h, 'Sales');
    const [ada, bob] = [await createUser(h), await createUser(h)];
    await h.api().put(`/api/v1/groups/${group.id}/members/${ada.id}`).expect(204);
    await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
    await drain();
    const members = () => scim.groups.get('g-sales')!.members.map((m: { value: string }) => m.value).sort();
    expect(members()).to.deep.equal(['sp-only', remoteUserId(ada.username)].sort());

    await h.api().put(`/api/v1/groups/${group.id}/members/${bob.id}`).expect(204);
    await h.api().delete(`/api/v1/groups/${group.id}/members/${ada.id}`).expect(204);
    await drain();
    expect(members(), 'the SP-only member stays').to.deep.equal(['sp-only', remoteUserId(bob.username)].sort());
    const groupWrites = () => scim.requests.filter((r) => r.path.startsWith('/scim/v2/Groups/') && r.method !== 'GET');
    expect(groupWrites().every((r) => r.method === 'PATCH'), 'membership goes by PATCH').to.equal(true);

    // A change elsewhere that leaves this group as it is sends nothing to it.
    const writes = groupWrites().length;
    const other = await createGroup(h, 'Elsewhere');
    await h.api().put(`/api/v1/groups/${other.id}/members/${bob.id}`).expect(204);
    await h.api().put(`/api/v1/applications/${app.id}/groups/${other.id}`).expect(204);
    await h.api().patch(`/api/v1/groups/${group.id}`).send({ description: 'same name, same members' }).expect(200);
    await drain();
    expect(groupWrites().filter((r) => r.path === '/scim/v2/Groups/g-sales')).to.have.length(writes);
  });

  it('Quip (no PATCH on /Groups, no filter on GET /Groups): a PUT carries the SP-only members it read', async () => {
    scim.groupPatch = false;
    scim.groupFilter = false;
    const app = (await h.api().post('/api/v1/applications').send({ catalogId: 'quip',
      placeholders: { YOUR_DOMAIN: 'acme', YOUR_SP_ENTITY_ID: 'https://acme.quip.test/saml', YOUR_ACS_URL: 'https://acme.quip.test/saml/acs' } }).expect(201)).body;
    await h.api().put(`/api/v1/applications/${app.id}/idm`).send({ baseUrl: scim.baseUrl, token: scim.token, groupsEnabled: true }).expect(200);
    await h.api().post(`/api/v1/applications/${app.id}/idm/activate`).expect(200);
    scim.users.set('sp-only', { id: 'sp-only', userName: 'contractor', active: true, schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] });
    scim.groups.set('g-other', { id: 'g-other', displayName: 'Other', members: [], schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'] });
    scim.groups.set('g-legal', { id: 'g-legal', displayName: 'Legal', members: [{ value: 'sp-only' }], schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'] });
    const group = await createGroup(h, 'Legal');
    const [ada, bob] = [await createUser(h), await createUser(h)];
    await h.api().put(`/api/v1/groups/${group.id}/members/${ada.id}`).expect(204);
    await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
    await drain();
    const members = () => scim.groups.get('g-legal')!.members.map((m: { value: string }) => m.value).sort();
    expect(members()).to.deep.equal(['sp-only', remoteUserId(ada.username)].sort());
    expect([...scim.groups.values()].filter((g) => g.displayName === 'Legal'), 'taken over, not duplicated').to.have.length(1);

    // The SP's own change since is read again before the next PUT, not overwritten.
    scim.groups.get('g-legal')!.members.push({ value: 'sp-later' });
    await h.api().put(`/api/v1/groups/${group.id}/members/${bob.id}`).expect(204);
    await h.api().delete(`/api/v1/groups/${group.id}/members/${ada.id}`).expect(204);
    await drain();
    expect(members()).to.deep.equal(['sp-later', 'sp-only', remoteUserId(bob.username)].sort());
    expect(scim.requests.some((r) => r.method === 'PATCH' && r.path.includes('/Groups')), 'no PATCH on /Groups').to.equal(false);
    expect(scim.requests.some((r) => r.path.startsWith('/scim/v2/Groups?filter')), 'no filter on /Groups').to.equal(false);
  });

  it('unbinding stops the sync (the remote group stays) and deactivates members not covered elsewhere; deleting deletes remotely', async () => {
    const app = await connected();
    const a = await createGroup(h, 'Alpha');
    const b = await createGroup(h, 'Beta');
    const both = await createUser(h);
    const onlyA = await createUser(h);
    for (const [g, u] of [[a, both], [b, both], [a, onlyA]] as const) await h.api().put(`/api/v1/groups/${g.id}/members/${u.id}`).expect(204);
    for (const g of [a, b]) await h.api().put(`/api/v1/applications/${app.id}/groups/${g.id}`).expect(204);
    await drain();
    expect(remoteGroup('Alpha')).to.not.equal(undefined);

    await h.api().delete(`/api/v1/applications/${app.id}/groups/${a.id}`).expect(204);
    await drain();
    expect(remoteGroup('Alpha'), 'the remote group stays').to.not.equal(undefined);
    const user = (name: string) => [...scim.users.values()].find((u) => u.userName === name)!;
    expect(user(both.username).active, 'still covered by Beta').to.equal(true);
    expect(user(onlyA.username).active).to.equal(false);

    await h.api().delete(`/api/v1/groups/${b.id}`).expect(204);
    await drain();
    expect(remoteGroup('Beta')).to.equal(undefined);
    expect(user(both.username).active).to.equal(false);
    const [deleted] = await h.ctx.store.events.list({ type: 'group_delete_provision', limit: 1 });
    expect(deleted).to.include({ outcome: 'success', appId: app.id });
  });

  it('leaves groups alone when group management is off', async () => {
    const app = await connected(false);
    const group = await createGroup(h, 'Ops');
    const user = await createUser(h);
    await h.api().put(`/api/v1/groups/${group.id}/members/${user.id}`).expect(204);
    await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
    await drain();
    expect(remoteUserId(user.username)).to.be.a('string');
    expect(scim.groups.size).to.equal(0);
  });
});
