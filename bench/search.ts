import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore, type Store } from '../src/store';
import { freshPostgresUrl, mochaGlobalTeardown as stopPostgres, postgresAvailable } from '../test/helpers/postgres';

/**
 * `npx tsx bench/search.ts [--users 100000] [--runs 40] [--postgres]`: user search at scale,
 * before (LIKE '%q%' on username, e-mail and display name, then a second scan to count, as the
 * store did until issue 11) and after (UserRepository.list through the word index with a capped
 * count), in the same run on the same data. Prints figures, asserts nothing.
 *
 * The users are seeded straight into the schema (one INSERT … SELECT in a transaction; on SQLite
 * the FTS triggers index them as they go): `first.last<n>` usernames and e-mails at example.com
 * from 30 first and 30 last names, and one user nobody else resembles.
 */
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const USERS = option('users', 100_000);
const RUNS = option('runs', 40);
const FIRST = ['james', 'mary', 'john', 'patricia', 'robert', 'jennifer', 'michael', 'linda', 'william', 'elizabeth', 'david', 'barbara',
  'richard', 'susan', 'joseph', 'jessica', 'thomas', 'sarah', 'charles', 'karen', 'chris', 'nancy', 'daniel', 'lisa', 'matthew', 'betty',
  'anthony', 'margaret', 'mark', 'sandra'];
const LAST = ['smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'rodriguez', 'martinez', 'hernandez', 'lopez',
  'gonzalez', 'wilson', 'anderson', 'thomas', 'taylor', 'moore', 'jackson', 'martin', 'lee', 'perez', 'thompson', 'white', 'harris',
  'sanchez', 'clark', 'ramirez', 'lewis', 'robinson'];

/** What each query stands for; "robert" is a first name that also starts its users' usernames. */
const QUERIES: [string, string][] = [
  ['jo', 'common prefix (john, johnson, jones, joseph…)'],
  ['robert', 'common word, bunched in username order'],
  ['example', 'every user (the e-mail domain)'],
  ['sandra white9', 'two words, 12 users'],
  ['zebu', 'rare prefix, 1 user'],
  ['', 'no search: the first page'],
];

async function time(work: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 3; i++) await work();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await work();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(RUNS * 0.5)], p95: samples[Math.min(RUNS - 1, Math.floor(RUNS * 0.95))] };
}

const fmt = (t: { p50: number; p95: number }) => `${t.p50.toFixed(2).padStart(8)} ${t.p95.toFixed(2).padStart(8)}`;

async function compare(name: string, store: Store, before: (q: string) => Promise<unknown>) {
  console.log(`\n${name}, ${USERS.toLocaleString('en')} users, ${RUNS} runs each (ms)`);
  console.log(`${'query'.padEnd(16)}${'before p50'.padStart(11)}${'p95'.padStart(9)}${'after p50'.padStart(11)}${'p95'.padStart(9)}  matches  what`);
  for (const [q, what] of QUERIES) {
    const old = await time(() => before(q));
    const now = await time(() => store.users.list({ limit: 50, q }));
    const { total, totalCapped } = await store.users.list({ limit: 1, q });
    console.log(`${JSON.stringify(q).padEnd(16)} ${fmt(old)}  ${fmt(now)}  ${`${total}${totalCapped ? '+' : ''}`.padStart(7)}  ${what}`);
  }
  // A deep page: the 1,500th page of 50, by cursor (before: OFFSET 75,000).
  const deep = (await store.users.list({ limit: 1, offset: 74_999 })).items[0];
  const byKey = await time(() => store.users.list({ limit: 50, after: [deep.username] }));
  const byOffset = await time(() => store.users.list({ limit: 50, offset: 75_000 }));
  console.log(`page 1,500 of 50: by offset ${fmt(byOffset)}   by cursor ${fmt(byKey)}`);
}

async function sqlite() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-search-'));
  const file = path.join(dir, 'gatehouse.db');
  const store = await openStore(`sqlite:${file}`, { poolSize: 1 });
  const db = new Database(file);
  const started = Date.now();
  db.transaction(() => {
    const insert = db.prepare(`INSERT INTO users (id, username, email, first_name, last_name, display_name, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`);
    for (let i = 0; i < USERS; i++) {
      const first = FIRST[i % 30];
      const last = LAST[Math.floor(i / 30) % 30];
      insert.run(`user-${i}`, `${first}.${last}${i}`, `${first}.${last}${i}@example.com`, first[0].toUpperCase() + first.slice(1), last, `${first} ${last}`);
    }
    insert.run('rare', 'zebulon.quartermaine', 'zq@rare.example', 'Zebulon', 'Quartermaine', 'Zebulon Quartermaine');
  })();
  db.pragma('optimize');
  console.log(`SQLite: seeded in ${Date.now() - started} ms (${(fs.statSync(file).size / 1e6).toFixed(1)} MB with the index)`);
  const like = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const where = `WHERE username LIKE @q ESCAPE '\\' OR email LIKE @q ESCAPE '\\' OR display_name LIKE @q ESCAPE '\\'`;
  const page = db.prepare(`SELECT * FROM users ${where} ORDER BY username LIMIT 50`);
  const count = db.prepare(`SELECT count(*) AS n FROM users ${where}`);
  await compare('SQLite', store, async (q) => {
    page.all({ q: like(q) });
    count.get({ q: like(q) });
  });
  db.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

async function postgres() {
  const url = await freshPostgresUrl();
  const store = await openStore(url, { poolSize: 4 });
  const client = new pg.Client(url);
  await client.connect();
  const started = Date.now();
  await client.query(`INSERT INTO users (id, username, email, first_name, last_name, display_name, created_at, updated_at)
    SELECT 'user-' || i, f || '.' || l || i, f || '.' || l || i || '@example.com', initcap(f), l, f || ' ' || l, '2026', '2026'
    FROM generate_series(0, $3::int - 1) i, LATERAL (SELECT ($1::text[])[i % 30 + 1] AS f, ($2::text[])[(i / 30) % 30 + 1] AS l) n`, [FIRST, LAST, USERS]);
  await client.query(`INSERT INTO users (id, username, email, first_name, last_name, display_name, created_at, updated_at)
    VALUES ('rare', 'zebulon.quartermaine', 'zq@rare.example', 'Zebulon', 'Quartermaine', 'Zebulon Quartermaine', '2026', '2026')`);
  await client.query('VACUUM ANALYZE users');
  console.log(`\nPostgreSQL: seeded in ${Date.now() - started} ms`);
  const where = `WHERE username ILIKE $1 ESCAPE '\\' OR email ILIKE $1 ESCAPE '\\' OR display_name ILIKE $1 ESCAPE '\\'`;
  await compare('PostgreSQL', store, async (q) => {
    const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    await client.query(`SELECT * FROM users ${where} ORDER BY lower(username) LIMIT 50`, [pattern]);
    await client.query(`SELECT count(*) FROM users ${where}`, [pattern]);
  });
  await client.end();
  await store.close();
  await stopPostgres();
}

async function main() {
  await sqlite();
  if (args.includes('--postgres')) {
    if (postgresAvailable()) await postgres();
    else console.log('\nPostgreSQL: server binaries not installed, skipped');
  }
}

void main();
