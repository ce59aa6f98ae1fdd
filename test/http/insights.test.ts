import { expect } from 'chai';
import request from 'supertest';
import { ADMIN_PASSWORD, authorizedUser, createGroup, signIn, startGatehouse, type Harness } from '../helpers/harness';

describe('Directory Insights page and exports', () => {
  let h: Harness;
  before(async () => { h = await startGatehouse(); });
  after(async () => { await h.close(); });

  it('filters by outcome, user and type, draws the chart, pages, and exports CSV (formula-safe) and JSON lines', async () => {
    const { app, user } = await authorizedUser(h);
    const { agent: userAgent } = await signIn(h, user.username, user.password);
    await userAgent.get(`/saml2/${app.slug}`).expect(200);
    await signIn(h, user.username, 'wrong password here');
    await createGroup(h, '=HYPERLINK("https://evil.example","x")');
    const { agent } = await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD);

    const page = await agent.get('/admin/insights').expect(200);
    expect(page.text).to.contain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(page.text).to.match(/aria-label="\d+ events, [1-9]\d* failed"/);
    expect(page.text).to.contain('sso_auth');
    expect(page.headers['cache-control']).to.equal('no-store');

    const failures = await agent.get('/admin/insights?outcome=failure').expect(200);
    expect(failures.text).to.contain('auth.invalid_credentials');
    expect(failures.text).not.to.contain('<span class="badge on">success</span>');
    const mine = await agent.get(`/admin/insights?userId=${user.id}&type=sso_auth`).expect(200);
    expect(mine.text).to.contain('sso_auth');
    expect(mine.text).not.to.contain('user_create');

    const csv = await agent.get('/admin/insights/export.csv?range=24h').expect(200);
    expect(csv.headers['content-type']).to.match(/^text\/csv/);
    expect(csv.headers['content-disposition']).to.match(/^attachment; filename="gatehouse-events-.*\.csv"$/);
    expect(csv.text.split('\r\n')[0]).to.equal('id,time,type,outcome,reason,actorType,actorId,actorLabel,targetType,targetId,targetLabel,appId,clientIp,detail');
    expect(csv.text).to.contain(`"'=HYPERLINK(""https://evil.example"",""x"")"`);
    const lines = (await agent.get('/admin/insights/export.jsonl?outcome=failure').expect(200)).text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).to.be.greaterThan(0);
    expect(lines.every((e) => e.outcome === 'failure')).to.equal(true);

    const anon = await request(h.app).get('/admin/insights/export.csv').expect(303);
    expect(anon.headers.location).to.equal('/login');
  });

  it('pages through many events with "Older events"', async () => {
    const { agent } = await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD);
    for (let i = 0; i < 60; i++) await h.ctx.insights.record({ actor: { type: 'system' }, clientIp: null }, { type: 'bulk_test', outcome: 'success' });
    const first = await agent.get('/admin/insights?type=bulk_test').expect(200);
    const next = /before=(\d+)/.exec(first.text)![1];
    const second = await agent.get(`/admin/insights?type=bulk_test&before=${next}`).expect(200);
    expect((second.text.match(/<code>bulk_test<\/code>/g) ?? []).length).to.equal(10);
  });
});
