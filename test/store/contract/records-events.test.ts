import { expect } from 'chai';
import { StoreConstraintError, type NewEvent, type Store } from '../../../src/store';
import { forEachDriver } from './drivers';

/** Directory Insights events: what list and histogram return, on every driver. */
function sampleEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    time: '2026-12-01T10:00:00.000Z', type: 'sso.login', outcome: 'success', reason: null, actorType: 'user',
    actorId: null, actorLabel: null, targetType: null, targetId: null, targetLabel: null, appId: null, clientIp: null,
    detail: {}, ...overrides,
  };
}

forEachDriver('Store contract: events', ({ open }) => {
  let store: Store;
  // Filters and buckets count every row: each case starts on an empty store.
  beforeEach(async () => { store = await open(); });
  /** An append outside a transaction resolves with its committed id on every driver. */
  const append = async (e: NewEvent): Promise<number> => {
    const id = await store.events.append(e);
    expect(id, 'an id once committed').to.be.a('number');
    return id as number;
  };

  it('appends with increasing ids and lists newest first, every field as it was given', async () => {
    const full = sampleEvent({
      type: 'user.updated', outcome: 'failure', reason: 'denied', actorType: 'admin', actorId: 'a1', actorLabel: 'Admin',
      targetType: 'user', targetId: 'u1', targetLabel: 'Ada', appId: 'app1', clientIp: '192.0.2.1',
      detail: { changed: ['email'], nested: { n: 1, ok: true, none: null } },
    });
    const first = await append(sampleEvent());
    const second = await append(full);
    expect(first).to.be.a('number');
    expect(second).to.be.greaterThan(first);
    const events = await store.events.list({ limit: 10 });
    expect(events.map((e) => e.id)).to.deep.equal([second, first]);
    expect(events[0]).to.deep.equal({ id: second, ...full });
    expect(events[1]).to.deep.equal({ id: first, ...sampleEvent() });
  });

  it('orders by id, not by time: an event appended later with an older time still comes first', async () => {
    const a = await append(sampleEvent({ time: '2026-12-01T12:00:00.000Z' }));
    const b = await append(sampleEvent({ time: '2026-12-01T08:00:00.000Z' }));
    expect((await store.events.list({ limit: 10 })).map((e) => e.id)).to.deep.equal([b, a]);
  });

  it('filters by type, outcome, actor, target, application, and the user as actor or target', async () => {
    const ids = {
      login: await append(sampleEvent({ actorId: 'u1', appId: 'app1' })),
      failed: await append(sampleEvent({ outcome: 'failure', actorId: 'u2', appId: 'app1' })),
      updated: await append(sampleEvent({ type: 'user.updated', actorId: 'admin', targetId: 'u1' })),
      other: await append(sampleEvent({ type: 'user.updated', actorId: 'admin', targetId: 'u2', appId: 'app2' })),
    };
    const list = async (filter: Omit<Parameters<Store['events']['list']>[0], 'limit'>) =>
      (await store.events.list({ ...filter, limit: 10 })).map((e) => e.id);
    expect(await list({ type: 'user.updated' })).to.deep.equal([ids.other, ids.updated]);
    expect(await list({ outcome: 'failure' })).to.deep.equal([ids.failed]);
    expect(await list({ actorId: 'admin' })).to.deep.equal([ids.other, ids.updated]);
    expect(await list({ targetId: 'u2' })).to.deep.equal([ids.other]);
    expect(await list({ appId: 'app1' })).to.deep.equal([ids.failed, ids.login]);
    expect(await list({ userId: 'u1' })).to.deep.equal([ids.updated, ids.login]);
    expect(await list({ userId: 'u2', type: 'user.updated' })).to.deep.equal([ids.other]);
    expect(await list({ appId: 'app1', outcome: 'success', actorId: 'u1' })).to.deep.equal([ids.login]);
    expect(await list({ type: 'nothing' })).to.deep.equal([]);
    // Empty strings are "no filter", as the routes pass them.
    expect(await list({ type: '', appId: '', userId: '' })).to.have.length(4);
  });

  it('keeps since inclusive and until exclusive, comparing times as text byte by byte', async () => {
    const at = async (time: string) => append(sampleEvent({ time }));
    const before = await at('2026-12-01T09:59:59.999Z');
    const start = await at('2026-12-01T10:00:00.000Z');
    const inside = await at('2026-12-01T10:30:00.000Z');
    const end = await at('2026-12-01T11:00:00.000Z');
    const list = async (since?: string, until?: string) => (await store.events.list({ since, until, limit: 10 })).map((e) => e.id);
    expect(await list('2026-12-01T10:00:00.000Z', '2026-12-01T11:00:00.000Z')).to.deep.equal([inside, start]);
    expect(await list('2026-12-01T10:00:00.000Z')).to.deep.equal([end, inside, start]);
    expect(await list(undefined, '2026-12-01T10:00:00.000Z')).to.deep.equal([before]);
    // Bytewise, '.' (0x2E) sorts before 'Z' (0x5A): 10:00:00.000Z is below the bound 10:00:00Z.
    expect(await list('2026-12-01T10:00:00Z', '2026-12-01T11:00:00Z')).to.deep.equal([end, inside]);
  });

  it('pages newest first with before and limit, without gaps or repeats', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push(await append(sampleEvent({ detail: { i } })));
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await store.events.list({ before, limit: 3 });
      seen.push(...page.map((e) => e.id));
      if (page.length < 3) break;
      before = page[page.length - 1].id;
    }
    expect(seen).to.deep.equal([...ids].reverse());
    expect(await store.events.list({ before: ids[0], limit: 3 })).to.deep.equal([]);
    expect((await store.events.list({ before: ids[3], type: 'sso.login', limit: 10 })).map((e) => e.detail)).to.deep.equal([{ i: 2 }, { i: 1 }, { i: 0 }]);
  });

  it('gives concurrent appends distinct ids, all listed in id order', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => append(sampleEvent({ detail: { i } }))));
    expect(new Set(ids).size).to.equal(20);
    await store.events.flush?.();
    const listed = (await store.events.list({ limit: 50 })).map((e) => e.id);
    expect(listed).to.deep.equal([...ids].sort((a, b) => b - a));
  });

  it('fails only the caller whose event breaks a rule when appends are committed together', async () => {
    const results = await Promise.allSettled([
      store.events.append(sampleEvent({ actorId: 'before' })),
      store.events.append(sampleEvent({ outcome: 'maybe' as NewEvent['outcome'] })),
      store.events.append(sampleEvent({ actorId: 'after' })),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).to.be.instanceOf(StoreConstraintError);
    expect((await store.events.list({ limit: 10 })).map((e) => e.actorId)).to.deep.equal(['after', 'before']);
  });

  it('writes an append made inside a transaction with the unit of work: kept on commit, gone on rollback', async () => {
    // Inside the unit the id may not be known yet (PostgreSQL numbers events at commit): a number or null.
    const inside = await store.transaction(() => store.events.append(sampleEvent({ type: 'kept' })));
    expect(inside === null || typeof inside === 'number').to.equal(true);
    await store.transaction(async () => {
      await store.events.append(sampleEvent({ type: 'dropped' }));
      throw new Error('changed my mind');
    }).catch(() => undefined);
    await store.events.flush?.();
    const listed = await store.events.list({ limit: 10 });
    expect(listed.map((e) => e.type)).to.deep.equal(['kept']);
    if (inside !== null) expect(listed[0].id).to.equal(inside);
  });

  it('counts successes and failures per bucket from the bucket holding since, up to until', async () => {
    const at = (time: string, outcome: 'success' | 'failure' = 'success', appId: string | null = null) =>
      append(sampleEvent({ time, outcome, appId }));
    await at('2026-12-01T09:59:59.999Z'); // before since: not counted
    await at('2026-12-01T10:05:00.000Z'); // before since but in its bucket: filtered out by since
    await at('2026-12-01T10:10:00.000Z');
    await at('2026-12-01T10:59:59.999Z', 'failure'); // fractions truncate: still the 10:00 bucket
    await at('2026-12-01T11:00:00.000Z', 'failure', 'app1'); // a bucket starts here
    await at('2026-12-01T11:00:00.500Z', 'success', 'app1');
    await at('2026-12-01T12:30:00.000Z'); // at until: excluded
    const buckets = await store.events.histogram({ since: '2026-12-01T10:07:00.000Z', until: '2026-12-01T12:30:00.000Z' }, 3600);
    expect(buckets).to.deep.equal([
      { start: '2026-12-01T10:00:00.000Z', success: 1, failure: 1 },
      { start: '2026-12-01T11:00:00.000Z', success: 1, failure: 1 },
      { start: '2026-12-01T12:00:00.000Z', success: 0, failure: 0 },
    ]);
    const app = await store.events.histogram({ appId: 'app1', outcome: 'failure', since: '2026-12-01T10:00:00.000Z', until: '2026-12-01T12:00:00.000Z' }, 1800);
    expect(app).to.deep.equal([
      { start: '2026-12-01T10:00:00.000Z', success: 0, failure: 0 },
      { start: '2026-12-01T10:30:00.000Z', success: 0, failure: 0 },
      { start: '2026-12-01T11:00:00.000Z', success: 0, failure: 1 },
      { start: '2026-12-01T11:30:00.000Z', success: 0, failure: 0 },
    ]);
  });

  it('aligns day buckets to UTC midnight and returns empty buckets when nothing happened', async () => {
    await append(sampleEvent({ time: '2026-11-30T23:59:59.000Z' }));
    await append(sampleEvent({ time: '2026-12-01T00:00:00.000Z', outcome: 'failure' }));
    const days = await store.events.histogram({ since: '2026-11-30T12:00:00.000Z', until: '2026-12-02T00:00:01.000Z' }, 86_400);
    expect(days).to.deep.equal([
      { start: '2026-11-30T00:00:00.000Z', success: 1, failure: 0 },
      { start: '2026-12-01T00:00:00.000Z', success: 0, failure: 1 },
      { start: '2026-12-02T00:00:00.000Z', success: 0, failure: 0 },
    ]);
    expect(await store.events.histogram({ type: 'none', since: '2026-12-01T00:00:00.000Z', until: '2026-12-01T00:10:00.000Z' }, 300))
      .to.deep.equal([
        { start: '2026-12-01T00:00:00.000Z', success: 0, failure: 0 },
        { start: '2026-12-01T00:05:00.000Z', success: 0, failure: 0 },
      ]);
  });
});
