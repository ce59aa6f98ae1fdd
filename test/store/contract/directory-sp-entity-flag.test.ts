import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import pg from 'pg';
import { openStore, type Store } from '../../../src/store';
import { freshPostgresUrl, postgresAvailable } from '../../helpers/postgres';
import { sampleApplication, sampleSsoSettings } from './fixtures';
import { refusal } from './refusal';

/**
 * sp_entity_shared_before (SQLite migration 11): apps that shared an SP entity ID before the rule
 * are flagged and stay out of the unique index until their ID changes. Only a migrated (or copied)
 * database holds flagged rows, and no repository method sets the flag, so each driver gets a second,
 * raw connection to flag one; the rest goes through the store.
 */
interface RawRig { store: Store; sql(text: string, params: unknown[]): Promise<Record<string, unknown>[]>; end(): Promise<void> }

const RIGS: { name: string; available: () => boolean; open: () => Promise<RawRig> }[] = [
  {
    name: 'SQLite', available: () => true,
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-flag-'));
      const file = path.join(dir, 'gatehouse.db');
      const store = await openStore(`sqlite:${file}`, { poolSize: 1 });
      const raw = new Database(file);
      return {
        store,
        async sql(text, params) {
          const statement = raw.prepare(text.replace(/\$\d+/g, '?'));
          return statement.reader ? statement.all(...params) as Record<string, unknown>[] : (statement.run(...params), []);
        },
        async end() { raw.close(); await store.close(); fs.rmSync(dir, { recursive: true, force: true }); },
      };
    },
  },
  {
    name: 'PostgreSQL', available: postgresAvailable,
    async open() {
      const url = await freshPostgresUrl();
      const store = await openStore(url, { poolSize: 4 });
      const raw = new pg.Client({ connectionString: url });
      await raw.connect();
      return {
        store,
        async sql(text, params) { return (await raw.query(text, params)).rows as Record<string, unknown>[]; },
        async end() { await raw.end(); await store.close(); },
      };
    },
  },
];

for (const rig of RIGS) {
  (rig.available() ? describe : describe.skip)(`Store contract: apps that shared an SP entity ID before the rule (${rig.name})`, function () {
    this.timeout(60_000);
    let r: RawRig;
    before(async () => { r = await rig.open(); });
    after(async () => { await r.end(); });
    const flagOf = async (id: string) => Boolean((await r.sql('SELECT sp_entity_shared_before AS f FROM applications WHERE id = $1', [id]))[0].f);

    it('keeps a flagged app saveable with its shared ID, refuses a third, and clears the flag once the ID changes', async () => {
      const shared = 'https://shared.example/sp';
      const older = sampleApplication({ sso: sampleSsoSettings({ spEntityId: shared }) });
      const newer = sampleApplication({ sso: sampleSsoSettings({ spEntityId: shared }) });
      await r.store.applications.create(older);
      await r.store.applications.create({ ...newer, sso: sampleSsoSettings({ spEntityId: 'https://placeholder.example/sp' }) });
      // As migration 11 leaves a database where two apps already shared the ID.
      await r.sql(`UPDATE applications SET sp_entity_id = $1, sso_json = $2, sp_entity_shared_before = ${rig.name === 'SQLite' ? 1 : 'true'} WHERE id = $3`,
        [shared, JSON.stringify(newer.sso), newer.id]);

      expect((await r.store.applications.findBySpEntityId(shared, newer.id))?.id).to.equal(older.id);
      await r.store.applications.update({ ...newer, displayLabel: 'Newer, renamed' });
      expect(await flagOf(newer.id)).to.equal(true);
      expect((await refusal(r.store.applications.create(sampleApplication({ sso: sampleSsoSettings({ spEntityId: shared }) })))).field)
        .to.equal('applications.sp_entity_id');

      const own = { ...newer, sso: { ...newer.sso!, spEntityId: 'https://own.example/sp' } };
      await r.store.applications.update(own);
      expect(await flagOf(newer.id)).to.equal(false);
      expect((await r.store.applications.findById(newer.id))!.sso!.spEntityId).to.equal('https://own.example/sp');
      // Back in the index like any other app: it cannot return to the shared ID.
      expect((await refusal(r.store.applications.update(newer))).field).to.equal('applications.sp_entity_id');
    });
  });
}
