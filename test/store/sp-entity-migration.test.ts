import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { createStore, StoreConstraintError, type Application } from '../../src/store';

/**
 * Migration 11 (one application per SP entity ID) on a database that already has two apps sharing
 * one: start-up must not fail, the older app keeps the ID in the unique index, the newer one is
 * flagged and can still be saved, and leaves the flag once it takes an ID of its own.
 */
describe('Store: migration 11 with apps that already share an SP entity ID', () => {
  const app = (id: string, createdAt: string, spEntityId = 'https://shared.example/sp'): Application => ({
    id, catalogId: 'custom-saml', slug: id, displayLabel: id, description: '', showInPortal: true, ssoActive: true,
    signingKeyId: undefined, placeholders: {}, portal: { image: 'logo', color: '#57606a' }, bookmarkUrl: null, attributes: [],
    sso: {
      idpEntityId: `https://idp.example/${id}`, spEntityId, acsEndpoints: [{ url: 'https://shared.example/acs', index: 0, isDefault: true }],
      loginUrl: '', nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', nameIdSource: 'email', signAssertion: true,
      signResponse: false, signatureAlgorithm: 'rsa-sha256', defaultRelayState: '', spCertificatePem: null, requireSignedRequests: false,
    },
    createdAt, updatedAt: createdAt,
  });

  it('keeps both, indexes the older one, and lets the newer one be saved and then move to an ID of its own', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-m11-'));
    const file = path.join(dir, 'gatehouse.db');
    try {
      const first = createStore(`sqlite:${file}`);
      await first.applications.create(app('older', '2026-01-01T00:00:00.000Z'));
      await first.close();
      // Back to the schema before migration 11, with a second app holding the same entity ID.
      const db = new Database(file);
      db.exec(`DROP INDEX applications_sp_entity_id_unique; DROP INDEX applications_sp_entity_id;
        ALTER TABLE applications DROP COLUMN sp_entity_shared_before; DELETE FROM schema_migrations WHERE version = 11;
        INSERT INTO applications SELECT 'newer', catalog_id, 'newer', 'newer', description, show_in_portal, sso_active, signing_key_id,
          sp_entity_id, sso_json, attributes_json, '2026-02-01T00:00:00.000Z', updated_at, placeholders_json, portal_json, bookmark_url
          FROM applications WHERE id = 'older';`);
      db.close();

      const store = createStore(`sqlite:${file}`);
      expect((await store.applications.findById('newer'))!.sso!.spEntityId).to.equal('https://shared.example/sp');
      expect((await store.applications.findBySpEntityId('https://shared.example/sp', 'newer'))!.id).to.equal('older');
      // The flagged app can still be saved with its shared ID (a label change, say).
      await store.applications.update({ ...(await store.applications.findById('newer'))!, displayLabel: 'Newer, renamed' });
      // A third one cannot join them.
      const third = await store.applications.create(app('third', '2026-03-01T00:00:00.000Z')).catch((e: unknown) => e);
      expect(third).to.be.instanceOf(StoreConstraintError);
      // Once the newer app has an ID of its own, it is in the index like any other.
      const newer = (await store.applications.findById('newer'))!;
      await store.applications.update({ ...newer, sso: { ...newer.sso!, spEntityId: 'https://newer.example/sp' } });
      const back = await store.applications.update({ ...newer, sso: { ...newer.sso!, spEntityId: 'https://shared.example/sp' } }).catch((e: unknown) => e);
      expect(back).to.be.instanceOf(StoreConstraintError);
      await store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
