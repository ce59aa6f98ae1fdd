import cluster from 'node:cluster';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createApp } from '../src/app';
import { createContext } from '../src/bootstrap';
import { benchConfig, seedJourney } from './fixtures';

/**
 * The benchmark's Gatehouse: a child process with a file-backed SQLite store (as in production)
 * or the PostgreSQL database in BENCH_DATABASE_URL, an authorized user and an app. It tells the
 * parent its port and slug over IPC. With BENCH_WORKERS=n it seeds the store, closes it and forks
 * n cluster workers on one port, as WORKERS=n does (src/cluster.ts).
 */
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const dir = process.env.BENCH_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
const config = benchConfig(dir);

/**
 * Where PostgreSQL costs time: count every query this process sends and the wall time until its
 * answer (node-postgres's Pool.query passes a callback, a checked-out client returns a promise).
 */
const queries = { count: 0, micros: 0, texts: {} as Record<string, number> };
const sendQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: unknown, ...args: unknown[]) {
  const start = process.hrtime.bigint();
  const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text ?? '?';
  const key = text.replace(/\s+/g, ' ').trim().slice(0, 70);
  queries.texts[key] = (queries.texts[key] ?? 0) + 1;
  const done = () => { queries.count++; queries.micros += Number(process.hrtime.bigint() - start) / 1000; };
  const last = args.length - 1;
  if (typeof args[last] === 'function') {
    const callback = args[last] as (...r: unknown[]) => unknown;
    args[last] = (...r: unknown[]) => { done(); return callback(...r); };
  }
  const result = sendQuery.apply(this, args) as Promise<unknown> | undefined;
  if (result && typeof result.then === 'function' && typeof args[last] !== 'function') result.then(done, done);
  return result;
};

const usage = () => {
  const { user, system } = process.cpuUsage();
  return { cpu: user + system, queries: queries.count, queryMicros: queries.micros, texts: { ...queries.texts }, rss: process.memoryUsage().rss };
};
type Usage = ReturnType<typeof usage>;

async function seed() {
  const ctx = await createContext(config, { print: () => undefined });
  // A store bench:scale filled beforehand already holds the journey (BENCH_SEEDED).
  const slug = process.env.BENCH_SEEDED ? 'bench' : await seedJourney(ctx);
  return { ctx, slug };
}

async function serve(port: number, ready: (port: number) => void) {
  const ctx = await createContext(config, { print: () => undefined });
  const server = createApp(ctx).listen(port, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
  return { close: () => { server.close(); return ctx.store.close(); } };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function primary() {
  const { ctx, slug } = await seed();
  const cleanup = () => { if (!process.env.BENCH_DIR) fs.rmSync(dir, { recursive: true, force: true }); };
  if (WORKERS <= 1) {
    await ctx.store.close();
    const server = await serve(0, (port) => process.send?.({ port, slug }));
    process.on('message', (m) => { if (m === 'cpu') process.send?.(usage()); });
    process.on('disconnect', () => { void server.close().then(cleanup); });
    return;
  }
  await ctx.store.close();
  const port = await freePort();
  cluster.setupPrimary({ execArgv: process.execArgv, silent: false });
  const workers = Array.from({ length: WORKERS }, () => cluster.fork({ BENCH_PORT: String(port), BENCH_DIR: dir, BENCH_SESSION_SECRET: config.sessionSecret, BENCH_KEK: config.keyEncryptionKey!.toString('hex') }));
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  process.send?.({ port, slug });
  // CPU and queries of the whole server: the primary (it accepts and hands out connections) plus
  // every worker.
  process.on('message', (m) => {
    if (m !== 'cpu') return;
    void Promise.all(workers.map((w) => new Promise<Usage>((resolve) => { w.once('message', (u) => resolve(u as Usage)); w.send('cpu'); })))
      .then((all) => process.send?.([usage(), ...all].reduce((a, b) => ({ cpu: a.cpu + b.cpu, queries: a.queries + b.queries, queryMicros: a.queryMicros + b.queryMicros, texts: a.texts, rss: a.rss + b.rss }))));
  });
  process.on('disconnect', () => {
    for (const w of workers) w.kill();
    cluster.once('exit', () => setTimeout(cleanup, 500));
  });
}

async function worker() {
  await serve(Number(process.env.BENCH_PORT), () => process.send?.('listening'));
  process.on('message', (m) => { if (m === 'cpu') process.send?.(usage()); });
}

void (cluster.isPrimary ? primary() : worker());
