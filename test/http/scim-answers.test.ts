import type express from 'express';
import { expect } from 'chai';
import { runDueJobs } from '../../src/services/provisioning';
import { ADMIN_PASSWORD, createGroup, createUser, signIn, type Harness } from '../helpers/harness';
import { gatehouseWithScim, type ScimServer } from '../helpers/scim-server';

/**
 * What a SCIM service answers is untrusted input (issue 9 #9): its size is capped while it
 * streams, and its shape is checked against what Gatehouse relies on (RFC 7644 §3.4.2 list
 * answers, resources with a string id) before anything is stored or shown.
 */
describe('Answers from SCIM services: size cap and shape', () => {
  const rig = gatehouseWithScim();
  let h: Harness;
  let scim: ScimServer;
  beforeEach(() => { ({ h, scim } = rig); });

  const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
  const idm = (appId: string) => `/api/v1/applications/${appId}/idm`;

  async function connected(activate = true) {
    const app = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', placeholders: { YOUR_SUBDOMAIN: 'acme' } }).expect(201)).body;
    const group = await createGroup(h);
    await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
    await h.api().put(idm(app.id)).send({ baseUrl: scim.baseUrl, token: scim.token }).expect(200);
    if (activate) await h.api().post(`${idm(app.id)}/activate`).expect(200);
    return { app, group };
  }
  /** The SP answers GET /Users lists with this JSON instead of SCIMMY's. */
  const listAnswers = (body: unknown) => {
    scim.override = (req: express.Request, res: express.Response) => {
      if (req.method !== 'GET' || req.path !== '/scim/v2/Users') return false;
      res.status(200).type('application/scim+json').send(JSON.stringify(body));
      return true;
    };
  };

  it('does not activate when the SCIM service answers more than 5 MB (no Content-Length, cut off while streaming), and says why', async () => {
    const { app } = await connected(false);
    let written = 0;
    scim.override = (req, res) => {
      if (!req.path.startsWith('/scim/v2/Users')) return false;
      res.status(200).type('application/scim+json');
      res.write(`{"schemas":["${LIST}"],"totalResults":0,"Resources":[],"padding":"`);
      const chunk = 'x'.repeat(64 * 1024);
      const pump = () => {
        while (written < 64 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) { res.once('drain', pump); return; }
        }
        res.end('"}');
      };
      pump();
      return true;
    };
    const res = await h.api().post(`${idm(app.id)}/activate`).expect(422);
    expect(res.body.code).to.equal('idm.too_large');
    expect(res.body.message).to.contain('larger than 5 MB');
    expect((await h.ctx.store.idm.find(app.id))?.active).to.equal(false);
    const [event] = await h.ctx.store.events.list({ appId: app.id, type: 'idm_integration_activate', limit: 1 });
    expect(event).to.include({ outcome: 'failure', reason: 'idm.too_large' });
    expect(written, 'the 64 MB body was not read whole').to.be.below(64 * 1024 * 1024);
  });

  it('does not follow a redirect (the token would travel elsewhere), and says so', async () => {
    const { app } = await connected(false);
    const seen = scim.requests.length;
    scim.override = (req, res) => {
      if (!req.path.startsWith('/scim/v2/Users')) return false;
      res.redirect(302, '/scim/v2/elsewhere/Users');
      return true;
    };
    const res = await h.api().post(`${idm(app.id)}/activate`).expect(422);
    expect(res.body.code).to.equal('idm.rejected');
    expect(res.body.message).to.contain('redirect (302)');
    expect(scim.requests.slice(seen).map((r) => r.path).filter((p) => p.includes('elsewhere'))).to.deep.equal([]);
  });

  const user = { id: 'u1', userName: 'ada', active: true, emails: [{ value: 'ada@remote.example', primary: true }] };
  const wrongLists: [string, unknown, RegExp][] = [
    ['totalResults is a string', { schemas: [LIST], totalResults: '1', Resources: [user] }, /totalResults/],
    ['Resources is not a list', { schemas: [LIST], totalResults: 1, Resources: { 0: user } }, /Resources/],
    ['a user id is a number', { schemas: [LIST], totalResults: 1, Resources: [{ ...user, id: 7 }] }, /Resources\.0\.id/],
    ['a userName is an object', { schemas: [LIST], totalResults: 1, Resources: [{ ...user, userName: { first: 'ada' } }] }, /Resources\.0\.userName/],
    ['emails is a string', { schemas: [LIST], totalResults: 1, Resources: [{ ...user, emails: 'ada@remote.example' }] }, /Resources\.0\.emails/],
    ['an e-mail value is a number', { schemas: [LIST], totalResults: 1, Resources: [{ ...user, emails: [{ value: 42 }] }] }, /Resources\.0\.emails\.0\.value/],
    ['active is a string', { schemas: [LIST], totalResults: 1, Resources: [{ ...user, active: 'yes' }] }, /Resources\.0\.active/],
    ['the answer is a bare array', [user], /not a SCIM list/],
  ];
  for (const [label, body, field] of wrongLists) {
    it(`lists no users when ${label}: 422 JSON naming the field, nothing created`, async () => {
      const { app, group } = await connected();
      listAnswers(body);
      const res = await h.api().get(`${idm(app.id)}/remote-users`);
      expect(res.status, JSON.stringify(res.body)).to.equal(422);
      expect(res.body.code).to.equal('idm.list_failed');
      expect(res.body.message).to.match(field);
      expect(res.body.message).to.contain('data Gatehouse cannot use');
      const imported = await h.api().post(`${idm(app.id)}/import`).send({ remoteIds: ['u1', '7'], groupId: group.id });
      expect(imported.status).to.equal(422);
      expect(await h.ctx.store.users.findByLogin('ada')).to.equal(undefined);
    });
  }

  it('shows the reason on the portal import page (422), not an error page', async () => {
    const { app } = await connected();
    listAnswers({ schemas: [LIST], totalResults: 1, Resources: [{ ...user, userName: ['ada'] }] });
    const { agent } = await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD);
    const page = await agent.get(`/admin/applications/${app.id}/import`).expect(422);
    expect(page.text).to.contain('The users could not be listed');
    expect(page.text).to.contain('Resources.0.userName');
  });

  it('fails a provisioning job when the SP answers a created user without a string id, with the reason, not as an internal error', async () => {
    const { app, group } = await connected();
    scim.override = (req, res) => {
      if (req.method !== 'POST' || req.path !== '/scim/v2/Users') return false;
      res.status(201).type('application/scim+json').send(JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: { value: 'x' }, userName: req.body.userName }));
      return true;
    };
    const member = await createUser(h);
    await h.api().put(`/api/v1/groups/${group.id}/members/${member.id}`).expect(204);
    await runDueJobs(h.ctx);
    const [job] = await h.ctx.store.provisioning.list(app.id, 1);
    expect(job.status).to.equal('failed');
    expect(job.lastError).to.contain('data Gatehouse cannot use');
    expect(job.lastError).to.contain('id');
    const [event] = await h.ctx.store.events.list({ appId: app.id, outcome: 'failure', limit: 1 });
    expect(event).to.include({ reason: 'idm.not_scim' });
    expect(await h.ctx.store.provisioning.findLink(app.id, member.id)).to.equal(undefined);
  });
});
