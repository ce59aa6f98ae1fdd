import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { createStore, HEALTH_CACHE_MS, StoreUnavailableError, type NewEvent, type StoreHealth } from '../../src/store';

describe('Store: the SQLite file', () => {
  it('is readable by its owner only, with its WAL files, even when it existed with a loose mode', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-store-'));
    const file = path.join(dir, 'nested', 'gatehouse.db');
    try {
      const store = createStore(`sqlite:${file}`);
      await store.settings.setIfAbsent('k', 'v');
      await store.close();
      expect(fs.statSync(path.dirname(file)).mode & 0o777).to.equal(0o700);
      fs.chmodSync(file, 0o644);
      const reopened = createStore(`sqlite:${file}`);
      await reopened.settings.setIfAbsent('k2', 'v2');
      for (const f of [file, `${file}-wal`, `${file}-shm`]) {
        expect(fs.statSync(f).mode & 0o777, f).to.equal(0o600);
      }
      expect(await reopened.settings.get('k')).to.equal('v');
      await reopened.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to open a database that recorded a schema version this Gatehouse does not know', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-store-'));
    const file = path.join(dir, 'gatehouse.db');
    try {
      await createStore(`sqlite:${file}`).close();
      const db = new Database(file);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from the future', '2030-01-01T00:00:00Z')").run();
      db.close();
      expect(() => createStore(`sqlite:${file}`)).to.throw(/version 9999, which this Gatehouse .* does not know/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Store: the SQLite file moved away under an open store', () => {
  it('refuses writes outside a unit of work too (they would land in a file no start opens), answers reads, and writes again once it is back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-store-'));
    const file = path.join(dir, 'gatehouse.db');
    let now = 0;
    const changes: StoreHealth[] = [];
    const store = createStore(`sqlite:${file}`, { now: () => now, onHealthChange: (h) => changes.push(h) });
    try {
      await store.settings.set('k', 'before');
      fs.renameSync(file, `${file}.away`);
      now += HEALTH_CACHE_MS;
      let refused: unknown;
      await store.settings.set('k', 'while away').catch((error: unknown) => { refused = error; });
      expect(refused).to.be.instanceOf(StoreUnavailableError);
      expect((refused as Error).message).to.contain(`${file} no longer exists`);
      expect(await store.settings.get('k'), 'reads answer from the open file').to.equal('before');
      expect(await store.events.append(event()).catch((error: unknown) => error)).to.be.instanceOf(StoreUnavailableError);

      fs.renameSync(`${file}.away`, file);
      now += HEALTH_CACHE_MS;
      await store.settings.set('k', 'after');
      expect(await store.settings.get('k')).to.equal('after');
      expect(changes.map((h) => (h.ok ? 'ok' : h.code))).to.deep.equal(['store.file_missing', 'ok']);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function event(): NewEvent {
  return {
    time: new Date().toISOString(), type: 'user_create', outcome: 'success', reason: null, actorType: 'system', actorId: null,
    actorLabel: 'system', targetType: 'user', targetId: null, targetLabel: 'x', appId: null, clientIp: null, detail: {},
  };
}
