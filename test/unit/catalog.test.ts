import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { CatalogError, DEFAULT_CATALOG_DIR, loadCatalog, svgProblem } from '../../src/catalog/loader';
import { templateFields } from '../../src/catalog/schema';
import { renderTemplate, unreplaced } from '../../src/catalog/template';
import { acsUrlProblem } from '../../src/services/application-input';

describe('The application catalog (catalog/<id>/)', () => {
  const catalog = loadCatalog();

  it('loads every manifest through the schema: 30+ real apps, Custom SAML App and Bookmark', () => {
    expect(catalog.entries.length).to.be.at.least(33);
    for (const id of ['clickup', 'monday', 'quip', 'custom-saml', 'bookmark']) expect(catalog.get(id), id).to.not.equal(undefined);
    expect(catalog.entries.filter((e) => e.ssoType === 'saml' && e.id !== 'custom-saml')).to.have.length.at.least(30);
    // Custom SAML App and Bookmark close the list.
    expect(catalog.entries.slice(-2).map((e) => e.id).sort()).to.deep.equal(['bookmark', 'custom-saml']);
  });

  it('gives the placeholders the seeds name: YOUR_ID for ClickUp, YOUR_SUBDOMAIN for monday.com', () => {
    expect(catalog.get('monday')!.placeholders.map((p) => p.name)).to.deep.equal(['YOUR_SUBDOMAIN']);
    // ClickUp shows its SP values only in its UI: whole values to paste; YOUR_ID fills the SCIM
    // base URL, the one pattern a source gives (the JumpCloud guide).
    expect(catalog.get('clickup')!.placeholders.map((p) => p.name)).to.deep.equal(['YOUR_ID', 'YOUR_SP_ENTITY_ID', 'YOUR_ACS_URL']);
    expect(catalog.get('clickup')!.saml!.spEntityId).to.equal('YOUR_SP_ENTITY_ID');
    expect(catalog.get('clickup')!.scim!.baseUrlTemplate).to.equal('https://api.clickup.com/v2/scim/team/YOUR_ID');
    expect(catalog.get('monday')!.saml!.spEntityId).to.equal('https://YOUR_SUBDOMAIN.monday.com/saml/saml_callback');
  });

  for (const entry of loadCatalog().entries) {
    it(`${entry.id}: examples fit their patterns, rendered SAML URLs are usable, README and logo are sound`, () => {
      // Placeholders without an example are copied from the vendor's page: left unreplaced here.
      const examples = Object.fromEntries(entry.placeholders.filter((p) => p.example).map((p) => [p.name, p.example!]));
      for (const p of entry.placeholders.filter((x) => x.example)) {
        expect(new RegExp(p.pattern).test(p.example!), `${p.name} example ${p.example}`).to.equal(true);
      }
      for (const [where, template] of templateFields(entry)) {
        const rendered = renderTemplate(template, examples);
        if (where.startsWith('saml.acsUrls') && unreplaced([rendered]).length === 0) {
          expect(acsUrlProblem(rendered, false), `${where}: ${rendered}`).to.equal(undefined);
        }
      }
      for (const p of entry.placeholders) expect(entry.readme, `README names ${p.name}`).to.contain(p.name);
      expect(svgProblem(entry.logoSvg)).to.equal(undefined);
      // Every doubt that names fields names real ones.
      for (const u of entry.provenance.unverified) for (const f of u.fields) expect(f).to.match(/^(saml(\.\w+)?|scim(\.\w+)*)$/);
    });
  }

  it('finds entries by name, id, category or label, case-insensitively', () => {
    expect(catalog.search('MONDAY').map((e) => e.id)).to.deep.equal(['monday']);
    expect(catalog.search('bookmark').map((e) => e.id)).to.deep.equal(['bookmark']);
    expect(catalog.search('identity management').length).to.be.greaterThan(10);
    expect(catalog.search('').length).to.equal(catalog.entries.length);
  });

  describe('a bad entry stops loading, naming the file and the field', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-catalog-'));
      for (const id of ['custom-saml', 'bookmark', 'monday']) fs.cpSync(path.join(DEFAULT_CATALOG_DIR, id), path.join(dir, id), { recursive: true });
    });
    afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });
    const edit = (change: (m: Record<string, any>) => void) => {
      const file = path.join(dir, 'monday', 'manifest.json');
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
      change(manifest);
      fs.writeFileSync(file, JSON.stringify(manifest));
    };
    const failure = () => {
      try {
        loadCatalog(dir);
      } catch (error) {
        expect(error).to.be.instanceOf(CatalogError);
        return (error as Error).message;
      }
      return 'loaded';
    };

    it('an undeclared placeholder', () => {
      edit((m) => { m.saml.acsUrls = ['https://YOUR_TENANT.monday.com/acs']; });
      expect(failure()).to.equal('Invalid catalog entry monday/manifest.json: saml.acsUrls.0 uses YOUR_TENANT, which is not declared in placeholders');
    });
    it('a placeholder no template uses', () => {
      edit((m) => { m.placeholders.push({ name: 'YOUR_TEAM', label: 'Team', help: 'The team.', example: 'a', pattern: '^a$' }); });
      expect(failure()).to.equal('Invalid catalog entry monday/manifest.json: placeholders.1 declares YOUR_TEAM, which no template uses');
    });
    it('a wrong type', () => {
      edit((m) => { m.saml.signResponse = 'yes'; });
      expect(failure()).to.match(/^Invalid catalog entry monday\/manifest\.json: saml\.signResponse /);
    });
    it('an unknown field', () => {
      edit((m) => { m.extra = 1; });
      expect(failure()).to.match(/monday\/manifest\.json: .*extra/);
    });
    it('an id that is not the folder name', () => {
      edit((m) => { m.id = 'monday-com'; });
      expect(failure()).to.contain('monday/manifest.json: id must equal the folder name "monday"');
    });
    it('a logo with script', () => {
      fs.writeFileSync(path.join(dir, 'monday', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>');
      expect(failure()).to.equal('Invalid catalog entry monday/logo.svg: must not contain event handler attributes');
    });
    it('npm run catalog:check exits 1 with the same message', () => {
      edit((m) => { m.labels = ['SAML']; });
      const run = spawnSync(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, '../../src/catalog/check.ts'), dir], { encoding: 'utf8' });
      expect(run.status).to.equal(1);
      expect(run.stderr).to.contain('monday/manifest.json: labels must include "JIT"');
    });
  });

  it('renders every instance of a placeholder and names what is left', () => {
    expect(renderTemplate('https://YOUR_SUBDOMAIN.x/YOUR_SUBDOMAIN/YOUR_ID', { YOUR_SUBDOMAIN: 'acme' })).to.equal('https://acme.x/acme/YOUR_ID');
    expect(unreplaced(['https://acme.x/YOUR_ID', 'YOUR_ID YOUR_ORG'])).to.deep.equal(['YOUR_ID', 'YOUR_ORG']);
  });

  it('rejects SVG logos that could run or load anything', () => {
    for (const bad of ['<svg><script>alert(1)</script></svg>', '<svg><a href="javascript:x"></a></svg>', '<svg><image href="https://x/y.png"/></svg>',
      '<?xml version="1.0"?><!DOCTYPE svg><svg></svg>', '<svg style="background:url(https://x)"></svg>', '<html></html>']) {
      expect(svgProblem(bad), bad).to.be.a('string');
    }
  });
});
