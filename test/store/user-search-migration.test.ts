import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import pg from 'pg';
import { createStore, openStore, type Store } from '../../src/store';
import { freshPostgresUrl, postgresAvailable } from '../helpers/postgres';
import { sampleUser } from './contract/fixtures';

/**
 * The user search index on a store that already has users: SQLite migration 17 and PostgreSQL
 * migration 5 index them as they run; and on SQLite an index gone stale (rows renumbered behind
 * its back) misses users but never shows the wrong one, until rebuildSearchIndex repairs it.
 */
const names = async (store: Store, q: string) => (await store.users.list({ limit: 10, q })).items.map((u) => u.username);

describe('Store: the user search index on a store with users already', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-search-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('SQLite migration 17 indexes the users that were there before it', async () => {
    const file = path.join(dir, 'm17.db');
    const first = createStore(`sqlite:${file}`);
    await first.users.create(sampleUser({ username: 'ann', displayName: 'Ann Archer' }), null);
    await first.close();
    const db = new Database(file);
    db.exec(`DROP TRIGGER users_search_insert; DROP TRIGGER users_search_delete; DROP TRIGGER users_search_update;
      DROP TABLE users_search; DROP INDEX applications_by_label; DELETE FROM schema_migrations WHERE version = 17;
      INSERT INTO users (id, username, email, display_name, created_at, updated_at) VALUES ('b', 'bob', 'bob@example.com', 'Bob Archer', 'x', 'x');`);
    db.close();
    const store = createStore(`sqlite:${file}`);
    expect(await names(store, 'archer')).to.deep.equal(['ann', 'bob']);
    await store.close();
  });

  it('SQLite: a stale index shows no wrong user, and a rebuild finds them again', async () => {
    const file = path.join(dir, 'stale.db');
    const store = createStore(`sqlite:${file}`);
    await store.users.create(sampleUser({ username: 'ann', displayName: 'Ann' }), null);
    await store.users.create(sampleUser({ username: 'bob', displayName: 'Bob' }), null);
    // What a careless table rebuild does: the rows get each other's rowids, the index is not told.
    const db = new Database(file);
    db.exec(`UPDATE users SET rowid = -rowid; UPDATE users SET rowid = CASE username WHEN 'ann' THEN 2 ELSE 1 END;`);
    db.close();
    expect(await names(store, 'ann')).to.deep.equal([]);
    expect(await names(store, 'bob')).to.deep.equal([]);
    await store.users.rebuildSearchIndex();
    expect(await names(store, 'ann')).to.deep.equal(['ann']);
    expect(await names(store, 'bob')).to.deep.equal(['bob']);
    await store.close();
  });

  (postgresAvailable() ? it : it.skip)('PostgreSQL migration 5 indexes the users that were there before it', async () => {
    const url = await freshPostgresUrl();
    const first = await openStore(url, { poolSize: 2 });
    await first.users.create(sampleUser({ username: 'ann', displayName: 'Ann Archer' }), null);
    await first.close();
    const client = new pg.Client(url);
    await client.connect();
    await client.query(`ALTER TABLE users DROP COLUMN search_words; DROP INDEX applications_by_label; DELETE FROM schema_migrations WHERE version = 5;
      INSERT INTO users (id, username, email, display_name, created_at, updated_at) VALUES ('b', 'bob', 'bob@example.com', 'Bob Archer', 'x', 'x');`);
    await client.end();
    const store = await openStore(url, { poolSize: 2 });
    expect(await names(store, 'archer')).to.deep.equal(['ann', 'bob']);
    await store.close();
  });
});
