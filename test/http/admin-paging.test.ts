import { expect } from 'chai';
import type TestAgent from 'supertest/lib/agent';
import type { Application, Group, User } from '../../src/store';
import { ADMIN_PASSWORD, csrfFrom, signIn, startGatehouse, type Harness } from '../helpers/harness';
import { sampleApplication, sampleGroup, sampleUser } from '../store/contract/fixtures';

/**
 * The portal's lists and pickers past the old cut of 500: 620 applications, groups and users,
 * created straight in the store, and every one reachable by following the pages' links.
 */
const N = 620;
const pad = (i: number) => String(i).padStart(3, '0');
const decode = (href: string) => href.replace(/&amp;/g, '&');
const nextLink = (html: string) => /<a href="([^"]+)" rel="next">/.exec(html)?.[1];

describe('Admin portal lists and pickers with more than 500 items (through HTTP)', function () {
  this.timeout(120_000);
  let h: Harness;
  let admin: TestAgent;
  let apps: Application[];
  let groups: Group[];
  let users: User[];
  before(async () => {
    h = await startGatehouse();
    admin = (await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD)).agent;
    apps = Array.from({ length: N }, (_, i) => sampleApplication({ displayLabel: `App ${pad(i)}`, ssoActive: i % 10 !== 0 }));
    groups = Array.from({ length: N }, (_, i) => sampleGroup({ name: `Team ${pad(i)}` }));
    users = Array.from({ length: N }, (_, i) => sampleUser({ username: `person${pad(i)}`, displayName: `Person ${pad(i)}`, firstName: i === N - 1 ? 'Zelda' : 'Pat' }));
    for (const a of apps) await h.ctx.store.applications.create(a);
    for (const g of groups) await h.ctx.store.groups.create(g);
    for (const u of users) await h.ctx.store.users.create(u, null);
  });
  after(async () => { await h.close(); });

  /** Follow "Next" from `path`, collecting what `item` finds on each page. */
  async function walk(path: string, item: RegExp): Promise<{ items: string[]; pages: string[] }> {
    const items: string[] = [];
    const pages: string[] = [];
    let url: string | undefined = path;
    while (url) {
      const page = await admin.get(url).expect(200);
      pages.push(page.text);
      items.push(...[...page.text.matchAll(item)].map((m) => m[1]));
      expect(pages.length, 'pages').to.be.below(40);
      const next = nextLink(page.text);
      url = next && decode(next);
    }
    return { items, pages };
  }

  it('lists all 620 applications over pages of 50, each once, in label order, and filters by status', async () => {
    const { items, pages } = await walk('/admin/applications', /name="appId" value="([^"]+)"/g);
    expect(items).to.deep.equal(apps.map((a) => a.id));
    expect(pages).to.have.length(13);
    expect(pages[0]).to.contain('620 applications');
    expect(pages[1]).to.contain('rel="prev"');
    const inactive = await walk('/admin/applications?status=inactive', /name="appId" value="([^"]+)"/g);
    expect(inactive.items).to.deep.equal(apps.filter((a) => !a.ssoActive).map((a) => a.id));
    const searched = await admin.get('/admin/applications?q=App%206').expect(200);
    expect(searched.text).to.contain('20 applications match');
  });

  it('lists all 620 groups and users, and pages back with "Previous"', async () => {
    const groupPages = await walk('/admin/groups', /href="\/admin\/groups\/([^"]+)"/g);
    expect(groupPages.items).to.deep.equal(groups.map((g) => g.id));
    const userPages = await walk('/admin/users', /href="\/admin\/users\/([0-9a-f-]{36})"/g);
    expect(userPages.items.filter((id) => users.some((u) => u.id === id))).to.deep.equal(users.map((u) => u.id));
    const last = userPages.pages[userPages.pages.length - 1];
    const prev = decode(/<a href="([^"]+)" rel="prev">/.exec(last)![1]);
    const before = await admin.get(prev).expect(200);
    expect(before.text).to.contain(`person${pad(N - 50)}`);
    expect(before.text).to.contain('« First');
  });

  it('finds a user by the start of any word of their names, and says when none match', async () => {
    const found = await admin.get('/admin/users?q=zel').expect(200);
    expect(found.text).to.contain(`person${pad(N - 1)}`);
    expect(found.text).to.contain('1 user matches');
    const none = await admin.get('/admin/users?q=erson').expect(200);
    expect(none.text).to.contain('No user matches this search.');
  });

  it('authorizes a group beyond the 500th from the application\'s group picker, touching only that page', async () => {
    const app = apps[1];
    const target = groups[N - 3];
    await h.ctx.store.applications.bindGroup(app.id, groups[0].id, new Date().toISOString());
    const { pages } = await walk(`/admin/applications/${app.id}?tab=groups`, /name="groupId" value="([^"]+)"/g);
    const page = pages[pages.length - 1];
    expect(page).to.contain(target.name);
    const listed = [...page.matchAll(/name="shown" value="([^"]+)"/g)].map((m) => m[1]);
    const list = decode(/name="list" value="([^"]*)"/.exec(page)![1]);
    const res = await admin.post(`/admin/applications/${app.id}/groups`).type('form')
      .send({ _csrf: csrfFrom(page), list, shown: listed, groupId: target.id }).expect(303);
    expect(res.headers.location).to.match(new RegExp(`^/admin/applications/${app.id}\\?tab=groups&after=[^&]+&notice=saved#groups$`));
    // Team 000 is on the first page, not this one: it stays bound.
    expect((await h.ctx.store.applications.listBoundGroups(app.id)).map((g) => g.name)).to.deep.equal([groups[0].name, target.name]);
    const back = await admin.get(res.headers.location.replace(/#.*/, '')).expect(200);
    expect(back.text).to.match(new RegExp(`value="${target.id}" checked`));
  });

  it('adds a user to a group by searching, and pages the group\'s applications and a user\'s groups', async () => {
    const group = groups[5];
    const found = await admin.get(`/admin/groups/${group.id}?mq=zelda`).expect(200);
    expect(found.text).to.contain('Users who match: check to add');
    const zelda = users[N - 1];
    await admin.post(`/admin/groups/${group.id}/members`).type('form')
      .send({ _csrf: csrfFrom(found.text), shown: zelda.id, userId: zelda.id, list: 'mq=zelda' }).expect(303);
    expect((await h.ctx.store.groups.listMembers(group.id)).map((u) => u.id)).to.deep.equal([zelda.id]);
    const members = await admin.get(`/admin/groups/${group.id}`).expect(200);
    expect(members.text).to.contain('1 member<');
    const appPages = await walk(`/admin/groups/${group.id}`, /name="appId" value="([^"]+)"/g);
    expect(appPages.items).to.deep.equal(apps.map((a) => a.id));
    const userGroups = await walk(`/admin/users/${zelda.id}`, /name="groupId" value="([^"]+)"/g);
    expect(userGroups.items).to.deep.equal(groups.map((g) => g.id));
    expect(userGroups.pages[0]).to.contain(`Checked now: ${group.name}.`);
  });

  it('offers every application and a searched user in the Directory Insights filters', async () => {
    const page = await admin.get(`/admin/insights?userQ=person61`).expect(200);
    expect(page.text).to.contain(`<option value="${apps[N - 1].id}">App ${pad(N - 1)}</option>`);
    expect(page.text).to.contain(`<option value="${users[N - 1].id}">person${pad(N - 1)}</option>`);
    expect(page.text).to.contain('value="person61"');
    const many = await admin.get('/admin/insights?userQ=person').expect(200);
    expect(many.text).to.contain('More users match');
    const picked = await admin.get(`/admin/insights?userId=${users[N - 1].id}`).expect(200);
    expect(picked.text).to.contain(`<option value="${users[N - 1].id}" selected>`);
  });

  it('refuses a cursor it did not give out, with a page that says what to do', async () => {
    const res = await admin.get('/admin/users?after=bm90LWEtY3Vyc29y').set('Accept', 'text/html').expect(422);
    expect(res.text).to.contain('start again from the first page');
  });
});
