import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createContext } from '../src/bootstrap';
import { benchConfig, seedJourney } from './fixtures';
import { seedPostgres, seedSqlite, type ScaleSize } from './scale-seed';
import { freshPostgresUrl, mochaGlobalTeardown as stopPostgres, postgresAvailable } from '../test/helpers/postgres';

/**
 * `npm run bench:scale [-- --users N --groups N --apps N --events N --driver sqlite|postgres|both --samples N]`
 * (issue 11 #5): fills a store of the given size (default 100k users, 5k groups, 1k apps, 2M
 * events), starts the benchmark server on it (bench/server.ts, a child process) and prints
 * p50/p95/p99 of sequential requests for sign-in, console, launch, each Directory Insights query,
 * user search and the insights page; a full 30-day CSV export (rows/s, server RSS growth); and the
 * launch p99 while an insights-30d page loop and that export run beside it, against its idle p99.
 * Figures only, nothing asserted.
 */
const { values: flags } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' }, groups: { type: 'string', default: '5000' }, apps: { type: 'string', default: '1000' },
    events: { type: 'string', default: '2000000' }, driver: { type: 'string', default: 'both' }, samples: { type: 'string', default: '40' },
  },
});
const size: ScaleSize = { users: Number(flags.users), groups: Number(flags.groups), apps: Number(flags.apps), events: Number(flags.events) };
const SAMPLES = Number(flags.samples);
const TOKEN = crypto.randomBytes(24).toString('hex');

interface Server { base: string; child: ChildProcess; rss(): Promise<number> }

/** Prepare a store at `url`: first start (key, admin), the launch journey, then the bulk rows. */
async function prepare(dir: string, url: string): Promise<void> {
  process.env.BENCH_DATABASE_URL = url;
  const ctx = await createContext(benchConfig(dir), { print: () => undefined });
  await seedJourney(ctx);
  const template = (await ctx.store.applications.findBySlug('bench'))!.id;
  await ctx.store.close();
  const started = Date.now();
  if (url.startsWith('sqlite:')) seedSqlite(url.slice('sqlite:'.length), size, template);
  else await seedPostgres(url, size, template);
  console.log(`  seeded ${size.users} users, ${size.groups} groups, ${size.apps} apps, ${size.events} events in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  // Derived data (roll-ups, search indexes) as after a restore: the store's own rebuild.
  const store = (await createContext(benchConfig(dir), { print: () => undefined })).store;
  const at = Date.now();
  await store.events.rebuildDerived(() => undefined);
  await store.users.rebuildSearchIndex();
  console.log(`  rebuilt derived data (event roll-ups, user search index) in ${((Date.now() - at) / 1000).toFixed(0)} s`);
  await store.close();
}

async function start(dir: string): Promise<Server> {
  const child = fork(path.join(__dirname, 'server.ts'), [], { env: { ...process.env, BENCH_SEEDED: '1' }, execArgv: ['--require', 'tsx/cjs'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise<{ port: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { port: number }));
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return {
    base: `http://127.0.0.1:${port}`, child,
    rss: () => new Promise((resolve) => { child.once('message', (m) => resolve((m as { rss: number }).rss)); child.send('cpu'); }),
  };
}

/** Sign in through the form; every cookie it sets (the session, and the admin's Strict cookie). */
async function signIn(base: string, username: string, password: string): Promise<string> {
  const page = await fetch(`${base}/login`);
  const jar = page.headers.getSetCookie().map((c) => c.split(';')[0]);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
  const res = await fetch(`${base}/login`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.join('; ') },
    body: new URLSearchParams({ _csrf: csrf, username, password }),
  });
  if (res.status !== 303) throw new Error(`sign-in as ${username} failed: ${res.status}`);
  return [...jar, ...res.headers.getSetCookie().map((c) => c.split(';')[0])].join('; ');
}

/** Milliseconds of each of `n` sequential runs after two warm-ups. */
async function timings(n: number, run: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 2; i++) await run();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const at = process.hrtime.bigint();
    await run();
    out.push(Number(process.hrtime.bigint() - at) / 1e6);
  }
  return out;
}

const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];
const row = (label: string, ms: number[]) =>
  console.log(`  ${label.padEnd(44)} p50 ${pct(ms, 0.5).toFixed(1).padStart(8)}  p95 ${pct(ms, 0.95).toFixed(1).padStart(8)}  p99 ${pct(ms, 0.99).toFixed(1).padStart(8)} ms`);

async function get(url: string, headers: Record<string, string>, expect = 200): Promise<string> {
  const res = await fetch(url, { headers, redirect: 'manual' });
  const body = await res.text();
  if (res.status !== expect) throw new Error(`${url}: ${res.status} ${body.slice(0, 200)}`);
  return body;
}

/** Stream a whole export, counting rows; the server's RSS sampled every 100 ms meanwhile. */
async function exportAll(server: Server, admin: string): Promise<{ rows: number; seconds: number; rssGrowth: number }> {
  const before = await server.rss();
  let peak = before;
  const sampler = setInterval(() => { void server.rss().then((r) => { peak = Math.max(peak, r); }); }, 100);
  const at = Date.now();
  const res = await fetch(`${server.base}/admin/insights/export.csv?range=30d`, { headers: { cookie: admin } });
  let rows = -1; // the header line
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) for (const byte of chunk) if (byte === 10) rows++;
  clearInterval(sampler);
  return { rows, seconds: (Date.now() - at) / 1000, rssGrowth: peak - before };
}

async function measure(name: string, server: Server): Promise<void> {
  const { base } = server;
  const user = await signIn(base, 'bench', 'bench user password');
  const admin = await signIn(base, 'admin@gatehouse.local', 'bench admin password');
  const api = { authorization: `Bearer ${TOKEN}`, accept: 'application/json' };
  const now = Date.now();
  const since = (ms: number) => new Date(now - ms).toISOString();
  console.log(`\n${name}: ${size.users} users, ${size.groups} groups, ${size.apps} apps, ${size.events} events; ${SAMPLES} sequential requests each`);
  row('sign-in (POST /login)', await timings(Math.min(SAMPLES, 20), () => signIn(base, 'bench', 'bench user password')));
  row('console (GET /)', await timings(SAMPLES, () => get(`${base}/`, { cookie: user })));
  const idleLaunch = await timings(SAMPLES * 5, () => get(`${base}/saml2/bench`, { cookie: user }));
  row('launch (GET /saml2/bench)', idleLaunch);
  const events = (query: string) => () => get(`${base}/api/v1/events?limit=50&${query}`, api);
  row('events: 30 days, first page', await timings(SAMPLES, events(`since=${since(30 * 86_400_000)}`)));
  row('events: 24 hours, first page', await timings(SAMPLES, events(`since=${since(86_400_000)}`)));
  row('events: one type, 1 hour', await timings(SAMPLES, events(`type=user_update&since=${since(3_600_000)}`)));
  row('events: a user with no events', await timings(SAMPLES, events('userId=user-nobody')));
  row('events: a user with events', await timings(SAMPLES, events('userId=user-000042')));
  row('user search (q=user0420)', await timings(SAMPLES, () => get(`${base}/api/v1/users?q=user0420&limit=20`, api)));
  row('insights page, 24 hours', await timings(Math.min(SAMPLES, 20), () => get(`${base}/admin/insights`, { cookie: admin })));
  row('insights page, 30 days', await timings(Math.min(SAMPLES, 20), () => get(`${base}/admin/insights?range=30d`, { cookie: admin })));
  const exported = await exportAll(server, admin);
  console.log(`  export, CSV, 30 days: ${exported.rows} rows in ${exported.seconds.toFixed(1)} s = ${(exported.rows / exported.seconds).toFixed(0)} rows/s; server RSS growth ${(exported.rssGrowth / 1048576).toFixed(0)} MB`);
  // Launches while an export and a loop of insights-30d pages run beside them.
  let busy = true;
  const heavy = Promise.all([
    exportAll(server, admin).finally(() => { busy = false; }),
    (async () => { while (busy) await get(`${base}/admin/insights?range=30d`, { cookie: admin }); })(),
  ]);
  const loaded: number[] = [];
  while (busy || loaded.length < SAMPLES) {
    const at = process.hrtime.bigint();
    await get(`${base}/saml2/bench`, { cookie: user });
    loaded.push(Number(process.hrtime.bigint() - at) / 1e6);
  }
  await heavy;
  row('launch beside an export and insights-30d', loaded);
  console.log(`  launch p99 beside heavy reads / idle p99: ${(pct(loaded, 0.99) / pct(idleLaunch, 0.99)).toFixed(2)} (target < 2)`);
}

async function main(): Promise<void> {
  process.env.BENCH_ADMIN_TOKEN = TOKEN;
  process.env.BENCH_SESSION_SECRET = crypto.randomBytes(32).toString('hex');
  process.env.BENCH_KEK = crypto.randomBytes(32).toString('hex');
  const drivers = flags.driver === 'both' ? ['sqlite', ...(postgresAvailable() ? ['postgres'] : [])] : [flags.driver!];
  console.log(`Node ${process.version}, ${os.cpus().length} cores`);
  try {
    for (const driver of drivers) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-scale-'));
      process.env.BENCH_DIR = dir;
      const url = driver === 'sqlite' ? `sqlite:${dir}/bench.db` : await freshPostgresUrl();
      console.log(`\nPreparing ${driver}…`);
      await prepare(dir, url);
      const server = await start(dir);
      try {
        await measure(driver === 'sqlite' ? 'SQLite' : 'PostgreSQL', server);
      } finally {
        server.child.disconnect();
        await new Promise((resolve) => server.child.once('exit', resolve));
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await stopPostgres();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
