import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';

/**
 * Issue 11 #3: start-up refuses to begin a new, empty store where one existed. The real entry
 * (src/main.ts through tsx) runs in an empty directory with no DATABASE_URL or
 * GATEHOUSE_CERTS_DIR, as `npm start` does on a fresh clone: ./data/gatehouse.db and
 * ./certs/stores.json are the defaults.
 */
const ROOT = path.join(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'main.ts');
// By URL: the working directory is the empty one, where `--import tsx` would not resolve.
const TSX = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;

interface Run { code: number | null; out: string; err: string }

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Start Gatehouse in `cwd`; once it listens (or exits by itself) stop it with SIGTERM. */
async function run(cwd: string, args: string[] = [], extraEnv: Record<string, string> = {}): Promise<Run> {
  const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'development', PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...extraEnv };
  for (const name of ['DATABASE_URL', 'GATEHOUSE_CERTS_DIR', 'GATEHOUSE_INIT', 'GATEHOUSE_ADMIN_PASSWORD', 'SESSION_SECRET', 'WORKERS', 'GATEHOUSE_KEY_ENCRYPTION_KEY']) {
    if (!(name in extraEnv)) delete env[name];
  }
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('"Gatehouse is listening"')) child.kill('SIGTERM');
  });
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, out, err };
}

const logLines = (r: Run) => r.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
const listened = (r: Run) => logLines(r).some((l) => l.message === 'Gatehouse is listening');
const printedPassword = (r: Run) => r.out.includes('password:');

describe('Start-up and a store that vanished (the store marker)', function () {
  this.timeout(120_000);
  let cwd: string;
  const db = () => path.join(cwd, 'data', 'gatehouse.db');
  const marker = () => JSON.parse(fs.readFileSync(path.join(cwd, 'certs', 'stores.json'), 'utf8')) as { stores: Record<string, { id: string; kind: string; initializedAt: string }> };
  const entry = () => marker().stores[`sqlite:${db()}`];

  before(() => { cwd = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-fresh-clone-'))); });
  after(() => { fs.rmSync(cwd, { recursive: true, force: true }); });

  it('the very first start needs no flag: it creates ./data/gatehouse.db and the admin, and records the store in ./certs/stores.json', async () => {
    const first = await run(cwd);
    expect(first.code, first.err).to.equal(0);
    expect(listened(first)).to.equal(true);
    expect(printedPassword(first), 'the first admin password is printed').to.equal(true);
    expect(fs.existsSync(db())).to.equal(true);
    expect(entry()).to.include({ kind: 'sqlite' });
    expect(entry().id).to.match(/^[0-9a-f-]{36}$/);
  });

  it('a later start of the same store says nothing and leaves the marker as it was', async () => {
    const before = entry();
    const again = await run(cwd);
    expect(again.code, again.err).to.equal(0);
    expect(printedPassword(again)).to.equal(false);
    expect(entry()).to.deep.equal(before);
  });

  it('after the data directory is deleted, start-up refuses with what to do, exits non-zero and creates nothing', async () => {
    const recorded = entry();
    fs.rmSync(path.join(cwd, 'data'), { recursive: true });
    const refused = await run(cwd);
    expect(refused.code).to.equal(1);
    expect(listened(refused)).to.equal(false);
    expect(refused.err).to.contain(`The store at ${db()} was initialised on ${recorded.initializedAt}`)
      .and.to.contain('is missing, with its directory')
      .and.to.contain('Restore it from backup')
      .and.to.contain('start with --init');
    expect(fs.existsSync(path.join(cwd, 'data')), 'no new empty store, no directory').to.equal(false);
  });

  it('with --init it creates a new, empty store with a new admin, records it, and warns that it replaced one', async () => {
    const old = entry();
    const init = await run(cwd, ['--init']);
    expect(init.code, init.err).to.equal(0);
    expect(listened(init)).to.equal(true);
    expect(printedPassword(init)).to.equal(true);
    expect(logLines(init).some((l) => l.level === 'warn' && String(l.message).startsWith('Creating a new, empty store'))).to.equal(true);
    expect(entry().id).not.to.equal(old.id);
  });

  it('--init is for one start: the next start without it opens that store (no new admin)', async () => {
    const next = await run(cwd);
    expect(next.code, next.err).to.equal(0);
    expect(printedPassword(next)).to.equal(false);
  });

  it('refuses an argument it does not know, naming the one it knows', async () => {
    const typo = await run(cwd, ['--inti']);
    expect(typo.code).to.equal(1);
    expect(typo.err).to.contain('unknown argument "--inti"; the only one is --init');
  });
});
