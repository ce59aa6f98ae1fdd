import crypto from 'node:crypto';
import { expect } from 'chai';
import { runDueJobs } from '../../src/services/provisioning';
import { createGroup, createUser, type Harness } from '../helpers/harness';
import { gatehouseWithScim, type ScimServer } from '../helpers/scim-server';

/**
 * What goes out when something changes for users already provisioned: exactly the changes
 * ("nothing is sent twice"), cleared attributes removed over PATCH (RFC 7644 §3.5.2.2), and
 * role or mapping changes pushed to every provisioned user (the Okta ClickUp guide).
 */
describe('Updates to provisioned users (only what changed, cleared values removed, role changes pushed)', () => {
  const rig = gatehouseWithScim();
  let h: Harness;
  let scim: ScimServer;
  beforeEach(() => { ({ h, scim } = rig); });

  const drain = async () => { while ((await runDueJobs(h.ctx)) > 0) { /* until nothing is due */ } };
  const join = async (groupId: string, userId: string) => h.api().put(`/api/v1/groups/${groupId}/members/${userId}`).expect(204);
  const bind = async (appId: string, groupId: string) => h.api().put(`/api/v1/applications/${appId}/groups/${groupId}`).expect(204);
  const remote = (userName: string) => JSON.parse(JSON.stringify([...scim.users.values()].find((u) => u.userName === userName) ?? null));
  const writesTo = (remoteId: string) => scim.requests.filter((r) => r.method !== 'GET' && r.path.endsWith(`/Users/${remoteId}`));

  async function connected(catalogId: 'monday' | 'clickup') {
    const placeholders = catalogId === 'monday'
      ? { YOUR_SUBDOMAIN: 'acme' } : { YOUR_SP_ENTITY_ID: 'https://app.clickup.test/sp', YOUR_ACS_URL: 'https://app.clickup.test/acs' };
    const app = (await h.api().post('/api/v1/applications').send({ catalogId, placeholders }).expect(201)).body;
    const group = await createGroup(h, `Team ${crypto.randomBytes(3).toString('hex')}`);
    await bind(app.id, group.id);
    await h.api().put(`/api/v1/applications/${app.id}/idm`).send({ baseUrl: scim.baseUrl, token: scim.token }).expect(200);
    await h.api().post(`/api/v1/applications/${app.id}/idm/activate`).expect(200);
    return { app, group };
  }

  it('sends nothing when binding or unbinding another group changes nothing for a provisioned user', async () => {
    const { app, group } = await connected('monday');
    const user = await createUser(h, { title: 'Engineer' });
    await join(group.id, user.id);
    await drain();
    const remoteId = remote(user.username).id;
    const before = scim.requests.length;

    const other = await createGroup(h, 'Also here');
    await join(other.id, user.id);
    await bind(app.id, other.id);
    await drain();
    await h.api().delete(`/api/v1/applications/${app.id}/groups/${other.id}`).expect(204);
    await drain();
    expect(writesTo(remoteId), 'no write repeats what the SP already has').to.have.length(0);
    expect(scim.requests.slice(before).filter((r) => r.path.includes('/Users')), 'no request about users at all').to.deep.equal([]);
    const updates = await h.ctx.store.events.list({ appId: app.id, type: 'user_update_provision', limit: 10 });
    expect(updates, 'no event claims an update was sent').to.have.length(0);

    // A real change is still sent, once.
    await h.api().patch(`/api/v1/users/${user.id}`).send({ title: 'Lead' }).expect(200);
    await drain();
    await drain();
    expect(writesTo(remoteId)).to.have.length(1);
    expect(remote(user.username).title).to.equal('Lead');
  });

  it('removes over PATCH what was cleared in Gatehouse (RFC 7644 §3.5.2.2), and only that', async () => {
    const { group } = await connected('monday');
    const user = await createUser(h, { title: 'Engineer', displayName: 'Ada L.' });
    await join(group.id, user.id);
    await drain();
    expect(remote(user.username)).to.deep.include({ title: 'Engineer', displayName: 'Ada L.' });
    expect(remote(user.username).name).to.deep.equal({ givenName: 'Ada', familyName: 'Lovelace' });

    await h.api().patch(`/api/v1/users/${user.id}`).send({ title: '', firstName: '' }).expect(200);
    await drain();
    const patch = writesTo(remote(user.username).id).pop()!;
    expect(patch.method).to.equal('PATCH');
    const removes = patch.body!.Operations.filter((o: { op: string }) => o.op === 'remove').map((o: { path: string }) => o.path);
    expect(removes.sort()).to.deep.equal(['name.givenName', 'title']);
    expect(remote(user.username).title ?? null, 'the stale title is gone').to.equal(null);
    expect(remote(user.username).name).to.deep.equal({ familyName: 'Lovelace' });
    expect(remote(user.username).displayName).to.equal('Ada L.');

    // Nothing is removed again, and nothing that was never sent is removed.
    await h.api().patch(`/api/v1/users/${user.id}`).send({ lastName: 'King' }).expect(200);
    await drain();
    const next = writesTo(remote(user.username).id).pop()!;
    expect(next.body!.Operations.filter((o: { op: string }) => o.op === 'remove')).to.deep.equal([]);
    expect(remote(user.username).name).to.deep.equal({ familyName: 'King' });
  });

  it('pushes a role change and an excluded mapping to every user already provisioned (the Okta ClickUp guide)', async () => {
    const { app, group } = await connected('clickup');
    const ENTERPRISE = h.ctx.catalog.get('clickup')!.scim!.role!.schema!;
    const ada = await createUser(h, { title: 'Engineer' });
    const bob = await createUser(h);
    await join(group.id, ada.id);
    await join(group.id, bob.id);
    await drain();
    expect(remote(ada.username)[ENTERPRISE]).to.deep.equal({ customRoleName: 'member' });

    const idm = `/api/v1/applications/${app.id}/idm`;
    await h.api().put(idm).send({ role: { attribute: 'customRoleId', value: '7' } }).expect(200);
    await drain();
    for (const u of [ada, bob]) expect(remote(u.username)[ENTERPRISE], u.username).to.deep.equal({ customRoleId: '7' });

    await h.api().put(idm).send({ excludedMappings: ['title'] }).expect(200);
    await drain();
    expect(remote(ada.username).title ?? null).to.equal(null);
    const last = writesTo(remote(ada.username).id).pop()!;
    expect(last.body).to.not.have.property('title');

    // Saving the same settings again sends nothing.
    const before = scim.requests.length;
    await h.api().put(idm).send({ excludedMappings: ['title'], role: { attribute: 'customRoleId', value: '7' } }).expect(200);
    await drain();
    expect(scim.requests.length).to.equal(before);
  });

  it('over PATCH, switching the role attribute removes the one sent before (RFC 7644 §3.10 path)', async () => {
    const entry = h.ctx.catalog.get('clickup')!.scim!;
    const before = entry.updateWith;
    entry.updateWith = 'patch';
    try {
      const { app, group } = await connected('clickup');
      const ENTERPRISE = entry.role!.schema!;
      const user = await createUser(h);
      await join(group.id, user.id);
      await drain();
      await h.api().put(`/api/v1/applications/${app.id}/idm`).send({ role: { attribute: 'customRoleId', value: '7' } }).expect(200);
      await drain();
      const patch = writesTo(remote(user.username).id).pop()!;
      expect(patch.body!.Operations).to.deep.include({ op: 'remove', path: `${ENTERPRISE}:customRoleName` });
      expect(remote(user.username)[ENTERPRISE]).to.deep.equal({ customRoleId: '7' });
    } finally {
      entry.updateWith = before;
    }
  });
});
