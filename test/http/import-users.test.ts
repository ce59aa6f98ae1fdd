import { expect } from 'chai';
import { listRemoteUsers, resumeImports } from '../../src/services/import-users';
import { ADMIN_PASSWORD, createGroup, createUser, csrfFrom, signIn, type Harness } from '../helpers/harness';
import { gatehouseWithScim, type ScimServer } from '../helpers/scim-server';

describe('Import users from an application (SCIM)', () => {
  const rig = gatehouseWithScim();
  let h: Harness;
  let scim: ScimServer;
  beforeEach(() => { ({ h, scim } = rig); });

  const remoteUser = (id: string, userName: string, active = true) =>
    scim.users.set(id, { id, userName, active, emails: [{ value: `${userName}@remote.example`, primary: true }], name: { givenName: 'Remote', familyName: userName }, schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] });

  async function connected() {
    const app = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', placeholders: { YOUR_SUBDOMAIN: 'acme' } }).expect(201)).body;
    const group = await createGroup(h, 'Imported');
    await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
    await h.api().put(`/api/v1/applications/${app.id}/idm`).send({ baseUrl: scim.baseUrl, token: scim.token }).expect(200);
    await h.api().post(`/api/v1/applications/${app.id}/idm/activate`).expect(200);
    return { app, group };
  }

  it('lists remote users as New or Imported, imports the selected new ones into a bound group, and refuses suspended ones', async () => {
    const local = await createUser(h);
    remoteUser('r1', 'newbie');
    remoteUser('r2', 'dormant', false);
    remoteUser('r3', local.username);
    const { app, group } = await connected();
    const listed = (await h.api().get(`/api/v1/applications/${app.id}/idm/remote-users`).expect(200)).body.items;
    const byName = Object.fromEntries(listed.map((u: { userName: string }) => [u.userName, u]));
    expect(byName.newbie).to.include({ status: 'new', active: true, email: 'newbie@remote.example' });
    expect(byName.dormant).to.include({ status: 'new', active: false });
    expect(byName[local.username]).to.include({ status: 'imported' });
    const onlyNew = (await h.api().get(`/api/v1/applications/${app.id}/idm/remote-users?newOnly=true`).expect(200)).body.items;
    expect(onlyNew.map((u: { userName: string }) => u.userName).sort()).to.deep.equal(['dormant', 'newbie']);

    const result = (await h.api().post(`/api/v1/applications/${app.id}/idm/import`).send({ remoteIds: ['r1', 'r2', 'r3'], groupId: group.id }).expect(200)).body;
    expect(result).to.include({ total: 3, done: 1, failed: 2, status: 'finished' });
    const imported = (await h.ctx.store.users.findByLogin('newbie'))!;
    expect(imported).to.include({ email: 'newbie@remote.example', firstName: 'Remote', lastName: 'newbie' });
    expect(await h.ctx.store.applications.isUserAuthorized(app.id, imported.id)).to.equal(true);
    expect(await h.ctx.store.provisioning.findLink(app.id, imported.id)).to.include({ remoteId: 'r1' });
    expect(await h.ctx.store.users.findByLogin('dormant')).to.equal(undefined);
    const outcomes = (await h.ctx.store.events.list({ type: 'user_import', limit: 5 })).map((e) => `${e.outcome}:${e.reason ?? ''}`).sort();
    expect(outcomes).to.deep.equal(['failure:import.exists', 'failure:import.suspended', 'success:']);
  });

  it('runs an import of more than 100 users in the background and reports progress', async () => {
    for (let i = 0; i < 130; i++) remoteUser(`bulk-${i}`, `bulk${i}`);
    const { app, group } = await connected();
    const ids = Array.from({ length: 130 }, (_, i) => `bulk-${i}`);
    const started = await h.api().post(`/api/v1/applications/${app.id}/idm/import`).send({ remoteIds: ids, groupId: group.id }).expect(202);
    expect(started.body).to.include({ total: 130, status: 'running' });
    let progress = started.body;
    for (let i = 0; i < 100 && progress.status !== 'finished'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      progress = (await h.api().get(`/api/v1/applications/${app.id}/idm/imports/${started.body.id}`).expect(200)).body;
    }
    expect(progress).to.include({ status: 'finished', done: 130, failed: 0 });
  });

  it('imports from the portal: New users can be ticked, Suspended and Imported cannot, then a progress page', async () => {
    remoteUser('p1', 'portalnew');
    remoteUser('p2', 'portalsuspended', false);
    const { app, group } = await connected();
    const { agent } = await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD);
    const page = await agent.get(`/admin/applications/${app.id}/import`).expect(200);
    expect(page.text).to.match(/name="remoteId" value="p1"(?! disabled)/);
    expect(page.text).to.match(/name="remoteId" value="p2" disabled/);
    const done = await agent.post(`/admin/applications/${app.id}/import`).type('form').send({ _csrf: csrfFrom(page.text), remoteId: 'p1', groupId: group.id }).expect(303);
    const progress = await agent.get(done.headers.location).expect(200);
    expect(progress.text).to.contain('Import finished');
    expect(progress.text).to.contain('<progress id="progress" max="1" value="1">');
    expect(await h.ctx.store.users.findByLogin('portalnew')).to.not.equal(undefined);
  });

  it('refuses an import without a bound group to put the users in', async () => {
    remoteUser('r9', 'lonely');
    const { app } = await connected();
    const res = await h.api().post(`/api/v1/applications/${app.id}/idm/import`).send({ remoteIds: ['r9'], groupId: 'nope' }).expect(422);
    expect(res.body.code).to.equal('import.group_not_bound');
  });

  it('resumes at start an import a dead process left running, from where it got to; a live one and a finished one stay', async () => {
    remoteUser('d1', 'crash-one');
    remoteUser('d2', 'crash-two');
    remoteUser('d3', 'crash-three');
    const { app, group } = await connected();
    const chosen = (await listRemoteUsers(h.ctx, app.id)).filter((u) => u.remoteId.startsWith('d')).sort((x, y) => x.remoteId.localeCompare(y.remoteId));
    // The dead run imported the first two users, but recorded only the first before it died.
    await h.api().post(`/api/v1/applications/${app.id}/idm/import`).send({ remoteIds: ['d1', 'd2'], groupId: group.id }).expect(200);
    const at = h.clock.now();
    const expired = new Date(at.getTime() - 1000).toISOString();
    const entry = { id: 'dead-import', appId: app.id, total: 3, done: 0, failed: 0, status: 'running' as const, createdAt: at.toISOString() };
    await h.ctx.store.imports.start(entry, group.id, chosen as unknown as Record<string, unknown>[], 'dead-process', expired);
    await h.ctx.store.imports.recordItem(entry.id, 0, 'done');
    // Another process is still running this one: its lease has not expired.
    const live = { ...entry, id: 'live-import', total: 1 };
    await h.ctx.store.imports.start(live, group.id, chosen.slice(2) as unknown as Record<string, unknown>[], 'live-process', new Date(at.getTime() + 30_000).toISOString());

    expect(await resumeImports(h.ctx, 'restarted')).to.equal(1);
    expect(await h.ctx.store.imports.find(entry.id)).to.include({ status: 'finished', done: 3, failed: 0 });
    const third = await h.ctx.store.users.findByLogin('crash-three');
    expect((await h.ctx.store.provisioning.findLink(app.id, third!.id))?.remoteId).to.equal('d3');
    expect((await h.ctx.store.users.list({ limit: 100, offset: 0 })).items.filter((u) => u.username.startsWith('crash-')), 'nobody twice').to.have.length(3);
    expect(await h.ctx.store.imports.find(live.id)).to.include({ status: 'running' });
    expect(await resumeImports(h.ctx, 'restarted'), 'nothing left to resume').to.equal(0);
  });

  it('leaves no half-imported user when a step fails: created, linked and in the group together, or not at all', async () => {
    remoteUser('h1', 'half-made');
    const { app, group } = await connected();
    // The database refuses the link (as if the process died right after creating the user).
    const putLink = h.ctx.store.provisioning.putLink;
    h.ctx.store.provisioning.putLink = async () => { throw new Error('the database went away'); };
    try {
      const result = (await h.api().post(`/api/v1/applications/${app.id}/idm/import`).send({ remoteIds: ['h1'], groupId: group.id }).expect(200)).body;
      expect(result).to.include({ total: 1, done: 0, failed: 1 });
    } finally {
      h.ctx.store.provisioning.putLink = putLink;
    }
    expect(await h.ctx.store.users.findByLogin('half-made'), 'no user without its link').to.equal(undefined);
    expect((await h.ctx.store.events.list({ type: 'user_create', limit: 10 })).map((e) => e.targetLabel)).not.to.include('half-made');
    // Still New in the application, so the admin can import it again, and then it is whole.
    const listed = (await h.api().get(`/api/v1/applications/${app.id}/idm/remote-users`).expect(200)).body.items;
    expect(listed.find((u: { userName: string }) => u.userName === 'half-made')).to.include({ status: 'new' });
    await h.api().post(`/api/v1/applications/${app.id}/idm/import`).send({ remoteIds: ['h1'], groupId: group.id }).expect(200);
    const user = (await h.ctx.store.users.findByLogin('half-made'))!;
    expect(await h.ctx.store.provisioning.findLink(app.id, user.id)).to.include({ remoteId: 'h1' });
    expect(await h.ctx.store.applications.isUserAuthorized(app.id, user.id)).to.equal(true);
  });
});
