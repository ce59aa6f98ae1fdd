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
