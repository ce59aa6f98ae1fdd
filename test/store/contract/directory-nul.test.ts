import { expect } from 'chai';
import type { Store } from '../../../src/store';
import { forEachDriver } from './drivers';
import { sampleApplication, sampleGroup, sampleSigningKey, sampleUser } from './fixtures';

/**
 * Keys arrive from forms and URLs (a login, a slug, an id), and `%00` is easy to send. SQLite
 * answers "not found"; PostgreSQL text cannot hold NUL and would fail the statement (a 500).
 * A group or application search stops at the NUL, as SQLite's LIKE reads its pattern; to a user
 * search NUL is punctuation, which separates words (searchWords).
 */
forEachDriver('Store contract: directory keys holding NUL', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });

  it('finds nothing by a login, id, slug or SP entity ID holding NUL', async () => {
    const user = sampleUser({ username: 'nulname' });
    const group = sampleGroup();
    const app = sampleApplication();
    const key = sampleSigningKey();
    await store.users.create(user, 'hash');
    await store.groups.create(group);
    await store.applications.create(app);
    await store.signingKeys.create(key);
    const nul = (s: string) => `${s}\u0000`;
    expect(await store.users.findByLogin(nul('nulname'))).to.equal(undefined);
    expect(await store.users.findById(nul(user.id))).to.equal(undefined);
    expect(await store.users.getPasswordHash(nul(user.id))).to.equal(undefined);
    expect(await store.groups.findById(nul(group.id))).to.equal(undefined);
    expect(await store.applications.findById(nul(app.id))).to.equal(undefined);
    expect(await store.applications.findBySlug(nul(app.slug))).to.equal(undefined);
    expect(await store.applications.findBySpEntityId(nul(app.sso!.spEntityId))).to.equal(undefined);
    expect((await store.applications.findBySpEntityId(app.sso!.spEntityId, nul('x')))?.id).to.equal(app.id);
    expect(await store.applications.isUserAuthorized(nul(app.id), user.id)).to.equal(false);
    expect(await store.signingKeys.findById(nul(key.id))).to.equal(undefined);
  });

  it('searches groups and applications up to the NUL, and users with NUL between words', async () => {
    const fresh = await open();
    await fresh.users.create(sampleUser({ username: 'ann', displayName: 'Ann' }), null);
    await fresh.users.create(sampleUser({ username: 'bob', displayName: 'Bob' }), null);
    await fresh.groups.create(sampleGroup({ name: 'staff' }));
    await fresh.applications.create(sampleApplication({ displayLabel: 'Wiki', slug: 'wiki' }));
    const users = async (q: string) => (await fresh.users.list({ limit: 10, offset: 0, q })).items.map((u) => u.username);
    expect(await users('\u0000')).to.deep.equal(['ann', 'bob']);
    expect(await users('an\u0000zz')).to.deep.equal([]);
    expect((await fresh.users.list({ limit: 10, offset: 0, q: 'bo\u0000' })).total).to.equal(1);
    expect(await users('\u0000bob\u0000an')).to.deep.equal([]);
    expect((await fresh.groups.list({ limit: 10, offset: 0, q: 'ff\u0000x' })).total).to.equal(1);
    expect((await fresh.applications.list({ limit: 10, offset: 0, q: 'iki\u0000' })).total).to.equal(1);
  });
});
