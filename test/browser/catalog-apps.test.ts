import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ADMIN_PASSWORD, createGroup } from '../helpers/harness';
import { chromiumAvailable, startBrowserRig, type BrowserRig } from '../helpers/browser';

/**
 * The done-when, for the other seeded apps: through the portal alone an admin adds ClickUp,
 * Quip and a Custom SAML App, fills in what each needs, hands the SP its certificate or metadata,
 * authorizes a group and removes the app, and every step is an event.
 */
const CASES = [
  {
    id: 'clickup', label: 'ClickUp',
    placeholders: { YOUR_ID: '9012345678', YOUR_SP_ENTITY_ID: 'https://app.clickup.test/sp', YOUR_ACS_URL: 'https://app.clickup.test/acs' },
    spEntityId: 'https://app.clickup.test/sp', handOff: 'certificate',
  },
  {
    id: 'quip', label: 'Quip',
    placeholders: { YOUR_DOMAIN: 'acme', YOUR_SP_ENTITY_ID: 'https://acme.quip.test/saml', YOUR_ACS_URL: 'https://acme.quip.test/saml/acs' },
    spEntityId: 'https://acme.quip.test/saml', handOff: 'metadata',
  },
  { id: 'custom-saml', label: 'Custom SAML App', placeholders: {}, spEntityId: 'https://wiki.example/sp', handOff: 'sp-metadata' },
] as const;

(chromiumAvailable() ? describe : describe.skip)('Admin portal in Chromium: ClickUp, Quip and a Custom SAML App', function () {
  this.timeout(120_000);
  let rig: BrowserRig;
  before(async () => {
    rig = await startBrowserRig('catalog-apps');
    await rig.page.goto(`${rig.baseUrl}/login`);
    await rig.page.fill('#username', 'admin@gatehouse.local');
    await rig.page.fill('#password', ADMIN_PASSWORD);
    await rig.page.click('button[type=submit]');
    await rig.page.waitForURL(`${rig.baseUrl}/admin/applications`);
  });
  after(async () => { await rig?.close(); });

  for (const c of CASES) {
    it(`${c.label}: add, configure, hand off, authorize, remove`, async () => {
      const { page, baseUrl, h } = rig;
      const group = await createGroup(h, `${c.label} users`);
      await page.goto(`${baseUrl}/admin/applications/new?q=${encodeURIComponent(c.label)}`);
      await page.click(`a[href="/admin/applications/new/${c.id}"]`);
      await page.click('button:has-text("Save Application")');
      await page.click('text=Configure Application');
      await page.waitForURL(/tab=sso/);
      for (const [name, value] of Object.entries(c.placeholders)) await page.fill(`#ph_${name}`, value);
      if (c.handOff === 'sp-metadata') {
        // The SP's metadata file, chosen through the file picker, fills in the SP's values.
        const file = path.join(os.tmpdir(), `gatehouse-sp-${process.pid}.xml`);
        fs.writeFileSync(file, `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://wiki.example/sp"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://wiki.example/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>`);
        await page.setInputFiles('#metadata-file', file);
        await page.waitForFunction(() => (document.getElementById('metadata') as HTMLTextAreaElement).value.includes('EntityDescriptor'));
        await page.click('button:has-text("Use metadata")');
        fs.rmSync(file, { force: true });
      } else {
        await page.click('#sso-form button:has-text("Save")');
      }
      await page.waitForURL(/notice=saved/);
      expect(await page.inputValue('#spEntityId')).to.equal(c.spEntityId);
      await rig.shot(`${c.id}-configured`);

      if (c.handOff === 'certificate') {
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('aside a:has-text("Download certificate")')]);
        expect(download.suggestedFilename()).to.equal('certificate.pem');
        // ClickUp takes the certificate without the BEGIN/END lines.
        expect(await page.inputValue('#cert-body')).to.match(/^MII[A-Za-z0-9+/=]+$/);
      } else {
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('aside a:has-text("Export metadata")')]);
        expect(download.suggestedFilename()).to.match(/^Gatehouse-[a-z0-9-]+-metadata\.xml$/);
      }

      await page.click('summary:has-text("Actions")');
      await page.click('button:has-text("Activate SSO")');
      await page.waitForURL(/notice=activated/);
      await page.click('.tabs a:has-text("User Groups")');
      await page.check(`#groups-${group.id}`);
      await page.click('button:has-text("Save")');
      await page.waitForURL(/notice=saved/);
      const app = (await h.ctx.store.applications.list({ limit: 50, offset: 0 })).items.find((a) => a.catalogId === c.id)!;
      expect(app.ssoActive).to.equal(true);
      expect((await h.ctx.store.applications.listBoundGroups(app.id)).map((g) => g.name)).to.deep.equal([group.name]);

      await page.click('summary:has-text("Actions")');
      await page.click('button:has-text("Delete Application")');
      await page.fill('#count', '1');
      await page.click('button:has-text("Delete")');
      await page.waitForURL(/notice=deleted/);
      expect(await h.ctx.store.applications.findById(app.id)).to.equal(undefined);
      const types = (await h.ctx.store.events.list({ appId: app.id, limit: 50 })).map((e) => e.type);
      expect(types).to.include.members(['application_create', 'application_update', 'sso_activate', 'group_bind', 'application_delete']);
    });
  }
});
