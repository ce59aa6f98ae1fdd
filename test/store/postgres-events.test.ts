import { expect } from 'chai';
import pg from 'pg';
import { openStore, type NewEvent, type Store } from '../../src/store';
import { freshPostgresUrl, postgresAvailable } from '../helpers/postgres';

/**
 * Issue 10 #3: events on PostgreSQL with several instances. Appends are group-committed (one
 * statement for a burst) and numbered in commit order, so a reader that pages or tails by id
 * never misses an event another instance commits later. Each store below is an instance: its own
 * pool and queue on the same database.
 */
const event = (overrides: Partial<NewEvent> = {}): NewEvent => ({
  time: new Date().toISOString(), type: 'sso_auth', outcome: 'success', reason: null, actorType: 'user', actorId: 'u1',
  actorLabel: 'ada', targetType: 'application', targetId: 'a1', targetLabel: 'Wiki', appId: 'a1', clientIp: '127.0.0.1',
  detail: {}, ...overrides,
});

(postgresAvailable() ? describe : describe.skip)('Store: events on PostgreSQL with two instances', function () {
  this.timeout(60_000);
  let url: string;
  let a: Store;
  let b: Store;
  let sql: pg.Client;
  beforeEach(async () => {
    url = await freshPostgresUrl();
    [a, b] = await Promise.all([openStore(url, { poolSize: 4 }), openStore(url, { poolSize: 4 })]);
    sql = new pg.Client({ connectionString: url });
    await sql.connect();
  });
  afterEach(async () => { await Promise.all([a.close(), b.close(), sql.end()]); });

  it('commits a burst of appends together: fifty events, one transaction', async () => {
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => a.events.append(event({ actorId: `u${i}` }))));
    expect(ids).to.deep.equal([...ids].sort((x, y) => x! - y!));
    // Rows written by one transaction share its xmin.
    const { rows } = await sql.query('SELECT count(*)::int AS rows, count(DISTINCT xmin::text)::int AS commits FROM events');
    expect(rows[0]).to.deep.equal({ rows: 50, commits: 1 });
    expect((await a.events.list({ limit: 1 }))[0]).to.include({ id: ids[49], actorId: 'u49' });
  });

  it('numbers an event written in a unit of work at its commit, after what other instances committed meanwhile', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let appended!: () => void;
    const inUnit = new Promise<void>((resolve) => { appended = resolve; });
    const unit = a.transaction(async () => {
      await a.events.append(event({ actorId: 'admin-change' }));
      appended();
      await held;
    });
    await inUnit;
    const meanwhile = [await b.events.append(event({ actorId: 'sign-in-1' })), await b.events.append(event({ actorId: 'sign-in-2' }))];
    // A reader tailing by id has seen everything up to here.
    const cursor = Math.max(...(await b.events.list({ limit: 10 })).map((e) => e.id));
    expect(cursor).to.equal(meanwhile[1]);
    release();
    await unit;
    const after = (await b.events.list({ limit: 10 })).filter((e) => e.id > cursor);
    expect(after.map((e) => e.actorId)).to.deep.equal(['admin-change']);
  });

  it('lets a reader tailing by id see every event two instances append at once, none skipped', async () => {
    const seen = new Set<number>();
    let cursor = 0;
    let writing = true;
    const tail = (async () => {
      for (;;) {
        const done = !writing;
        const fresh = (await b.events.list({ limit: 5000 })).filter((e) => e.id > cursor);
        for (const e of fresh) seen.add(e.id);
        cursor = Math.max(cursor, ...fresh.map((e) => e.id));
        if (done) return;
      }
    })();
    const burst = (store: Store, who: string) => Promise.all(Array.from({ length: 20 }, (_, i) =>
      i % 4 === 0 ? store.transaction(() => store.events.append(event({ actorId: `${who}-unit-${i}` })))
        : store.events.append(event({ actorId: `${who}-${i}` }))));
    for (let round = 0; round < 10; round++) await Promise.all([burst(a, 'a'), burst(b, 'b')]);
    writing = false;
    await tail;
    const all = (await a.events.list({ limit: 5000 })).map((e) => e.id);
    expect(all).to.have.length(400);
    expect(all.filter((id) => !seen.has(id)), 'ids the tailing reader skipped').to.deep.equal([]);
  });

  it('drops an event of a unit of work that rolls back, and writes queued events before the store closes', async () => {
    await a.transaction(async () => {
      await a.events.append(event({ actorId: 'rolled-back' }));
      throw new Error('changed my mind');
    }).catch(() => undefined);
    void a.events.append(event({ actorId: 'queued' }));
    await a.close();
    a = await openStore(url, { poolSize: 4 });
    expect((await b.events.list({ limit: 10 })).map((e) => e.actorId)).to.deep.equal(['queued']);
  });
});
