import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore, type EventFilter, type NewEvent, type Store } from '../src/store';
import { freshPostgresUrl, mochaGlobalTeardown as stopPostgres, postgresAvailable } from '../test/helpers/postgres';

/**
 * Directory Insights at scale (issue 11): `tsx bench/events-scale.ts [--events N] [--samples S] [--postgres]`.
 * Seeds N events (default 2,000,000) straight into the schema with SQL in big transactions, spread
 * over 30 days (about 50 types, 80 % sso_auth; 1,000 apps; 100,000 users; 5 % failures), rebuilds
 * the roll-ups through the store (npm run store:rebuild's code), then prints p50/p95 of the store
 * calls the insights page and the events API make. Figures, no assertions. With --postgres the
 * same runs on a throwaway PostgreSQL started as in the tests (test/helpers/postgres.ts).
 */
const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
};
const EVENTS = arg('events', 2_000_000);
const SAMPLES = arg('samples', 40);
const DAY = 86_400_000;
const END = Date.parse('2026-12-01T00:00:00.000Z');
const START = END - 30 * DAY;
const BATCH = 200_000;

/**
 * Column expressions of event number i (1-based), the same on both engines: multiplicative hashes
 * of i pick the type, app, user and outcome; times advance with i, a little jittered.
 */
const h = (k: number) => `((i * ${k}) % 1000003)`;
const columns = (timeOf: (ms: string) => string) => ({
  time: timeOf(`${START} + (i * ${(30 * DAY) / EVENTS}) + ${h(7919)} % 4000 - 2000`),
  type: `CASE WHEN ${h(31)} % 10 < 8 THEN 'sso_auth' ELSE 'type_' || (${h(37)} % 49) END`,
  outcome: `CASE WHEN ${h(41)} % 20 = 0 THEN 'failure' ELSE 'success' END`,
  actor_type: `'user'`,
  actor_id: `CASE WHEN ${h(31)} % 10 < 8 THEN 'user' || (${h(43)} % 100000) ELSE 'admin' || (${h(47)} % 10) END`,
  actor_label: `'someone'`,
  target_type: `CASE WHEN ${h(31)} % 10 < 8 THEN 'application' ELSE 'user' END`,
  target_id: `CASE WHEN ${h(31)} % 10 < 8 THEN 'app' || (${h(53)} % 1000) ELSE 'user' || (${h(43)} % 100000) END`,
  target_label: `'Wiki'`,
  app_id: `CASE WHEN ${h(31)} % 10 < 8 OR ${h(59)} % 10 < 3 THEN 'app' || (${h(53)} % 1000) END`,
  client_ip: `'192.0.2.1'`,
  detail_json: `'{"initiatedBy":"idp"}'`,
});
const insertSql = (source: string, timeOf: (ms: string) => string) => {
  const c = columns(timeOf);
  return `INSERT INTO events (${Object.keys(c).join(', ')}) SELECT ${Object.values(c).join(', ')} FROM ${source}`;
};

const log = (line: string) => process.stdout.write(`${line}\n`);
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

async function seedSqlite(file: string): Promise<void> {
  await (await openStore(`sqlite:${file}`, { poolSize: 1 })).close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  const insert = db.prepare(insertSql('n', (ms) => `strftime('%Y-%m-%dT%H:%M:%fZ', (${ms}) / 1000.0, 'unixepoch')`)
    .replace('INSERT', 'WITH RECURSIVE n(i) AS (SELECT CAST(@lo AS INTEGER) UNION ALL SELECT i + 1 FROM n WHERE i < @hi) INSERT'));
  for (let lo = 1; lo <= EVENTS; lo += BATCH) db.transaction(() => insert.run({ lo, hi: Math.min(EVENTS, lo + BATCH - 1) }))();
  db.close();
}

async function seedPostgres(url: string): Promise<void> {
  await (await openStore(url, { poolSize: 1 })).close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const sql = insertSql('generate_series($1::bigint, $2::bigint) AS n(i)',
    (ms) => `to_char(to_timestamp((${ms}) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
  for (let lo = 1; lo <= EVENTS; lo += BATCH) await client.query(sql, [lo, Math.min(EVENTS, lo + BATCH - 1)]);
  // Right after a bulk load; in service autovacuum's ANALYZE does this (src/store/postgres/schema-events.ts).
  await client.query('ANALYZE');
  await client.end();
}

type Window = Omit<EventFilter, 'limit' | 'before'> & { since: string; until: string };
const iso = (ms: number) => new Date(ms).toISOString();
const win = (hours: number, extra: Omit<EventFilter, 'limit'> = {}): Window => ({ since: iso(END - hours * 3_600_000), until: iso(END + 1000), ...extra });
/** The insights page: a page of 50 and the chart, with the route's bucket for the range. */
const page = (w: Window, bucket: number): [(s: Store) => Promise<unknown>, Window] => [async (s: Store) => {
  await s.events.list({ ...w, limit: 50 });
  await s.events.histogram(w, bucket);
}, w];
const CASES: [string, (s: Store) => Promise<unknown>, Window?][] = [
  ['insights 30d (page + chart)', ...page(win(720), 86_400)],
  ['insights 24h', ...page(win(24), 3600)],
  ['insights 7d', ...page(win(168), 21_600)],
  ['insights type + 1h', ...page(win(1, { type: 'type_7' }), 300)],
  ['insights 30d, user with no events', ...page(win(720, { userId: 'nobody' }), 86_400)],
  ['insights 30d, user with events', ...page(win(720, { userId: 'user4242' }), 86_400)],
  ['insights 30d, app', ...page(win(720, { appId: 'app17' }), 86_400)],
  ['insights 30d, failures', ...page(win(720, { outcome: 'failure' }), 86_400)],
  ['insights 30d, type + app', ...page(win(720, { type: 'sso_auth', appId: 'app17' }), 86_400)],
  ['insights 30d, busiest admin as user', ...page(win(720, { userId: 'admin3' }), 86_400)],
  ['API list 100, no filter', (s) => s.events.list({ limit: 100 })],
  ['API list 100, user with no events', (s) => s.events.list({ userId: 'nobody', limit: 100 })],
  ['API list 100, 30d, page 200 (before)', (s) => s.events.list({ ...win(720), before: EVENTS - 20_000, limit: 100 })],
];

/**
 * The figures mean something only if the answers are right: each chart's total against a plain
 * count(*) of the same filter over the events table, and the number of events a page returned.
 */
async function check(store: Store, count: (where: string, params: unknown[]) => Promise<number>): Promise<void> {
  const lines: string[] = [];
  for (const [name, , w] of CASES) {
    if (!w) continue;
    const clauses = ['time >= ?', 'time < ?'];
    const params: unknown[] = [w.since, w.until];
    for (const [column, value] of [['type', w.type], ['app_id', w.appId], ['outcome', w.outcome]] as const) {
      if (value) { clauses.push(`${column} = ?`); params.push(value); }
    }
    if (w.userId) { clauses.push('(actor_id = ? OR target_id = ?)'); params.push(w.userId, w.userId); }
    const raw = await count(clauses.join(' AND '), params);
    const chart = (await store.events.histogram(w, 3600)).reduce((n, b) => n + b.success + b.failure, 0);
    const listed = (await store.events.list({ ...w, limit: 50 })).length;
    lines.push(`${name}: ${raw} events${chart === raw && listed === Math.min(50, raw) ? '' : ` MISMATCH: chart ${chart}, page ${listed}`}`);
  }
  log(`check (chart total = count(*) of the window, page = min(50, count)): ${lines.join('; ')}`);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function measure(store: Store): Promise<void> {
  const times = CASES.map(() => [] as number[]);
  for (const [, run] of CASES) await run(store); // warm
  for (let round = 0; round < SAMPLES; round++) {
    for (const [i, [, run]] of CASES.entries()) {
      const t = process.hrtime.bigint();
      await run(store);
      times[i].push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  log(`| case | p50 ms | p95 ms |\n|---|---:|---:|`);
  for (const [i, [name]] of CASES.entries()) {
    const sorted = times[i].sort((a, b) => a - b);
    log(`| ${name} | ${pct(sorted, 50).toFixed(1)} | ${pct(sorted, 95).toFixed(1)} |`);
  }
}

/** What an append costs now (its roll-up in the same transaction): one at a time, and in bursts of 10. */
async function appends(store: Store): Promise<void> {
  const event = (i: number): NewEvent => ({
    time: iso(END + i), type: 'sso_auth', outcome: 'success', reason: null, actorType: 'user', actorId: `user${i % 100000}`,
    actorLabel: 'someone', targetType: 'application', targetId: `app${i % 1000}`, targetLabel: 'Wiki', appId: `app${i % 1000}`,
    clientIp: '192.0.2.1', detail: { initiatedBy: 'idp' },
  });
  for (const burst of [1, 10]) {
    const n = 2000;
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i += burst) await Promise.all(Array.from({ length: burst }, (_, k) => store.events.append(event(i + k))));
    log(`append, bursts of ${burst}: ${(Number(process.hrtime.bigint() - t) / 1e3 / n).toFixed(0)} µs per event (wall)`);
  }
}

async function run(kind: string, url: string, seed: () => Promise<void>, count: (where: string, params: unknown[]) => Promise<number>): Promise<void> {
  log(`\n## ${kind}: ${EVENTS.toLocaleString('en-US')} events, ${SAMPLES} samples per case (Node ${process.version}, ${os.cpus().length} CPUs)`);
  let t = Date.now();
  await seed();
  log(`seeded in ${seconds(t)}`);
  const store = await openStore(url, { poolSize: 4 });
  try {
    t = Date.now();
    const done = await store.events.rebuildDerived(undefined, { batchSize: 50_000 });
    log(`roll-ups rebuilt in ${seconds(t)} (${Math.round(done.total / ((Date.now() - t) / 1000)).toLocaleString('en-US')} events/s)`);
    await store.refreshStatistics();
    await check(store, count);
    await measure(store);
    await appends(store);
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-events-scale-'));
  const file = path.join(dir, 'gatehouse.db');
  try {
    await run('SQLite', `sqlite:${file}`, () => seedSqlite(file), async (where, params) => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare(`SELECT count(*) AS n FROM events WHERE ${where}`).get(...params) as { n: number }).n;
      } finally {
        db.close();
      }
    });
    if (process.argv.includes('--postgres') && postgresAvailable()) {
      const url = await freshPostgresUrl();
      await run('PostgreSQL', url, () => seedPostgres(url), async (where, params) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        let n = 0;
        const numbered = where.replace(/\?/g, () => `$${++n}`);
        try {
          return Number((await client.query(`SELECT count(*) AS n FROM events WHERE ${numbered}`, params)).rows[0].n);
        } finally {
          await client.end();
        }
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await stopPostgres();
  }
}

void main();
