import { expect } from 'chai';
import { openStore, type EventFilter, type EventRecord, type NewEvent, type Store } from '../../../src/store';
import { forEachDriver } from './drivers';
import { rawSql } from './raw-sql';

/**
 * Issue 11: lists and histograms read per-hour roll-ups and id ranges instead of the whole window.
 * Every answer must equal what the events themselves say: the reference here filters the appended
 * events in JS with the store's rules (times compared as text, since inclusive, until exclusive,
 * buckets of whole seconds since the epoch).
 */
type Filter = Omit<EventFilter, 'limit' | 'before' | 'since' | 'until'>;
const START = Date.parse('2026-12-01T00:00:00.000Z');

/** A fixed pseudo-random spread over three days: mostly in time order, some late and some early. */
function spread(count: number): NewEvent[] {
  let seed = 7;
  const next = (n: number) => { seed = (seed * 48271) % 2147483647; return seed % n; };
  return Array.from({ length: count }, (_, i) => {
    let t = START + Math.floor((i / count) * 3 * 86_400_000) + next(600_000);
    if (i % 17 === 0) t -= 5 * 3_600_000; // recorded hours after it happened
    if (i % 29 === 0) t = START + Math.floor(t / 3_600_000) % 72 * 3_600_000; // exactly on an hour
    const users = ['u1', 'u2', 'u3', null];
    return {
      time: new Date(t).toISOString(), type: ['sso_auth', 'user_update', 'group_bind'][next(3)], outcome: next(4) === 0 ? 'failure' : 'success',
      reason: null, actorType: 'user', actorId: users[next(4)], actorLabel: null, targetType: null, targetId: users[next(4)],
      targetLabel: null, appId: ['app1', 'app2', null][next(3)], clientIp: null, detail: { i },
    };
  });
}

const matches = (e: EventRecord, f: Filter & { since?: string; until?: string }) =>
  (!f.type || e.type === f.type) && (!f.outcome || e.outcome === f.outcome) && (!f.actorId || e.actorId === f.actorId)
  && (!f.targetId || e.targetId === f.targetId) && (!f.appId || e.appId === f.appId)
  && (!f.userId || e.actorId === f.userId || e.targetId === f.userId)
  && (!f.since || e.time >= f.since) && (!f.until || e.time < f.until);

function referenceBuckets(events: EventRecord[], f: Filter, since: string, until: string, size: number) {
  const counts = new Map<number, { success: number; failure: number }>();
  for (const e of events.filter((x) => matches(x, { ...f, since, until }))) {
    const t = Math.floor(Date.parse(e.time) / 1000 / size) * size;
    const c = counts.get(t) ?? { success: 0, failure: 0 };
    c[e.outcome] += 1;
    counts.set(t, c);
  }
  const out = [];
  const first = Math.floor(Date.parse(since) / 1000 / size) * size;
  for (let t = first; t * 1000 < Date.parse(until); t += size) {
    out.push({ start: new Date(t * 1000).toISOString(), success: counts.get(t)?.success ?? 0, failure: counts.get(t)?.failure ?? 0 });
  }
  return out;
}

const FILTERS: Filter[] = [
  {}, { type: 'sso_auth' }, { appId: 'app1' }, { type: 'user_update', appId: 'app2' }, { outcome: 'failure' },
  { type: 'group_bind', outcome: 'success' }, { userId: 'u1' }, { actorId: 'u2' }, { targetId: 'u3', type: 'sso_auth' },
];
const WINDOWS: [string, string][] = [
  ['2026-12-01T00:00:00.000Z', '2026-12-04T00:00:00.000Z'], // whole hours and days
  ['2026-11-30T20:13:07.123Z', '2026-12-03T07:44:00.001Z'], // partial hours at both edges
  ['2026-12-01T10:00:00Z', '2026-12-02T11:00:00Z'], // '.000Z' sorts below 'Z': the edge hours are partial
  ['2026-12-02T05:10:00.000Z', '2026-12-02T05:50:00.000Z'], // inside one hour
  ['2026-12-01T23:00:00.000Z', '2026-12-02T00:00:00.000Z'], // one whole hour
];

forEachDriver('Store contract: event roll-ups and id ranges', ({ kind, open, sharedUrl }) => {
  let store: Store;
  let events: EventRecord[];
  /** Append in bursts of ten (one group commit each), some inside transactions; returns what was stored. */
  async function seed(target: Store, list: NewEvent[]): Promise<void> {
    for (let i = 0; i < list.length; i += 10) {
      const burst = list.slice(i, i + 10);
      if ((i / 10) % 3 === 2) await target.transaction(async () => { for (const e of burst) await target.events.append(e); });
      else await Promise.all(burst.map((e) => target.events.append(e)));
    }
    await target.events.flush?.();
  }
  const all = async (s: Store) => s.events.list({ limit: 10_000 });

  before(async () => {
    store = await open();
    await seed(store, spread(400));
    // A unit of work that rolls back leaves neither events nor counts behind.
    await store.transaction(async () => {
      for (const e of spread(30)) await store.events.append({ ...e, type: 'sso_auth', appId: 'app1' });
      throw new Error('rolled back');
    }).catch(() => undefined);
    events = await all(store);
  });

  it('stores every event appended by group commit and in transactions, and none of a rolled-back unit', async () => {
    expect(events).to.have.length(400);
    expect(await store.events.derivedBehind()).to.equal(0);
  });

  it('gives the histogram the events give, for every bucket size, filter and window', async () => {
    for (const [since, until] of WINDOWS) {
      for (const size of [300, 3600, 6 * 3600, 86_400]) {
        for (const f of FILTERS) {
          const got = await store.events.histogram({ ...f, since, until }, size);
          expect(got, `${JSON.stringify(f)} ${since}..${until} per ${size} s`).to.deep.equal(referenceBuckets(events, f, since, until, size));
        }
      }
    }
  });

  it('lists a window newest first in pages, without gaps or repeats, whatever the filter', async () => {
    for (const [since, until] of WINDOWS) {
      for (const f of FILTERS) {
        const expected = events.filter((e) => matches(e, { ...f, since, until })).map((e) => e.id);
        const seen: number[] = [];
        let before: number | undefined;
        for (;;) {
          const page = await store.events.list({ ...f, since, until, before, limit: 7 });
          seen.push(...page.map((e) => e.id));
          if (page.length < 7) break;
          before = page[page.length - 1].id;
        }
        expect(seen, `${JSON.stringify(f)} ${since}..${until}`).to.deep.equal(expected);
      }
    }
  });

  it('pages the user as actor or target newest first, once each, also when both', async () => {
    const fresh = await open();
    const at = (i: number) => new Date(START + i * 60_000).toISOString();
    const mine = [];
    for (const [i, [actorId, targetId]] of [['u9', null], [null, 'u9'], ['u9', 'u9'], ['x', 'y'], ['x', 'u9'], ['u9', 'x'], [null, null], ['u9', null]].entries()) {
      const id = (await fresh.events.append({ ...spread(1)[0], time: at(i), actorId, targetId }))!;
      if (actorId === 'u9' || targetId === 'u9') mine.push(id);
    }
    for (const window of [{}, { since: at(0), until: at(100) }]) {
      const seen: number[] = [];
      let before: number | undefined;
      for (;;) {
        const page = await fresh.events.list({ userId: 'u9', ...window, before, limit: 2 });
        seen.push(...page.map((e) => e.id));
        if (page.length < 2) break;
        before = page[page.length - 1].id;
      }
      expect(seen).to.deep.equal([...mine].reverse());
    }
  });

  it('finds events imported without roll-ups, answers exactly meanwhile, and a rebuild brings the roll-ups back', async () => {
    const url = await sharedUrl();
    const shared = await openStore(url, { poolSize: 4 });
    try {
      await seed(shared, spread(120));
      // An import straight into the table (a restored dump of events alone): no roll-ups.
      await rawSql(kind, url, (run) => run(`INSERT INTO events (time, type, outcome, actor_type, app_id, detail_json)
        VALUES ('2026-12-02T10:30:00.000Z', 'sso_auth', 'success', 'user', 'app1', '{}'),
               ('2026-12-02T11:30:00.000Z', 'sso_auth', 'failure', 'user', 'app1', '{}')`));
      const everything = await all(shared);
      const check = async () => {
        for (const f of [{}, { appId: 'app1' }]) {
          expect(await shared.events.histogram({ ...f, since: WINDOWS[0][0], until: WINDOWS[0][1] }, 3600))
            .to.deep.equal(referenceBuckets(everything, f, WINDOWS[0][0], WINDOWS[0][1], 3600));
        }
        expect((await shared.events.list({ since: '2026-12-02T11:00:00.000Z', until: '2026-12-02T12:00:00.000Z', limit: 500 })).map((e) => e.id))
          .to.deep.equal(everything.filter((e) => matches(e, { since: '2026-12-02T11:00:00.000Z', until: '2026-12-02T12:00:00.000Z' })).map((e) => e.id));
      };
      expect(await shared.events.derivedBehind()).to.equal(2);
      await check();
      // Roll-ups that went wrong (a restored backup of another moment) are recomputed from scratch.
      await rawSql(kind, url, (run) => run('UPDATE event_hours SET count = count + 5'));
      const steps: { done: number; total: number }[] = [];
      const result = await shared.events.rebuildDerived((p) => {
        steps.push(p);
        // The store stays live: events appended meanwhile are counted once.
        if (steps.length === 2) void shared.events.append({ ...spread(1)[0], time: '2026-12-02T11:40:00.000Z' });
      }, { batchSize: 25 });
      await shared.events.flush?.();
      expect(steps.length).to.be.greaterThan(4);
      expect(result.done).to.equal(result.total);
      expect(steps.map((s) => s.done)).to.deep.equal([...steps.map((s) => s.done)].sort((a, b) => a - b));
      expect(await shared.events.derivedBehind()).to.equal(0);
      everything.splice(0, everything.length, ...await all(shared));
      expect(everything).to.have.length(123);
      await check();
    } finally {
      await shared.close();
    }
  });
});
