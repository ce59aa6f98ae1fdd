import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { openStore } from '../../src/store';
import { freshPostgresUrl, postgresAvailable } from '../helpers/postgres';

/**
 * Issue 10 #4: WORKERS=2 runs the real entry (src/main.ts through tsx, no build) as a cluster
 * primary with two worker processes on one loopback port, on SQLite and on PostgreSQL.
 */
const ROOT = path.join(__dirname, '..', '..');

interface Running { child: ChildProcess; lines: string[]; exited: Promise<number | null>; port: number }

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function startGatehouse(databaseUrl: string, dir: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'development', WORKERS: '2', PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, GATEHOUSE_CERTS_DIR: dir, GATEHOUSE_ADMIN_PASSWORD: '', SESSION_SECRET: '', LOG_LEVEL: 'info' },
  });
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop()!;
      lines.push(...parts);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited, port };
}

const logs = (r: Running) => r.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
const listening = (r: Running) => logs(r).filter((l) => l.message === 'Gatehouse is listening');

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One request on a fresh connection (no keep-alive), so the primary hands each to a worker anew. */
function healthz(port: number): Promise<{ status: number; worker: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, worker: String(res.headers['x-gatehouse-worker']) }));
    }).on('error', reject);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const drivers: { name: string; available: () => boolean; url: (dir: string) => Promise<string> }[] = [
  { name: 'SQLite (WAL, one file)', available: () => true, url: async (dir) => `sqlite:${dir}/gatehouse.db` },
  { name: 'PostgreSQL', available: postgresAvailable, url: () => freshPostgresUrl() },
];

for (const driver of drivers) {
  (driver.available() ? describe : describe.skip)(`WORKERS=2 on ${driver.name}`, function () {
    this.timeout(90_000);
    let dir: string;
    let url: string;
    let gatehouse: Running;

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-workers-'));
      url = await driver.url(dir);
      gatehouse = await startGatehouse(url, dir);
      await until('two workers listening', () => listening(gatehouse).length >= 2, 60_000);
    });
    after(async () => {
      if (gatehouse.child.exitCode === null) gatehouse.child.kill('SIGKILL');
      for (const l of logs(gatehouse)) if (typeof l.pid === 'number' && alive(l.pid)) process.kill(l.pid, 'SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('the primary does the first start once: one signing key, one admin, the password printed once', async () => {
      expect(gatehouse.lines.filter((l) => l.includes('password:')), 'printed once').to.have.length(1);
      expect(logs(gatehouse).filter((l) => l.message === 'Generated the default signing key').map((l) => l.worker)).to.deep.equal(['primary']);
      const store = await openStore(url, { poolSize: 2 });
      try {
        expect((await store.signingKeys.list()).filter((k) => k.isDefault)).to.have.length(1);
        expect(await store.users.countAdmins()).to.equal(1);
      } finally {
        await store.close();
      }
    });

    it('serves /healthz from two worker processes sharing the port, each log line naming its worker', async () => {
      const answers = [];
      for (let i = 0; i < 8; i++) answers.push(await healthz(gatehouse.port));
      expect(answers.every((a) => a.status === 200)).to.equal(true);
      expect(new Set(answers.map((a) => a.worker)).size, 'two workers answered').to.equal(2);
      const pids = new Set(listening(gatehouse).map((l) => l.pid));
      expect(pids.size, 'two worker processes').to.equal(2);
      expect(pids.has(gatehouse.child.pid), 'the primary serves nothing itself').to.equal(false);
    });

    it('replaces a worker killed with kill -9, and keeps serving meanwhile', async () => {
      const victim = listening(gatehouse).find((l) => l.worker === 1)!;
      process.kill(victim.pid as number, 'SIGKILL');
      await until('the primary sees the exit', () => logs(gatehouse).some((l) => l.message === 'Worker exited; starting a replacement'));
      expect((await healthz(gatehouse.port)).worker, 'the other worker serves meanwhile').to.equal('2');
      await until('a replacement worker', () => listening(gatehouse).some((l) => l.worker === 3), 60_000);
      expect(logs(gatehouse).some((l) => l.message === 'Worker exited; starting a replacement' && l.exited === 1 && l.signal === 'SIGKILL')).to.equal(true);
      const answers = [];
      for (let i = 0; i < 8; i++) answers.push(await healthz(gatehouse.port));
      expect(new Set(answers.map((a) => a.worker))).to.deep.equal(new Set(['2', '3']));
    });

    it('SIGTERM to the primary stops every worker gracefully and leaves no process behind', async () => {
      const pids = [gatehouse.child.pid!, ...listening(gatehouse).map((l) => l.pid as number)];
      gatehouse.child.kill('SIGTERM');
      expect(await gatehouse.exited).to.equal(0);
      expect(logs(gatehouse).filter((l) => l.message === 'Stopping' && l.signal === 'SIGTERM').map((l) => l.worker).sort()).to.deep.equal([2, 3]);
      await until('every process gone', () => pids.every((pid) => !alive(pid)), 5_000);
    });
  });
}
