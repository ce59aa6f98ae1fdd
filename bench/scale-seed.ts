import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * Bulk rows for `npm run bench:scale`, written straight into the schema the store migrated (the
 * store's own code would take minutes per million rows): users, groups, memberships, apps cloned
 * from the journey's app, bindings, and events spread evenly over the last 30 days with ids in
 * time order, as commits give them. Derived data (roll-ups, search indexes) is then the store's
 * to rebuild, as after a restore.
 */
export interface ScaleSize { users: number; groups: number; apps: number; events: number }

/** Event types as Directory Insights records them; sso_auth dominates as in a real directory. */
const TYPES = ['sso_auth', 'sso_auth', 'sso_auth', 'sso_auth', 'sso_auth', 'sso_auth', 'user_login', 'user_login', 'user_logout',
  'user_update', 'group_member_add', 'user_create_provision', 'user_update_provision', 'csrf_refused', 'application_update'];
const DAY_MS = 86_400_000;

/** The parts of each generated row, as SQL expressions over the row number `n` (both dialects). */
function eventExpressions(size: ScaleSize, startMs: number, spanMs: number, fmt: (pattern: string, n: string) => string) {
  const typeCase = `CASE (n % ${TYPES.length}) ${TYPES.map((t, i) => `WHEN ${i} THEN '${t}'`).join(' ')} END`;
  return {
    // Milliseconds since the epoch, rendered as ISO-8601 by the dialect.
    millis: `${startMs} + (n - 1) * ${spanMs} / ${size.events}`,
    type: typeCase,
    outcome: `CASE WHEN n % 10 = 0 THEN 'failure' ELSE 'success' END`,
    actor: fmt('user-%06d', `((n * 7919) % ${size.users}) + 1`),
    app: fmt('app-%05d', `(n % ${size.apps}) + 1`),
  };
}

export function seedSqlite(file: string, size: ScaleSize, appTemplateId: string, now = Date.now()): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const fmt = (pattern: string, n: string) => `printf('${pattern}', ${n})`;
  const series = (count: number) => `WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${count})`;
  const stamp = new Date(now - 31 * DAY_MS).toISOString();
  db.transaction(() => {
    // The journey's own events (times: now) would sit below every seeded id and widen the id range
    // of the current hour to the whole table; the seeded history replaces them (the rebuild redoes
    // the roll-ups from scratch).
    db.exec('DELETE FROM events');
    db.exec(`${series(size.users)} INSERT INTO users (id, username, email, first_name, last_name, display_name, created_at, updated_at)
      SELECT ${fmt('user-%06d', 'n')}, ${fmt('user%06d', 'n')}, ${fmt('user%06d@example.com', 'n')}, 'First' || n, 'Last' || n,
        'First' || n || ' Last' || n, '${stamp}', '${stamp}' FROM s`);
    db.exec(`${series(size.groups)} INSERT INTO groups (id, name, created_at, updated_at)
      SELECT ${fmt('group-%05d', 'n')}, ${fmt('Group %05d', 'n')}, '${stamp}', '${stamp}' FROM s`);
    // Three groups per user.
    db.exec(`${series(size.users * 3)} INSERT OR IGNORE INTO memberships (group_id, user_id)
      SELECT ${fmt('group-%05d', `((n * 31) % ${size.groups}) + 1`)}, ${fmt('user-%06d', `((n - 1) % ${size.users}) + 1`)} FROM s`);
    cloneApplications(db.prepare('PRAGMA table_info(applications)').all().map((c) => (c as { name: string }).name), size.apps,
      appTemplateId, fmt, series, (sql) => db.exec(sql));
    db.exec(`${series(size.apps * 5)} INSERT OR IGNORE INTO application_groups (application_id, group_id, created_at)
      SELECT ${fmt('app-%05d', `((n - 1) % ${size.apps}) + 1`)}, ${fmt('group-%05d', `((n * 17) % ${size.groups}) + 1`)}, '${stamp}' FROM s`);
  })();
  const e = eventExpressions(size, now - 30 * DAY_MS, 30 * DAY_MS, fmt);
  // In slices: one transaction per million rows keeps the WAL bounded.
  for (let from = 0; from < size.events; from += 1_000_000) {
    const to = Math.min(size.events, from + 1_000_000);
    db.exec(`WITH RECURSIVE s(n) AS (SELECT ${from + 1} UNION ALL SELECT n + 1 FROM s WHERE n < ${to})
      INSERT INTO events (time, type, outcome, reason, actor_type, actor_id, actor_label, target_type, target_id, target_label, app_id, client_ip, detail_json)
      SELECT strftime('%Y-%m-%dT%H:%M:%fZ', (${e.millis}) / 1000.0, 'unixepoch'), ${e.type}, ${e.outcome},
        CASE WHEN n % 10 = 0 THEN 'saml.acs_url_mismatch' END, 'user', ${e.actor}, NULL, 'application', ${e.app}, NULL, ${e.app},
        '192.0.2.1', '{}' FROM s`);
  }
  db.close();
}

export async function seedPostgres(url: string, size: ScaleSize, appTemplateId: string, now = Date.now()): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const fmt = (pattern: string, n: string) => `format('${pattern.replace(/%0(\d)d/, '%s')}', lpad((${n})::text, ${/%0(\d)d/.exec(pattern)![1]}, '0'))`;
  const series = (count: number) => `WITH s AS (SELECT generate_series(1, ${count}) AS n)`;
  const stamp = new Date(now - 31 * DAY_MS).toISOString();
  try {
    await client.query('BEGIN');
    await client.query('DELETE FROM events'); // as in seedSqlite: no journey events below the seeded ids
    await client.query(`${series(size.users)} INSERT INTO users (id, username, email, first_name, last_name, display_name, created_at, updated_at)
      SELECT ${fmt('user-%06d', 'n')}, ${fmt('user%06d', 'n')}, ${fmt('user%06d', 'n')} || '@example.com', 'First' || n, 'Last' || n,
        'First' || n || ' Last' || n, '${stamp}', '${stamp}' FROM s`);
    await client.query(`${series(size.groups)} INSERT INTO groups (id, name, created_at, updated_at)
      SELECT ${fmt('group-%05d', 'n')}, 'Group ' || lpad(n::text, 5, '0'), '${stamp}', '${stamp}' FROM s`);
    await client.query(`${series(size.users * 3)} INSERT INTO memberships (group_id, user_id)
      SELECT ${fmt('group-%05d', `((n * 31) % ${size.groups}) + 1`)}, ${fmt('user-%06d', `((n - 1) % ${size.users}) + 1`)} FROM s ON CONFLICT DO NOTHING`);
    const columns = (await client.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'applications' ORDER BY ordinal_position`)).rows.map((r) => r.column_name as string);
    const statements: string[] = [];
    cloneApplications(columns, size.apps, appTemplateId, fmt, series, (sql) => statements.push(sql));
    for (const sql of statements) await client.query(sql);
    await client.query(`${series(size.apps * 5)} INSERT INTO application_groups (application_id, group_id, created_at)
      SELECT ${fmt('app-%05d', `((n - 1) % ${size.apps}) + 1`)}, ${fmt('group-%05d', `((n * 17) % ${size.groups}) + 1`)}, '${stamp}' FROM s ON CONFLICT DO NOTHING`);
    await client.query('COMMIT');
    const e = eventExpressions(size, now - 30 * DAY_MS, 30 * DAY_MS, fmt);
    for (let from = 0; from < size.events; from += 1_000_000) {
      const to = Math.min(size.events, from + 1_000_000);
      await client.query(`WITH s AS (SELECT generate_series(${from + 1}::bigint, ${to}) AS n)
        INSERT INTO events (time, type, outcome, reason, actor_type, actor_id, actor_label, target_type, target_id, target_label, app_id, client_ip, detail_json)
        SELECT to_char(to_timestamp((${e.millis}) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), ${e.type}, ${e.outcome},
          CASE WHEN n % 10 = 0 THEN 'saml.acs_url_mismatch' END, 'user', ${e.actor}, NULL, 'application', ${e.app}, NULL, ${e.app},
          '192.0.2.1', '{}' FROM s ORDER BY n`);
    }
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

/** Apps app-00001… as copies of the journey's app with their own id, slug and SP entity ID. */
function cloneApplications(columns: string[], count: number, templateId: string, fmt: (p: string, n: string) => string,
  series: (count: number) => string, run: (sql: string) => void): void {
  const value = (c: string) => ({
    id: fmt('app-%05d', 'n'), slug: fmt('app-%05d', 'n'), display_label: `'App ' || n`,
    sp_entity_id: `'https://sp' || n || '.example/sp'`, sso_json: `replace(a.sso_json, 'https://wiki.example/sp', 'https://sp' || n || '.example/sp')`,
  } as Record<string, string>)[c] ?? `a.${c}`;
  run(`${series(count)} INSERT INTO applications (${columns.join(', ')})
    SELECT ${columns.map(value).join(', ')} FROM s, applications a WHERE a.id = '${templateId}'`);
}
