import { expect } from 'chai';
import { COUNT_CAP, type Store, type User } from '../../../src/store';
import { forEachDriver } from './drivers';
import { nextTime, sampleUser } from './fixtures';

/**
 * User search (UserRepository.list with `q`): every word of the query starts a word of the
 * user's username, e-mail, first, last or display name; ASCII case folds, nothing else does;
 * punctuation separates words in the query as in the data, so a query language's syntax is
 * never read (FTS5 on SQLite, a tsvector on PostgreSQL, the same answers).
 */
forEachDriver('Store contract: user search', ({ open }) => {
  let store: Store;
  const names = async (q: string) => (await store.users.list({ limit: 50, q })).items.map((u) => u.username);

  before(async () => {
    store = await open();
    const people: Partial<User>[] = [
      { username: 'ann.lee', email: 'ann.lee@corp.example', firstName: 'Ann', lastName: 'Lee', displayName: 'Ann Lee' },
      { username: 'bsmithers', email: 'ben@other.example', firstName: 'Benjamin', lastName: 'Smithers', displayName: 'Ben SMITHERS' },
      { username: 'c_d', email: 'cd@other.example', firstName: '', lastName: '', displayName: '100% Carl' },
      { username: 'zoe9', email: 'zoe9@mail.example', firstName: 'Zoë', lastName: 'Ærø', displayName: 'Zoë Ærø' },
    ];
    for (const p of people) await store.users.create(sampleUser(p), null);
  });

  it('matches the start of a word in any field, ignoring ASCII case, every word of the query', async () => {
    expect(await names('smith')).to.deep.equal(['bsmithers']);
    expect(await names('SMI')).to.deep.equal(['bsmithers']);
    expect(await names('corp')).to.deep.equal(['ann.lee']);
    expect(await names('benj')).to.deep.equal(['bsmithers']);
    expect(await names('Lee')).to.deep.equal(['ann.lee']);
    expect(await names('lee ann')).to.deep.equal(['ann.lee']);
    expect(await names('ann smith')).to.deep.equal([]);
    expect(await names('other.example')).to.deep.equal(['bsmithers', 'c_d']);
    expect(await names('100')).to.deep.equal(['c_d']);
  });

  it('does not match inside a word', async () => {
    expect(await names('mith')).to.deep.equal([]);
    expect(await names('0')).to.deep.equal([]);
    expect(await names('orp')).to.deep.equal([]);
  });

  it('keeps letters beyond ASCII in words, as typed: É and é are different letters', async () => {
    expect(await names('zoë')).to.deep.equal(['zoe9']);
    expect(await names('Ærø')).to.deep.equal(['zoe9']);
    expect(await names('ærø')).to.deep.equal([]);
    expect(await names('ZOË')).to.deep.equal([]);
    expect(await names('zo')).to.deep.equal(['zoe9']);
  });

  it('takes query syntax characters as punctuation: no operator, column filter or phrase is read', async () => {
    expect(await names('"ann')).to.deep.equal(['ann.lee']);
    expect(await names('ann*')).to.deep.equal(['ann.lee']);
    expect(await names('^ann')).to.deep.equal(['ann.lee']);
    expect(await names('-ann')).to.deep.equal(['ann.lee']);
    expect(await names("ann' OR '1'='1")).to.deep.equal([]);
    expect(await names('ann OR ben')).to.deep.equal([]);
    expect(await names('ann NOT lee')).to.deep.equal([]);
    expect(await names('NEAR(ann lee)')).to.deep.equal([]);
    expect(await names('username:ann')).to.deep.equal([]);
    expect(await names('{first_name}:ann')).to.deep.equal([]);
    expect(await names('c_d')).to.deep.equal(['c_d']);
    expect(await names('ann:*')).to.deep.equal(['ann.lee']);
    expect(await names('a\\b')).to.deep.equal([]);
  });

  it('lists everyone for a query without a letter or digit', async () => {
    for (const q of ['', '   ', '%', '"', '*', '()', '@.']) expect(await names(q), q).to.have.length(4);
  });

  it('follows a change and a deletion at once (the index is written with the row)', async () => {
    const fresh = await open();
    const user = sampleUser({ username: 'renamed', displayName: 'Old Name' });
    await fresh.users.create(user, null);
    const find = async (q: string) => (await fresh.users.list({ limit: 10, q })).items.map((u) => u.id);
    expect(await find('old')).to.deep.equal([user.id]);
    await fresh.users.update(user.id, { displayName: 'Fresh Name', email: 'someone@else.example' }, nextTime());
    expect(await find('old')).to.deep.equal([]);
    expect(await find('fresh else')).to.deep.equal([user.id]);
    await fresh.users.update(user.id, { title: 'Not searched' }, nextTime());
    expect(await find('fresh')).to.deep.equal([user.id]);
    await fresh.users.rebuildSearchIndex();
    expect(await find('fresh')).to.deep.equal([user.id]);
    await fresh.users.delete(user.id);
    expect(await find('fresh')).to.deep.equal([]);
  });

  it(`counts at most ${COUNT_CAP} matches, and pages through all of them, few or many`, async function () {
    this.timeout(120_000);
    const fresh = await open();
    // More than COUNT_CAP users share "crowd"; twelve of them also "rare": both plans run.
    const crowd = Array.from({ length: COUNT_CAP + 7 }, (_, i) => sampleUser({
      username: `m${String((i * 7919) % 10_007).padStart(5, '0')}`, displayName: i % 90 === 0 ? 'Crowd Rare' : 'Crowd',
    }));
    for (const u of crowd) await fresh.users.create(u, null);
    await fresh.users.create(sampleUser({ username: 'outsider', displayName: 'Alone' }), null);
    for (const [q, expected] of [['crowd', crowd], ['CROWD rare', crowd.filter((_, i) => i % 90 === 0)]] as const) {
      const seen: string[] = [];
      let page = await fresh.users.list({ limit: 100, q });
      expect(page.total, q).to.equal(Math.min(expected.length, COUNT_CAP));
      expect(page.totalCapped, q).to.equal(expected.length > COUNT_CAP);
      for (;;) {
        seen.push(...page.items.map((u) => u.username));
        if (!page.next) break;
        page = await fresh.users.list({ limit: 100, q, after: page.next });
      }
      expect(seen, q).to.deep.equal(expected.map((u) => u.username).sort());
    }
  });
});
