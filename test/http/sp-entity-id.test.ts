import { expect } from 'chai';
import type TestAgent from 'supertest/lib/agent';
import { StoreConstraintError } from '../../src/store';
import { ADMIN_PASSWORD, createApplication, csrfFrom, PUBLIC_URL, signIn, startGatehouse, wikiApplication, type Harness } from '../helpers/harness';

describe('SP entity IDs: one application per SP', () => {
  let h: Harness;
  let admin: TestAgent;
  before(async () => {
    h = await startGatehouse();
    admin = (await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD)).agent;
  });
  after(async () => { await h.close(); });

  const taken = (message: string, label: string, slug: string) => {
    expect(message).to.contain(`already used by ${label} (${PUBLIC_URL}/saml2/${slug})`);
  };

  it('when the API creates a second app with the same SP entity ID, then it answers 409 naming the first and stores nothing', async () => {
    const first = await createApplication(h, wikiApplication({ displayLabel: 'Team Wiki' }, { spEntityId: 'https://dup.example/sp' }));
    const before = (await h.api().get('/api/v1/applications').expect(200)).body.total;
    const res = await h.api().post('/api/v1/applications').send(wikiApplication({}, { spEntityId: 'https://dup.example/sp' })).expect(409);
    expect(res.body.code).to.equal('applications.sp_entity_id_taken');
    taken(res.body.message, 'Team Wiki', first.slug);
    expect((await h.api().get('/api/v1/applications').expect(200)).body.total).to.equal(before);
  });

  it('when an update takes another app\'s SP entity ID, then it answers 409 and the app keeps its own', async () => {
    const first = await createApplication(h, wikiApplication({ displayLabel: 'Docs' }, { spEntityId: 'https://docs.example/sp' }));
    const second = await createApplication(h, wikiApplication({}, { spEntityId: 'https://other.example/sp' }));
    const res = await h.api().patch(`/api/v1/applications/${second.id}`).send({ sso: { spEntityId: 'https://docs.example/sp' } }).expect(409);
    taken(res.body.message, 'Docs', first.slug);
    expect((await h.ctx.store.applications.findById(second.id))!.sso!.spEntityId).to.equal('https://other.example/sp');
    // Saving an app with its own entity ID again is no conflict.
    await h.api().patch(`/api/v1/applications/${first.id}`).send({ sso: { spEntityId: 'https://docs.example/sp' }, description: 'x' }).expect(200);
  });

  it('when the same subdomain is given to a second monday.com app, then it is refused; unconfigured ones may coexist', async () => {
    const first = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-acme', placeholders: { YOUR_SUBDOMAIN: 'acme' } }).expect(201)).body;
    const res = await h.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-acme-2', placeholders: { YOUR_SUBDOMAIN: 'acme' } }).expect(409);
    taken(res.body.message, 'monday.com', first.slug);
    await h.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-later-1' }).expect(201);
    await h.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-later-2' }).expect(201);
  });

  it('when the SSO tab or SP metadata names another app\'s SP entity ID, then the portal answers 409 with the reason', async () => {
    const first = await createApplication(h, wikiApplication({ displayLabel: 'Portal Wiki' }, { spEntityId: 'https://portal-dup.example/sp' }));
    const app = await createApplication(h);
    const page = await admin.get(`/admin/applications/${app.id}?tab=sso`).expect(200);
    const form = await admin.post(`/admin/applications/${app.id}/sso`).type('form').send({
      _csrf: csrfFrom(page.text), spEntityId: 'https://portal-dup.example/sp', acsUrls: app.sso.acsEndpoints.map((e) => e.url).join('\n'),
      nameIdFormat: app.sso.nameIdFormat, nameIdSource: 'email', signing: 'assertion', signatureAlgorithm: 'rsa-sha256', attr_count: '0',
    }).expect(409);
    taken(form.text, 'Portal Wiki', first.slug);
    expect(form.text).to.contain('value="https://portal-dup.example/sp"');
    const metadata = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://portal-dup.example/sp"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://portal-dup.example/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>`;
    const meta = await admin.post(`/admin/applications/${app.id}/sp-metadata`).type('form').send({ _csrf: csrfFrom(page.text), metadata }).expect(409);
    expect(meta.text).to.contain('The SP metadata was not used');
    taken(meta.text, 'Portal Wiki', first.slug);
    expect((await h.ctx.store.applications.findById(app.id))!.sso!.spEntityId).to.equal(app.sso.spEntityId);
  });

  it('when two saves race past the check, then the store\'s unique index refuses the second', async () => {
    const first = await createApplication(h, wikiApplication({}, { spEntityId: 'https://race.example/sp' }));
    const copy = { ...(await h.ctx.store.applications.findById(first.id))!, id: 'race-copy', slug: 'race-copy' };
    let refused: unknown;
    await h.ctx.store.applications.create(copy).catch((error: unknown) => { refused = error; });
    expect(refused).to.be.instanceOf(StoreConstraintError);
    expect((refused as StoreConstraintError).field).to.contain('sp_entity_id');
    expect(await h.ctx.store.applications.findBySlug('race-copy')).to.equal(undefined);

    // Through HTTP, two concurrent creates: one is saved, the other gets the same 409 either way.
    const results = await Promise.all(['race-a', 'race-b'].map((slug) =>
      h.api().post('/api/v1/applications').send(wikiApplication({ slug, displayLabel: slug }, { spEntityId: 'https://race2.example/sp' }))));
    expect(results.map((r) => r.status).sort()).to.deep.equal([201, 409]);
    const loser = results.find((r) => r.status === 409)!;
    const winner = results.find((r) => r.status === 201)!;
    taken(loser.body.message, winner.body.displayLabel, winner.body.slug);
  });
});
