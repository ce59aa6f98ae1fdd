import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createContext } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import { SYSTEM } from '../../src/insights/recorder';
import { bindGroup, createApplication } from '../../src/services/applications';
import * as groups from '../../src/services/groups';
import * as idm from '../../src/services/idm';
import { runDueJobs } from '../../src/services/provisioning';
import * as users from '../../src/services/users';
import { createGroup, createUser, type Harness } from '../helpers/harness';
import { gatehouseWithScim, type ScimServer } from '../helpers/scim-server';

describe('User provisioning over SCIM (durable jobs against a scimmy server)', () => {
  const rig = gatehouseWithScim();
  let h: Harness;
  let scim: ScimServer;
  beforeEach(() => { ({ h, scim } = rig); });

  /** monday.com with an active connection and a bound group; returns ids. */
  async function connectedApp() {
    const app = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', placeholders: { YOUR_SUBDOMAIN: 'acme' } }).expect(201)).body;
    const group = await createGroup(h, `Marketing ${crypto.randomBytes(3).toString('hex')}`);
    await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
    await h.api().put(`/api/v1/applications/${app.id}/idm`).send({ baseUrl: scim.baseUrl, token: scim.token }).expect(200);
    await h.api().post(`/api/v1/applications/${app.id}/idm/activate`).expect(200);
    return { app, group };
  }
  const remote = (userName: string) => [...scim.users.values()].filter((u) => u.userName === userName);
  const join = async (groupId: string, userId: string) => h.api().put(`/api/v1/groups/${groupId}/members/${userId}`).expect(204);
  const drain = async () => { while ((await runDueJobs(h.ctx)) > 0) { /* until nothing is due */ } };

  it('creates members in the app, updates them, deactivates and reactivates them, as access and profiles change', async () => {
    const { app, group } = await connectedApp();
    const ada = await createUser(h, { title: 'Engineer' });
    await join(group.id, ada.id);
    await drain();
    const [created] = remote(ada.username);
    expect(created).to.deep.include({ userName: ada.username, active: true, title: 'Engineer', externalId: ada.id });
    expect(created.emails[0]).to.include({ value: ada.email });
    expect(created.name).to.deep.include({ givenName: 'Ada', familyName: 'Lovelace' });

    await h.api().patch(`/api/v1/users/${ada.id}`).send({ title: 'Principal Engineer' }).expect(200);
    await drain();
    expect(remote(ada.username)[0].title).to.equal('Principal Engineer');

    await h.api().patch(`/api/v1/users/${ada.id}`).send({ state: 'suspended' }).expect(200);
    await drain();
    expect(remote(ada.username)[0].active).to.equal(false);
    await h.api().patch(`/api/v1/users/${ada.id}`).send({ state: 'active' }).expect(200);
    await drain();
    expect(remote(ada.username)[0].active).to.equal(true);

    await h.api().delete(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
    await drain();
    expect(remote(ada.username)).to.have.length(1);
    expect(remote(ada.username)[0].active).to.equal(false);

    const types = (await h.ctx.store.events.list({ appId: app.id, limit: 50 })).filter((e) => e.outcome === 'success').map((e) => e.type);
    expect(types).to.include.members(['user_create_provision', 'user_update_provision', 'user_deprovision']);
  });

  it('sends only the mappings the admin keeps, always the required ones, and restores the defaults', async () => {
    const { app, group } = await connectedApp();
    const idm = `/api/v1/applications/${app.id}/idm`;
    const refused = await h.api().put(idm).send({ excludedMappings: ['userName'] }).expect(422);
    expect(refused.body.code).to.equal('idm.mapping_not_optional');
    const view = (await h.api().put(idm).send({ excludedMappings: ['title', 'externalId'] }).expect(200)).body;
    expect(view.mappings.find((m: { scim: string }) => m.scim === 'title').sent).to.equal(false);
    const user = await createUser(h, { title: 'Secret title' });
    await join(group.id, user.id);
    await drain();
    // SCIMMY stores every schema attribute; the excluded ones arrive empty.
    expect(remote(user.username)[0].title ?? null).to.equal(null);
    expect(remote(user.username)[0].externalId ?? null).to.equal(null);
    expect(remote(user.username)[0].emails[0].value).to.equal(user.email);
    const restored = (await h.api().put(idm).send({ restoreDefaultMappings: true }).expect(200)).body;
    expect(restored.mappings.every((m: { sent: boolean }) => m.sent)).to.equal(true);
    await h.api().patch(`/api/v1/users/${user.id}`).send({ title: 'Now sent' }).expect(200);
    await drain();
    expect(remote(user.username)[0].title).to.equal('Now sent');
    // monday.com takes profile changes by PATCH, as its catalog entry says.
    expect(scim.requests.some((r) => r.method === 'PATCH' && r.path.startsWith('/scim/v2/Users/'))).to.equal(true);
  });

  it('sends ClickUp\u2019s role attribute: member by default, or the role the admin sets', async () => {
    const app = (await h.api().post('/api/v1/applications').send({
      catalogId: 'clickup', placeholders: { YOUR_ID: '9012345678', YOUR_SP_ENTITY_ID: 'https://app.clickup.test/sp', YOUR_ACS_URL: 'https://app.clickup.test/acs' },
    }).expect(201)).body;
    const group = await createGroup(h, 'Roles');
    await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
    const idm = `/api/v1/applications/${app.id}/idm`;
    const view = (await h.api().put(idm).send({ baseUrl: scim.baseUrl, token: scim.token }).expect(200)).body;
    expect(view.role).to.deep.equal({ attribute: 'customRoleName', value: 'member', attributes: ['customRoleName', 'customRoleId'] });
    await h.api().post(`${idm}/activate`).expect(200);
    const user = await createUser(h);
    await join(group.id, user.id);
    await drain();
    // RFC 7643 §3: an extension attribute lives under its schema URN, listed in `schemas`; the
    // catalog entry says which URN (role.schema), and the SP stores it there.
    const created = scim.requests.find((r) => r.method === 'POST' && r.path.endsWith('/Users'))!;
    const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
    expect(h.ctx.catalog.get('clickup')!.scim!.role!.schema).to.equal(ENTERPRISE);
    expect(created.body).to.include({ userName: user.username });
    expect(created.body).to.not.have.property('customRoleName');
    expect(created.body!.schemas).to.include(ENTERPRISE);
    expect(created.body![ENTERPRISE]).to.deep.equal({ customRoleName: 'member' });
    const stored = () => JSON.parse(JSON.stringify([...scim.users.values()].find((u) => u.userName === user.username)!));
    expect(stored()[ENTERPRISE]).to.deep.equal({ customRoleName: 'member' });
    const wrong = await h.api().put(idm).send({ role: { attribute: 'clickupRole', value: 'admin' } }).expect(422);
    expect(wrong.body.message).to.contain('customRoleName or customRoleId');
    await h.api().put(idm).send({ role: { attribute: 'customRoleId', value: '4' } }).expect(200);
    await h.api().patch(`/api/v1/users/${user.id}`).send({ title: 'Lead' }).expect(200);
    await drain();
    const updated = scim.requests.filter((r) => r.method === 'PUT' && r.path.includes('/Users/')).pop()!;
    expect(updated.body![ENTERPRISE]).to.deep.equal({ customRoleId: '4' });
    expect(stored()[ENTERPRISE]).to.deep.equal({ customRoleId: '4' });
  });

  it('links on 409 when the account appears between the look-up and the create (idempotent)', async () => {
    const { group } = await connectedApp();
    const user = await createUser(h);
    // The look-up finds nothing; just before the create, the account appears (a lost response,
    // another admin): the SP answers 409 and the job links the existing account instead.
    scim.beforeCreate = (body) => {
      scim.users.set('raced', { id: 'raced', userName: body.userName, active: true, schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] });
      scim.beforeCreate = undefined;
    };
    await join(group.id, user.id);
    await drain();
    expect(remote(user.username).map((u) => u.id)).to.deep.equal(['raced']);
    expect(scim.requests.some((r) => r.method === 'POST' && r.path.endsWith('/Users'))).to.equal(true);
    const [event] = await h.ctx.store.events.list({ type: 'user_lookup_provision', limit: 1 });
    expect(event.detail).to.include({ after: 409, remoteId: 'raced' });
    expect((await h.ctx.store.provisioning.findLink(event.appId!, user.id))!.remoteId).to.equal('raced');
  });

  it('deletes remotely when the catalog says the SP supports deletion', async () => {
    const { group } = await connectedApp();
    const scimEntry = h.ctx.catalog.get('monday')!.scim!;
    const before = scimEntry.onDelete;
    scimEntry.onDelete = 'delete';
    try {
      const user = await createUser(h);
      await join(group.id, user.id);
      await drain();
      expect(remote(user.username)).to.have.length(1);
      await h.api().delete(`/api/v1/users/${user.id}`).expect(204);
      await drain();
      expect(remote(user.username)).to.have.length(0);
      const [event] = await h.ctx.store.events.list({ type: 'user_delete_provision', limit: 1 });
      expect(event.detail).to.include({ deleted: true });
    } finally {
      scimEntry.onDelete = before;
    }
  });

  it('takes over an account that already exists with the same userName instead of duplicating it', async () => {
    const { group } = await connectedApp();
    const grace = await createUser(h);
    scim.users.set('existing-1', { id: 'existing-1', userName: grace.username, active: true, schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] });
    await join(group.id, grace.id);
    await drain();
    expect(remote(grace.username)).to.have.length(1);
    expect(remote(grace.username)[0].id).to.equal('existing-1');
    const [lookup] = await h.ctx.store.events.list({ type: 'user_lookup_provision', limit: 1 });
    expect(lookup).to.include({ outcome: 'success', targetId: grace.id });
  });

  it('waits out an SP outage (503), retrying with backoff, and delivers exactly once', async () => {
    const { app, group } = await connectedApp();
    const user = await createUser(h);
    scim.fail(503, 3);
    await join(group.id, user.id);
    await runDueJobs(h.ctx);
    expect(remote(user.username)).to.have.length(0);
    const [job] = await h.ctx.store.provisioning.list(app.id, 1);
    expect(job).to.include({ status: 'pending', attempts: 1 });
    expect(job.lastError).to.contain('503');
    // Not due again before the backoff.
    expect(await runDueJobs(h.ctx)).to.equal(0);
    for (let i = 0; i < 5 && remote(user.username).length === 0; i++) {
      h.clock.advance(60);
      await runDueJobs(h.ctx);
    }
    expect(remote(user.username)).to.have.length(1);
    const failures = await h.ctx.store.events.list({ appId: app.id, outcome: 'failure', limit: 10 });
    expect(failures.length).to.be.at.least(1);
    expect(failures[0].detail).to.include({ willRetry: true, status: 503 });
  });

  it('honours Retry-After on 429', async () => {
    const { app, group } = await connectedApp();
    const user = await createUser(h);
    scim.fail(429, 1, 120);
    await join(group.id, user.id);
    await runDueJobs(h.ctx);
    const [job] = await h.ctx.store.provisioning.list(app.id, 1);
    expect(new Date(job.nextAttemptAt).getTime() - h.clock.now().getTime()).to.be.at.least(119_000);
    h.clock.advance(60);
    expect(await runDueJobs(h.ctx)).to.equal(0);
    h.clock.advance(61);
    await runDueJobs(h.ctx);
    expect(remote(user.username)).to.have.length(1);
  });

  it('falls back to the normal backoff (2 s doubling) when a 429 has no Retry-After', async () => {
    const { app, group } = await connectedApp();
    const user = await createUser(h);
    scim.fail(429, 2); // no Retry-After header
    await join(group.id, user.id);
    await runDueJobs(h.ctx);
    const wait = async () => {
      const [job] = await h.ctx.store.provisioning.list(app.id, 1);
      return new Date(job.nextAttemptAt).getTime() - h.clock.now().getTime();
    };
    expect(await wait()).to.equal(2000);
    expect(await runDueJobs(h.ctx), 'not retried at once').to.equal(0);
    h.clock.advance(2);
    await runDueJobs(h.ctx);
    expect(await wait()).to.equal(4000);
    h.clock.advance(4);
    await runDueJobs(h.ctx);
    expect(remote(user.username)).to.have.length(1);
  });

  it('honours a Retry-After given as an HTTP-date (RFC 9110 §10.2.3)', async () => {
    const { app, group } = await connectedApp();
    const user = await createUser(h);
    scim.fail(429, 1, new Date(Date.now() + 120_000).toUTCString());
    await join(group.id, user.id);
    await runDueJobs(h.ctx);
    const [job] = await h.ctx.store.provisioning.list(app.id, 1);
    expect(new Date(job.nextAttemptAt).getTime() - h.clock.now().getTime()).to.be.within(115_000, 121_000);
  });

  it('records a 4xx that will not change as failed, with the SP’s message, and does not retry it', async () => {
    const { app, group } = await connectedApp();
    const user = await createUser(h);
    scim.fail(400, 5);
    await join(group.id, user.id);
    await runDueJobs(h.ctx);
    const [job] = await h.ctx.store.provisioning.list(app.id, 1);
    expect(job.status).to.equal('failed');
    expect(job.lastError).to.contain('Injected failure');
    const [event] = await h.ctx.store.events.list({ appId: app.id, outcome: 'failure', limit: 1 });
    expect(event.detail).to.include({ willRetry: false, status: 400 });
  });

  it('deactivates the remote account when the user is deleted in Gatehouse', async () => {
    const { group } = await connectedApp();
    const user = await createUser(h);
    await join(group.id, user.id);
    await drain();
    await h.api().delete(`/api/v1/users/${user.id}`).expect(204);
    await drain();
    expect(remote(user.username)[0].active).to.equal(false);
    const [event] = await h.ctx.store.events.list({ type: 'user_delete_provision', limit: 1 });
    expect(event).to.include({ outcome: 'success', targetId: user.id });
  });

  it('keeps queued jobs across a restart and delivers them after it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-outbox-'));
    const env = {
      NODE_ENV: 'test', PUBLIC_URL: 'http://gatehouse.test', DATABASE_URL: `sqlite:${dir}/g.db`, GATEHOUSE_CERTS_DIR: dir, GATEHOUSE_ADMIN_PASSWORD: 'correct horse battery staple',
      GATEHOUSE_KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'), SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
    };
    try {
      const first = await createContext(loadConfig(env), { print: () => undefined });
      const app = await createApplication(first, SYSTEM, { catalogId: 'monday', placeholders: { YOUR_SUBDOMAIN: 'acme' } });
      const group = await groups.createGroup(first, SYSTEM, { name: 'Restarted' });
      await bindGroup(first, SYSTEM, app.id, group.id);
      await idm.configureIdm(first, SYSTEM, app.id, { baseUrl: scim.baseUrl, token: scim.token });
      await idm.activateIdm(first, SYSTEM, app.id);
      const user = await users.createUser(first, SYSTEM, { username: 'restart-user', email: 'restart@example.com' });
      await groups.addMember(first, SYSTEM, group.id, user.id);
      await first.store.close(); // the process stops before the worker ran
      expect(remote('restart-user')).to.have.length(0);

      const second = await createContext(loadConfig(env), { print: () => undefined });
      await runDueJobs(second);
      expect(remote('restart-user')).to.have.length(1);
      expect(await runDueJobs(second)).to.equal(0);
      await second.store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
