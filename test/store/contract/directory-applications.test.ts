import { expect } from 'chai';
import type { Store } from '../../../src/store';
import { forEachDriver } from './drivers';
import { nextTime, sampleApplication, sampleGroup, sampleSigningKey, sampleSsoSettings, sampleUser } from './fixtures';
import { refusal } from './refusal';

forEachDriver('Store contract: applications', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });

  it('keeps every field of a SAML app and of a bookmark, and finds nothing for an unknown id or slug', async () => {
    const key = sampleSigningKey();
    await store.signingKeys.create(key);
    const saml = sampleApplication({
      signingKeyId: key.id, showInPortal: false, ssoActive: false, description: 'HR',
      placeholders: { YOUR_SUBDOMAIN: 'acme' }, portal: { image: 'color', color: '#ff0000' },
      attributes: [{ name: 'groups', source: 'groups' }, { name: 'tenant', value: 'acme', nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic' }],
    });
    const bookmark = sampleApplication({ sso: null, bookmarkUrl: 'https://wiki.example/', attributes: [] });
    await store.applications.create(saml);
    await store.applications.create(bookmark);
    expect(await store.applications.findById(saml.id)).to.deep.equal(saml);
    expect(await store.applications.findBySlug(saml.slug)).to.deep.equal(saml);
    expect(await store.applications.findById(bookmark.id)).to.deep.equal(bookmark);
    expect((await store.applications.findById(bookmark.id))!.signingKeyId).to.equal(undefined);
    expect(await store.applications.findById('no-such-app')).to.equal(undefined);
    expect(await store.applications.findBySlug('no-such-slug')).to.equal(undefined);
  });

  it('refuses a taken slug, a slug outside [a-z0-9-]{1,64}, an empty label and a missing signing key', async () => {
    const app = sampleApplication();
    await store.applications.create(app);
    const taken = await refusal(store.applications.create(sampleApplication({ slug: app.slug })));
    expect([taken.kind, taken.field]).to.deep.equal(['unique', 'applications.slug']);
    for (const slug of ['Upper', 'with space', '', 'x'.repeat(65)]) {
      expect((await refusal(store.applications.create(sampleApplication({ slug })))).kind, slug).to.equal('check');
    }
    await store.applications.create(sampleApplication({ slug: 'a'.repeat(64) }));
    expect((await refusal(store.applications.create(sampleApplication({ displayLabel: '' })))).kind).to.equal('check');
    expect((await refusal(store.applications.create(sampleApplication({ signingKeyId: 'no-such-key' })))).kind).to.equal('reference');
  });

  it('updates everything but the slug, and ignores an unknown id', async () => {
    const app = sampleApplication();
    await store.applications.create(app);
    const changed = {
      ...app, slug: 'not-taken-over', displayLabel: 'Renamed', description: 'd', showInPortal: false, ssoActive: false,
      sso: sampleSsoSettings(), attributes: [], placeholders: { YOUR_X: 'y' }, portal: { image: 'color' as const, color: '#000000' },
      updatedAt: nextTime(),
    };
    await store.applications.update(changed);
    expect(await store.applications.findById(app.id)).to.deep.equal({ ...changed, slug: app.slug });
    expect(await store.applications.findBySlug('not-taken-over')).to.equal(undefined);
    await store.applications.update(sampleApplication());
  });

  it('deletes once, and its group bindings go with it', async () => {
    const app = sampleApplication();
    const group = sampleGroup();
    await store.applications.create(app);
    await store.groups.create(group);
    await store.applications.bindGroup(app.id, group.id, nextTime());
    expect(await store.applications.delete(app.id)).to.equal(true);
    expect(await store.applications.delete(app.id)).to.equal(false);
    expect(await store.applications.findById(app.id)).to.equal(undefined);
    expect(await store.applications.listForGroup(group.id)).to.deep.equal([]);
  });

  it('lists by display label, a page at a time, searching label and slug with % and _ taken literally', async () => {
    const fresh = await open();
    const apps = [
      sampleApplication({ displayLabel: 'Zendesk', slug: 'zendesk' }),
      sampleApplication({ displayLabel: 'Box', slug: 'box-files' }),
      sampleApplication({ displayLabel: 'box_2', slug: 'second' }),
      sampleApplication({ displayLabel: 'Asana', slug: 'asana' }),
    ];
    for (const a of apps) await fresh.applications.create(a);
    const list = async (page: { limit: number; offset: number; q?: string }) => {
      const { items, total } = await fresh.applications.list(page);
      return { labels: items.map((a) => a.displayLabel), total };
    };
    // Binary order, as SQLite's: capitals before lower case.
    expect(await list({ limit: 10, offset: 0 })).to.deep.equal({ labels: ['Asana', 'Box', 'Zendesk', 'box_2'], total: 4 });
    expect(await list({ limit: 2, offset: 1 })).to.deep.equal({ labels: ['Box', 'Zendesk'], total: 4 });
    expect(await list({ limit: 2, offset: 4 })).to.deep.equal({ labels: [], total: 4 });
    expect(await list({ limit: 10, offset: 0, q: 'BOX' })).to.deep.equal({ labels: ['Box', 'box_2'], total: 2 });
    expect(await list({ limit: 10, offset: 0, q: 'x_' })).to.deep.equal({ labels: ['box_2'], total: 1 });
    expect(await list({ limit: 10, offset: 0, q: 'files' })).to.deep.equal({ labels: ['Box'], total: 1 });
    expect((await fresh.applications.list({ limit: 10, offset: 0 })).items[0]).to.deep.equal(apps[3]);
  });

  it('binds a group once, unbinds it once, and refuses a missing app or group as a reference', async () => {
    const app = sampleApplication();
    const group = sampleGroup();
    await store.applications.create(app);
    await store.groups.create(group);
    expect(await store.applications.bindGroup(app.id, group.id, nextTime())).to.equal(true);
    expect(await store.applications.bindGroup(app.id, group.id, nextTime())).to.equal(false);
    expect(await store.applications.listBoundGroups(app.id)).to.deep.equal([group]);
    expect(await store.applications.unbindGroup(app.id, group.id)).to.equal(true);
    expect(await store.applications.unbindGroup(app.id, group.id)).to.equal(false);
    expect(await store.applications.listBoundGroups(app.id)).to.deep.equal([]);
    expect((await refusal(store.applications.bindGroup('no-such-app', group.id, nextTime()))).kind).to.equal('reference');
    expect((await refusal(store.applications.bindGroup(app.id, 'no-such-group', nextTime()))).kind).to.equal('reference');
  });

  it('lists bound groups by name case-insensitively, and the apps of a group by label', async () => {
    const groups = [sampleGroup({ name: 'zz-bound' }), sampleGroup({ name: 'AA-bound' }), sampleGroup({ name: 'mm-bound' })];
    const apps = [sampleApplication({ displayLabel: 'Wiki' }), sampleApplication({ displayLabel: 'CRM' }), sampleApplication({ displayLabel: 'Mail' })];
    for (const g of groups) await store.groups.create(g);
    for (const a of apps) await store.applications.create(a);
    for (const g of groups) await store.applications.bindGroup(apps[0].id, g.id, nextTime());
    for (const a of apps) await store.applications.bindGroup(a.id, groups[0].id, nextTime());
    expect(await store.applications.listBoundGroups(apps[0].id)).to.deep.equal([groups[1], groups[2], groups[0]]);
    expect(await store.applications.listForGroup(groups[0].id)).to.deep.equal([apps[1], apps[2], apps[0]]);
    expect(await store.applications.listForGroup('no-such-group')).to.deep.equal([]);
    expect(await store.applications.listBoundGroups('no-such-app')).to.deep.equal([]);
  });

  it('denies by default: a user is authorized only through a bound group they are a member of', async () => {
    // accessOf (the launch's one read) agrees with isUserAuthorized and listGroupsOfUser at every step.
    const authorized = async (appId: string, userId: string) => {
      const answer = await store.applications.isUserAuthorized(appId, userId);
      const access = await store.groups.accessOf(userId, appId);
      expect(access.authorized, 'accessOf').to.equal(answer);
      expect(access.groups).to.deep.equal(await store.groups.listGroupsOfUser(userId));
      return answer;
    };
    const app = sampleApplication();
    const bound = sampleGroup();
    const unbound = sampleGroup();
    const user = sampleUser();
    await store.applications.create(app);
    await store.groups.create(bound);
    await store.groups.create(unbound);
    await store.users.create(user, null);
    expect(await authorized(app.id, user.id)).to.equal(false);
    await store.groups.addMember(unbound.id, user.id);
    await store.applications.bindGroup(app.id, bound.id, nextTime());
    expect(await authorized(app.id, user.id)).to.equal(false);
    await store.groups.addMember(bound.id, user.id);
    expect(await authorized(app.id, user.id)).to.equal(true);
    expect(await authorized('no-such-app', user.id)).to.equal(false);
    await store.groups.removeMember(bound.id, user.id);
    expect(await authorized(app.id, user.id)).to.equal(false);
    await store.groups.addMember(bound.id, user.id);
    await store.applications.unbindGroup(app.id, bound.id);
    expect(await authorized(app.id, user.id)).to.equal(false);
    await store.applications.bindGroup(app.id, bound.id, nextTime());
    await store.groups.delete(bound.id);
    expect(await authorized(app.id, user.id)).to.equal(false);
  });

  it('lists a user\'s apps once each, by label, however many of their groups reach an app', async () => {
    const user = sampleUser();
    const [g1, g2] = [sampleGroup(), sampleGroup()];
    const [both, one, none] = [sampleApplication({ displayLabel: 'Both' }), sampleApplication({ displayLabel: 'Alone' }), sampleApplication()];
    await store.users.create(user, null);
    for (const g of [g1, g2]) await store.groups.create(g);
    for (const a of [both, one, none]) await store.applications.create(a);
    for (const g of [g1, g2]) await store.groups.addMember(g.id, user.id);
    await store.applications.bindGroup(both.id, g1.id, nextTime());
    await store.applications.bindGroup(both.id, g2.id, nextTime());
    await store.applications.bindGroup(one.id, g2.id, nextTime());
    expect(await store.applications.listForUser(user.id)).to.deep.equal([one, both]);
    expect(await store.applications.listForUser('no-such-user')).to.deep.equal([]);
  });
});

forEachDriver('Store contract: one application per SP entity ID', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });
  const withSp = (spEntityId: string, overrides = {}) => sampleApplication({ sso: sampleSsoSettings({ spEntityId }), ...overrides });

  it('refuses a second app with the same SP entity ID, on create and on update, naming applications.sp_entity_id', async () => {
    const first = withSp('https://unique.example/sp');
    const second = withSp('https://other.example/sp');
    await store.applications.create(first);
    await store.applications.create(second);
    const onCreate = await refusal(store.applications.create(withSp('https://unique.example/sp')));
    expect([onCreate.kind, onCreate.field]).to.deep.equal(['unique', 'applications.sp_entity_id']);
    const onUpdate = await refusal(store.applications.update({ ...second, sso: { ...second.sso!, spEntityId: 'https://unique.example/sp' } }));
    expect([onUpdate.kind, onUpdate.field]).to.deep.equal(['unique', 'applications.sp_entity_id']);
    // Saving an app with its own ID unchanged is not a conflict with itself.
    await store.applications.update({ ...first, displayLabel: 'Still mine' });
  });

  it('compares SP entity IDs exactly: another case is another ID', async () => {
    await store.applications.create(withSp('https://case.example/SP'));
    await store.applications.create(withSp('https://case.example/sp'));
  });

  it('lets bookmarks (no SP entity ID) and IDs still holding a YOUR_ placeholder repeat', async () => {
    for (let i = 0; i < 2; i++) {
      await store.applications.create(sampleApplication({ sso: null, bookmarkUrl: 'https://b.example/' }));
      await store.applications.create(withSp('https://YOUR_SUBDOMAIN.example.com/saml'));
      await store.applications.create(withSp('urn:amazon:YOUR_2'));
    }
    // YOUR_ followed by a lower-case letter is no placeholder: that ID is real and unique.
    await store.applications.create(withSp('https://YOUR_acme.example/sp'));
    expect((await refusal(store.applications.create(withSp('https://YOUR_acme.example/sp')))).field).to.equal('applications.sp_entity_id');
  });

  it('finds the oldest other app with an SP entity ID, not the one excepted, and nothing when none', async () => {
    const older = withSp('https://YOUR_TENANT.example/find', { createdAt: '2026-01-01T00:00:00.000Z' });
    const newer = withSp('https://YOUR_TENANT.example/find', { createdAt: '2026-02-01T00:00:00.000Z' });
    await store.applications.create(newer);
    await store.applications.create(older);
    expect((await store.applications.findBySpEntityId('https://YOUR_TENANT.example/find'))?.id).to.equal(older.id);
    expect((await store.applications.findBySpEntityId('https://YOUR_TENANT.example/find', older.id))?.id).to.equal(newer.id);
    const single = withSp('https://single.example/sp');
    await store.applications.create(single);
    expect(await store.applications.findBySpEntityId('https://single.example/sp')).to.deep.equal(single);
    expect(await store.applications.findBySpEntityId('https://single.example/sp', single.id)).to.equal(undefined);
    expect(await store.applications.findBySpEntityId('https://SINGLE.example/sp')).to.equal(undefined);
    expect(await store.applications.findBySpEntityId('https://nobody.example/sp')).to.equal(undefined);
  });
});
