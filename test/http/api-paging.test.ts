import { expect } from 'chai';
import { startGatehouse, type Harness } from '../helpers/harness';
import { sampleApplication, sampleGroup, sampleUser } from '../store/contract/fixtures';

/** The API's lists page by cursor (`after=<next>`, `before=<prev>`); every input is checked. */
describe('Admin REST API lists: paging and search', function () {
  this.timeout(120_000);
  let h: Harness;
  before(async () => { h = await startGatehouse(); });
  after(async () => { await h.close(); });

  async function all(path: string, limit: number): Promise<{ ids: string[]; pages: number; first: Record<string, unknown> }> {
    const ids: string[] = [];
    let pages = 0;
    let first: Record<string, unknown> = {};
    let next: string | null = '';
    while (next !== null) {
      const sep = path.includes('?') ? '&' : '?';
      const res: { body: { items: { id: string }[]; next: string | null } } = await h.api().get(`${path}${sep}limit=${limit}${next ? `&after=${next}` : ''}`).expect(200);
      if (pages === 0) first = res.body;
      pages += 1;
      ids.push(...res.body.items.map((i: { id: string }) => i.id));
      next = res.body.next;
    }
    return { ids, pages, first };
  }

  it('pages users, groups, applications and members by cursor: each once, past any old cut', async () => {
    const users = Array.from({ length: 620 }, (_, i) => sampleUser({ username: `api${String(i).padStart(3, '0')}` }));
    for (const u of users) await h.ctx.store.users.create(u, null);
    const groups = Array.from({ length: 230 }, (_, i) => sampleGroup({ name: `grp${String(i).padStart(3, '0')}` }));
    for (const g of groups) await h.ctx.store.groups.create(g);
    const apps = Array.from({ length: 210 }, () => sampleApplication());
    for (const a of apps) await h.ctx.store.applications.create(a);
    for (const u of users.slice(0, 130)) await h.ctx.store.groups.addMember(groups[0].id, u.id);

    const userIds = (await all('/api/v1/users?q=api', 200));
    expect(userIds.ids).to.deep.equal(users.map((u) => u.id));
    expect(userIds.pages).to.equal(4);
    expect(userIds.first).to.include({ total: 620, totalCapped: false, prev: null });
    expect((await all('/api/v1/groups', 100)).ids).to.deep.equal(groups.map((g) => g.id));
    expect(new Set((await all('/api/v1/applications', 200)).ids)).to.have.property('size', 210);
    const members = await all(`/api/v1/groups/${groups[0].id}/members`, 50);
    expect(members.ids).to.deep.equal(users.slice(0, 130).map((u) => u.id));
    expect(members.first).to.include({ total: 130 });
  });

  it('goes back a page with before=<prev>', async () => {
    const first = (await h.api().get('/api/v1/groups?limit=10').expect(200)).body;
    const second = (await h.api().get(`/api/v1/groups?limit=10&after=${first.next}`).expect(200)).body;
    const back = (await h.api().get(`/api/v1/groups?limit=10&before=${second.prev}`).expect(200)).body;
    expect(back.items).to.deep.equal(first.items);
    expect(back.prev).to.equal(null);
  });

  it('still takes offset=, up to 10,000', async () => {
    const page = (await h.api().get('/api/v1/groups?limit=5&offset=5').expect(200)).body;
    expect(page.items.map((g: { name: string }) => g.name)).to.deep.equal(['grp005', 'grp006', 'grp007', 'grp008', 'grp009']);
    const deep = await h.api().get('/api/v1/users?offset=10001').expect(422);
    expect(deep.body.message).to.contain('offset: must be at most 10000: page further with after=<next>');
  });

  it('refuses a cursor it did not give out, one of another list, both directions at once, and a search of too many words', async () => {
    for (const [path, words] of [
      ['/api/v1/users?after=bm9wZQ', 'after: is not a cursor this list gave out'],
      ['/api/v1/users?after=WyJhIl0&before=WyJiIl0', 'before: give after= or before=, not both'],
      ['/api/v1/applications?after=WyJhIl0', 'after: is not a cursor this list gave out'],
      [`/api/v1/users?after=${Buffer.from(JSON.stringify(['a\u0000'])).toString('base64url')}`, 'after: is not a cursor'],
      ['/api/v1/users?q=a b c d e f g h i j k', 'q: may hold at most 10 words'],
      ['/api/v1/applications?status=sleeping', 'status:'],
    ] as const) {
      const res = await h.api().get(path).expect(422);
      expect(res.body.message, path).to.contain(words);
    }
  });
});
