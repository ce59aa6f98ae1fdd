import fs from 'node:fs';
import { expect } from 'chai';
import pg from 'pg';
import { HEALTH_CACHE_MS, openStore, type Store, type StoreHealth } from '../../../src/store';
import { forEachDriver } from './drivers';

/**
 * Store.health() (issue 11 #3): every driver answers ok while it can serve, says why not when
 * its database goes away (the SQLite file moved off its path; PostgreSQL refusing connections),
 * is ok again when it is back, and reports each change once however often it is asked. Its
 * answer is kept for HEALTH_CACHE_MS of the store's clock, which the test moves.
 */
forEachDriver('Store: health', (rig) => {
  let url: string;
  let store: Store;
  let now = 0;
  let changes: StoreHealth[];
  let goAway: () => Promise<void>;
  let comeBack: () => Promise<void>;
  const ask = async () => { now += HEALTH_CACHE_MS; return store.health(); };

  before(async () => {
    url = await rig.sharedUrl();
    changes = [];
    store = await openStore(url, { poolSize: 2, now: () => now, onHealthChange: (h) => changes.push(h) });
    if (rig.kind === 'sqlite') {
      const file = url.slice('sqlite:'.length);
      goAway = async () => fs.renameSync(file, `${file}.away`);
      comeBack = async () => fs.renameSync(`${file}.away`, file);
    } else {
      const server = new URL(url);
      const database = server.pathname.slice(1);
      const admin = async (sql: string, params: unknown[] = []) => {
        const client = new pg.Client({ host: server.hostname, port: Number(server.port), user: server.username, database: 'postgres' });
        await client.connect();
        try { await client.query(sql, params); } finally { await client.end(); }
      };
      goAway = async () => {
        await admin(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
        await admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
      };
      comeBack = () => admin(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
    }
  });
  after(async () => { await store.close(); });

  it('is ok while the database serves, and reports nothing', async () => {
    expect(await ask()).to.deep.equal({ ok: true });
    expect(await ask()).to.deep.equal({ ok: true });
    expect(changes).to.deep.equal([]);
  });

  it('says why not once the database is gone, reporting it once however often it is asked', async () => {
    await goAway();
    const answers = [await ask(), await ask(), await ask()];
    const code = rig.kind === 'sqlite' ? 'store.file_missing' : 'store.unreachable';
    for (const health of answers) {
      expect(health).to.include({ ok: false, code });
      expect((health as { reason: string }).reason).to.be.a('string').and.not.to.contain(url);
    }
    expect(changes.map((h) => (h.ok ? 'ok' : h.code))).to.deep.equal([code]);
  });

  it('is ok again once the database is back, and reports that once', async () => {
    await comeBack();
    expect(await ask()).to.deep.equal({ ok: true });
    expect(await ask()).to.deep.equal({ ok: true });
    expect(changes.map((h) => (h.ok ? 'ok' : h.code)).slice(-1)).to.deep.equal(['ok']);
    expect(changes).to.have.length(2);
  });
});
