import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { createContext } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { StoreMissingError } from '../../src/store-marker';
import { ADMIN_PASSWORD, PUBLIC_URL } from '../helpers/harness';
import { freshPostgresUrl, postgresAvailable } from '../helpers/postgres';

/**
 * Issue 11 #3, the start-up half, in process (test/cluster/store-marker.test.ts runs the real
 * entry): a store the marker records is never silently replaced by a new, empty one.
 */
describe('Start-up with the store marker', function () {
  this.timeout(60_000);
  let dir: string;
  let logs: Record<string, unknown>[];
  const markerFile = () => path.join(dir, 'certs', 'stores.json');
  const recorded = () => Object.values((JSON.parse(fs.readFileSync(markerFile(), 'utf8')) as { stores: Record<string, { id: string }> }).stores);
  const warnings = () => logs.filter((l) => l.level === 'warn').map((l) => String(l.message));

  async function start(databaseUrl: string, env: Record<string, string> = {}) {
    const config = loadConfig({
      NODE_ENV: 'test', PUBLIC_URL, DATABASE_URL: databaseUrl, GATEHOUSE_CERTS_DIR: path.join(dir, 'certs'),
      GATEHOUSE_ADMIN_PASSWORD: ADMIN_PASSWORD, GATEHOUSE_KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'),
      SESSION_SECRET: crypto.randomBytes(32).toString('hex'), ...env,
    });
    const ctx = await createContext(config, { log: createLogger('debug', (l) => logs.push(JSON.parse(l) as Record<string, unknown>)), print: () => undefined });
    await ctx.store.close();
  }
  const refusal = (databaseUrl: string, env?: Record<string, string>) => start(databaseUrl, env).then(() => undefined, (error: unknown) => error);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-marker-'));
    logs = [];
  });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('refuses an empty file at a recorded SQLite path, and GATEHOUSE_INIT=true starts a new store there', async () => {
    const file = path.join(dir, 'data', 'gatehouse.db');
    await start(`sqlite:${file}`);
    const [first] = recorded();
    fs.rmSync(path.dirname(file), { recursive: true });
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, '');

    const error = await refusal(`sqlite:${file}`);
    expect(error).to.be.instanceOf(StoreMissingError);
    expect((error as Error).message).to.contain(`The store at ${file} was initialised on`).and.to.contain('is empty').and.to.contain('--init');

    await start(`sqlite:${file}`, { GATEHOUSE_INIT: 'true' });
    expect(recorded()).to.have.length(1);
    expect(recorded()[0].id).not.to.equal(first.id);
  });

  it('starts a store restored from its backup without a word (same store id)', async () => {
    const file = path.join(dir, 'data', 'gatehouse.db');
    await start(`sqlite:${file}`);
    fs.copyFileSync(file, path.join(dir, 'backup.db'));
    fs.rmSync(path.dirname(file), { recursive: true });
    fs.mkdirSync(path.dirname(file));
    fs.copyFileSync(path.join(dir, 'backup.db'), file);
    logs = [];
    await start(`sqlite:${file}`);
    expect(warnings()).to.deep.equal([]);
  });

  it('starts another installation\'s store at a recorded path with a warning, and records it instead', async () => {
    const file = path.join(dir, 'data', 'gatehouse.db');
    const elsewhere = path.join(dir, 'elsewhere', 'gatehouse.db');
    await start(`sqlite:${file}`);
    await start(`sqlite:${elsewhere}`, { GATEHOUSE_CERTS_DIR: path.join(dir, 'other-certs') });
    fs.copyFileSync(elsewhere, file);
    logs = [];
    await start(`sqlite:${file}`);
    expect(warnings().some((w) => w.startsWith('The store at this location is not the one recorded here'))).to.equal(true);
    const other = JSON.parse(fs.readFileSync(path.join(dir, 'other-certs', 'stores.json'), 'utf8')) as { stores: Record<string, { id: string }> };
    expect(recorded().map((r) => r.id), 'the copy is recorded under its own id').to.deep.equal([other.stores[`sqlite:${elsewhere}`].id]);
  });

  it('warns when GATEHOUSE_INIT is left set on a store that exists, and uses that store', async () => {
    const url = `sqlite:${path.join(dir, 'data', 'gatehouse.db')}`;
    await start(url);
    const [first] = recorded();
    await start(url, { GATEHOUSE_INIT: '1' });
    expect(warnings().some((w) => w.startsWith('GATEHOUSE_INIT (--init) is set, but the store exists'))).to.equal(true);
    expect(recorded()[0].id).to.equal(first.id);
  });

  it('records nothing for a throwaway in-memory store', async () => {
    await start('sqlite::memory:');
    await start('sqlite::memory:');
    expect(fs.existsSync(markerFile())).to.equal(false);
  });

  it('stops on a marker it cannot read, naming the file', async () => {
    fs.mkdirSync(path.dirname(markerFile()));
    fs.writeFileSync(markerFile(), 'not json');
    const error = await refusal(`sqlite:${path.join(dir, 'data', 'gatehouse.db')}`);
    expect((error as Error).message).to.contain(`The store marker ${markerFile()} cannot be read`);
  });

  (postgresAvailable() ? it : it.skip)('refuses a recorded PostgreSQL database that is now empty (dropped and recreated), unless GATEHOUSE_INIT', async () => {
    const url = await freshPostgresUrl();
    await start(url);
    const server = new URL(url);
    const client = new pg.Client({ host: server.hostname, port: Number(server.port), user: server.username, database: server.pathname.slice(1) });
    await client.connect();
    try {
      await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    } finally {
      await client.end();
    }
    const error = await refusal(url);
    expect(error).to.be.instanceOf(StoreMissingError);
    expect((error as Error).message).to.contain(`The store at postgres://${server.hostname}:${server.port}${server.pathname} was initialised on`)
      .and.to.contain('is empty').and.not.to.contain(`${server.username}@`);
    await start(url, { GATEHOUSE_INIT: 'true' });
    await start(url);
  });
});
