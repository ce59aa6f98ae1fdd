import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createApp } from '../src/app';
import { createContext } from '../src/bootstrap';
import { loadConfig } from '../src/config';
import { EXPORT_PAGE_SIZE } from '../src/insights/export';
import { openStore } from '../src/store';

/**
 * `npx tsx bench/export.ts`: a full CSV export of BENCH_EXPORT_EVENTS (default 1,000,000) events
 * over HTTP (issue 11 #1; targets ≥ 100,000 events/s and < 50 MB RSS growth). Prints figures,
 * asserts nothing.
 *   1. The store is opened once through the store (so its migrations make the schema), then the
 *      events are inserted with straight SQL in big transactions: seeding is not what is measured.
 *   2. Gatehouse serves that file in a child process, as bench/run.ts starts its servers.
 *   3. `GET /api/v1/events/export?format=csv` is read to the end, twice (cold, then warm); the
 *      server's peak RSS is its VmHWM in /proc/<pid>/status, reset just before each export
 *      (clear_refs), against its RSS then; its CPU time comes from /proc/<pid>/stat.
 *   4. The store's reads alone (the same pages, nothing formatted or sent), for comparison.
 * BENCH_EXPORT_DIR=<dir> keeps the seeded file there for the next run.
 */
const EVENTS = Number(process.env.BENCH_EXPORT_EVENTS ?? 1_000_000);
const TOKEN = 'bench-export-token-0123456789abcdef0123456789';
const BATCH = 100_000;

function config(dir: string) {
  return loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', PUBLIC_URL: 'http://127.0.0.1', DATABASE_URL: `sqlite:${dir}/bench.db`,
    GATEHOUSE_CERTS_DIR: dir, GATEHOUSE_ADMIN_PASSWORD: 'bench admin password', GATEHOUSE_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'silent',
    SESSION_SECRET: process.env.BENCH_SESSION_SECRET!, GATEHOUSE_KEY_ENCRYPTION_KEY: process.env.BENCH_KEK!,
  });
}

/** Sign-ins spread over 30 days, one in ten failed: the shape of a real events table. */
async function seed(dir: string): Promise<void> {
  const store = await openStore(config(dir).databaseUrl, { poolSize: 1 });
  await store.close();
  const db = new Database(path.join(dir, 'bench.db'));
  db.pragma('journal_mode = WAL');
  const insert = db.prepare(`INSERT INTO events (time, type, outcome, reason, actor_type, actor_id, actor_label,
    target_type, target_id, target_label, app_id, client_ip, detail_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const start = Date.now() - 30 * 86_400_000;
  const step = (30 * 86_400_000) / EVENTS;
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const failed = i % 10 === 0;
      const user = `u${(i * 7919) % 100_000}`;
      insert.run(new Date(start + i * step).toISOString(), 'sso_auth', failed ? 'failure' : 'success', failed ? 'sso.not_authorized' : null,
        'user', user, `${user}@example.com`, 'application', `app${i % 1000}`, `App ${i % 1000}`, `app${i % 1000}`,
        `198.51.100.${i % 250}`, JSON.stringify({ flow: i % 3 ? 'sp' : 'idp', nameId: `${user}@example.com` }));
    }
  });
  for (let from = 0; from < EVENTS; from += BATCH) batch(from, Math.min(EVENTS, from + BATCH));
  db.close();
}

async function serve(dir: string): Promise<void> {
  const ctx = await createContext(config(dir), { print: () => undefined });
  const server = createApp(ctx).listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('disconnect', () => { server.close(); void ctx.store.close(); });
}

/** RSS, its peak, and its anonymous (heap) and file-backed parts, in bytes (proc(5)). */
function memory(pid: number) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') };
}

/** CPU seconds (user + system) the process has used: utime and stime of /proc/<pid>/stat, in clock ticks. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Read the export to its end; count rows (lines after the header) without keeping the body. */
function download(port: number): Promise<{ rows: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/api/v1/events/export?format=csv', headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`export answered ${res.statusCode}`));
      let lines = 0;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      });
      res.on('end', () => (res.complete ? resolve({ rows: lines - 1, bytes }) : reject(new Error('export cut off'))));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function main(): Promise<void> {
  // BENCH_EXPORT_DIR keeps the seeded file for the next run (seeding takes longer than the export).
  const keep = process.env.BENCH_EXPORT_DIR;
  const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-export-bench-'));
  fs.mkdirSync(dir, { recursive: true });
  const seeded = fs.existsSync(path.join(dir, 'bench.db'));
  // The key-encryption key stays with a kept file: it seals the signing keys stored in it.
  const kekFile = path.join(dir, 'kek');
  if (!fs.existsSync(kekFile)) fs.writeFileSync(kekFile, crypto.randomBytes(32).toString('hex'), { mode: 0o600 });
  const env = { ...process.env, BENCH_SESSION_SECRET: crypto.randomBytes(32).toString('hex'), BENCH_KEK: fs.readFileSync(kekFile, 'utf8') };
  Object.assign(process.env, env);
  try {
    let t = Date.now();
    if (!seeded) await seed(dir);
    console.log(`${seeded ? 'reused' : 'seeded'} ${EVENTS.toLocaleString('en')} events in ${((Date.now() - t) / 1000).toFixed(1)} s (${(fs.statSync(path.join(dir, 'bench.db')).size / 2 ** 20).toFixed(0)} MB)`);

    const child = fork(__filename, [], { env: { ...env, BENCH_EXPORT_SERVE: dir }, execArgv: ['--require', 'tsx/cjs'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const { port } = await new Promise<{ port: number }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { port: number }));
      child.once('exit', (code) => reject(new Error(`export bench server exited with ${code}`)));
    });
    const pid = child.pid!;
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    // Cold: the first export after start. Warm: the same again, as on a server that has been
    // working (V8 has grown its young generation to its usual size by then).
    for (const round of ['cold', 'warm']) {
      const before = memory(pid);
      // Writing 5 to clear_refs resets the peak (VmHWM) to the current RSS (proc(5)).
      let reset = true;
      try { fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); } catch { reset = false; }
      // Sampled as well as the peak, to tell heap (anonymous) growth from SQLite's file pages.
      const peak = { anon: before.anon, file: before.file };
      const sampler = setInterval(() => {
        const m = memory(pid);
        peak.anon = Math.max(peak.anon, m.anon);
        peak.file = Math.max(peak.file, m.file);
      }, 50);
      const cpuBefore = cpuSeconds(pid);
      t = Date.now();
      const { rows, bytes } = await download(port);
      const seconds = (Date.now() - t) / 1000;
      const cpu = cpuSeconds(pid) - cpuBefore;
      clearInterval(sampler);
      const after = memory(pid);
      console.log(`CSV export over HTTP (${round}): ${rows.toLocaleString('en')} rows, ${mb(bytes)} MB in ${seconds.toFixed(2)} s`);
      console.log(`  ${Math.round(rows / seconds).toLocaleString('en')} events/s (target ≥ 100,000); server CPU ${cpu.toFixed(2)} s: ${Math.round(rows / cpu).toLocaleString('en')} events per server CPU-second`);
      console.log(`  server RSS ${mb(before.rss)} MB before, peak ${mb(after.hwm)} MB${reset ? '' : ' (VmHWM not reset: peak since start)'}: growth ${mb(after.hwm - before.rss)} MB (target < 50 MB)`);
      console.log(`  of which heap (RssAnon) +${mb(peak.anon - before.anon)} MB, file pages (RssFile) +${mb(peak.file - before.file)} MB (sampled every 50 ms)`);
    }
    child.disconnect();

    // What the store alone costs: the same pages read in this process, nothing formatted or sent.
    const store = await openStore(config(dir).databaseUrl, { poolSize: 1 });
    const cpuBefore = process.cpuUsage();
    let read = 0;
    for (let before = Number.MAX_SAFE_INTEGER; ;) {
      const page = await store.events.list({ before, limit: EXPORT_PAGE_SIZE });
      read += page.length;
      if (page.length < EXPORT_PAGE_SIZE) break;
      before = page[page.length - 1].id;
    }
    const { user, system } = process.cpuUsage(cpuBefore);
    await store.close();
    console.log(`store.events.list alone, pages of ${EXPORT_PAGE_SIZE}: ${Math.round(read / ((user + system) / 1e6)).toLocaleString('en')} events per CPU-second`);
  } finally {
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.env.BENCH_EXPORT_SERVE) void serve(process.env.BENCH_EXPORT_SERVE);
else void main().catch((error) => { console.error(error); process.exitCode = 1; });
