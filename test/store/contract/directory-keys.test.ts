import { expect } from 'chai';
import type { Store } from '../../../src/store';
import { forEachDriver } from './drivers';
import { sampleApplication, sampleSigningKey } from './fixtures';
import { refusal } from './refusal';

forEachDriver('Store contract: signing keys', ({ open }) => {
  let store: Store;
  beforeEach(async () => { store = await open(); });

  it('keeps every field of a key, and finds nothing for an unknown id', async () => {
    const key = sampleSigningKey({ status: 'next', label: 'Rotation' });
    await store.signingKeys.create(key);
    expect(await store.signingKeys.findById(key.id)).to.deep.equal(key);
    expect(await store.signingKeys.findById('no-such-key')).to.equal(undefined);
  });

  it('finds no default on an empty store, then the one default key', async () => {
    expect(await store.signingKeys.findDefault()).to.equal(undefined);
    await store.signingKeys.create(sampleSigningKey());
    expect(await store.signingKeys.findDefault()).to.equal(undefined);
    const main = sampleSigningKey({ isDefault: true });
    await store.signingKeys.create(main);
    expect(await store.signingKeys.findDefault()).to.deep.equal(main);
  });

  it('refuses a second default key and a taken fingerprint, naming the field; any number of other keys', async () => {
    const main = sampleSigningKey({ isDefault: true });
    await store.signingKeys.create(main);
    const second = await refusal(store.signingKeys.create(sampleSigningKey({ isDefault: true })));
    expect([second.kind, second.field]).to.deep.equal(['unique', 'signing_keys.is_default']);
    const twin = await refusal(store.signingKeys.create(sampleSigningKey({ fingerprintSha256: main.fingerprintSha256 })));
    expect([twin.kind, twin.field]).to.deep.equal(['unique', 'signing_keys.fingerprint_sha256']);
    for (let i = 0; i < 3; i++) await store.signingKeys.create(sampleSigningKey());
    expect(await store.signingKeys.list()).to.have.length(4);
  });

  it('refuses a status outside next/active/retired as a check violation', async () => {
    expect((await refusal(store.signingKeys.create(sampleSigningKey({ status: 'lost' as 'active' })))).kind).to.equal('check');
  });

  it('lists keys oldest first', async () => {
    const keys = [
      sampleSigningKey({ createdAt: '2026-03-01T00:00:00.000Z', status: 'next' }),
      sampleSigningKey({ createdAt: '2026-01-01T00:00:00.000Z', isDefault: true }),
      sampleSigningKey({ createdAt: '2026-02-01T00:00:00.000Z', status: 'retired' }),
    ];
    for (const k of keys) await store.signingKeys.create(k);
    expect(await store.signingKeys.list()).to.deep.equal([keys[1], keys[2], keys[0]]);
  });

  it('is referenced by the apps that sign with it', async () => {
    const key = sampleSigningKey();
    await store.signingKeys.create(key);
    const app = sampleApplication({ signingKeyId: key.id });
    await store.applications.create(app);
    expect((await store.applications.findById(app.id))!.signingKeyId).to.equal(key.id);
    await store.applications.update({ ...app, signingKeyId: undefined });
    expect((await store.applications.findById(app.id))!.signingKeyId).to.equal(undefined);
  });
});
