import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL for the tests: Debian's server binaries, initdb into a temp directory,
 * a loopback port, stopped and removed when mocha ends (mochaGlobalTeardown, this file is a
 * required module in .mocharc.json). Started on first use only. With CI set, PostgreSQL is
 * required: a missing server fails the run instead of skipping the PostgreSQL half.
 */
function serverBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], 'bin') : undefined;
}

export function postgresAvailable(): boolean {
  if (serverBinDir()) return true;
  if (process.env.CI) throw new Error('PostgreSQL server binaries are required in CI (.ci/run installs Debian\'s postgresql)');
  return false;
}

interface Cluster { dir: string; port: number; bin: string; asPostgres: boolean }
let cluster: Promise<Cluster> | undefined;
let counter = 0;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** initdb refuses to run as root: as root, the cluster belongs to Debian's `postgres` user. */
function runAs(asPostgres: boolean, bin: string, args: string[]): void {
  const [command, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  execFileSync(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function startCluster(): Promise<Cluster> {
  const bin = serverBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries are not installed');
  const asPostgres = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-pg-'));
  if (asPostgres) execFileSync('chown', ['postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  runAs(asPostgres, path.join(bin, 'initdb'), ['-D', data, '-U', 'gatehouse', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  runAs(asPostgres, path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-w', 'start',
    '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200`]);
  return { dir, port, bin, asPostgres };
}

/** A new, empty database on the throwaway server; each suite gets its own. */
export async function freshPostgresUrl(): Promise<string> {
  cluster ??= startCluster();
  const { port } = await cluster;
  const name = `gatehouse_test_${process.pid}_${++counter}`;
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'gatehouse', database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return `postgres://gatehouse@127.0.0.1:${port}/${name}`;
}

export async function mochaGlobalTeardown(): Promise<void> {
  if (!cluster) return;
  const { dir, bin, asPostgres } = await cluster;
  const [command, argv] = asPostgres
    ? ['runuser', ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), '-D', path.join(dir, 'data'), '-m', 'immediate', 'stop']]
    : [path.join(bin, 'pg_ctl'), ['-D', path.join(dir, 'data'), '-m', 'immediate', 'stop']];
  spawnSync(command, argv, { stdio: 'ignore' });
  fs.rmSync(dir, { recursive: true, force: true });
}
