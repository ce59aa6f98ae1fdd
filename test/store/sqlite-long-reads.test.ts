import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createStore, StoreTimeoutError, type NewEvent, type Store } from '../../src/store';
import { toAppError } from '../../src/http/middleware/errors';

const event = (time: string, overrides: Partial<NewEvent> = {}): NewEvent => ({
  time, type: 'sso_auth', outcome: 'success', reason: null, actorType: 'user', actorId: 'u1', actorLabel: 'ada',
  targetType: 'application', targetId: 'a1', targetLabel: 'Wiki', appId: 'a1', clientIp: null, detail: { n: 1 }, ...overrides,
});

/** Issue 11 #2: a file-backed SQLite store answers Directory Insights from its read pool. */
describe('SQLite store: Directory Insights reads on the read pool', function () {
  this.timeout(30_000);
  let dir: string;
  const opened: Store[] = [];
  const open = (budgetMs?: number) => {
    const store = createStore(`sqlite:${path.join(dir, 'store.db')}`, { readBudgetMs: budgetMs });
    opened.push(store);
    return store;
  };
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-long-reads-')); });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists and counts what was just appended, through the worker threads', async () => {
    const store = open();
    await Promise.all([event('2026-12-01T10:00:00.000Z'), event('2026-12-01T10:30:00.000Z', { outcome: 'failure' }),
      event('2026-12-01T11:10:00.000Z', { actorId: 'u2' })].map((e) => store.events.append(e)));
    const window = { since: '2026-12-01T10:00:00.000Z', until: '2026-12-01T12:00:00.000Z' };
    expect((await store.events.list({ ...window, limit: 10 })).map((e) => e.time)).to.deep.equal([
      '2026-12-01T11:10:00.000Z', '2026-12-01T10:30:00.000Z', '2026-12-01T10:00:00.000Z']);
    expect((await store.events.list({ ...window, userId: 'u2', limit: 10 })).map((e) => e.actorId)).to.deep.equal(['u2']);
    expect(await store.events.histogram({ ...window }, 1800)).to.deep.equal([
      { start: '2026-12-01T10:00:00.000Z', success: 1, failure: 0 },
      { start: '2026-12-01T10:30:00.000Z', success: 0, failure: 1 },
      { start: '2026-12-01T11:00:00.000Z', success: 1, failure: 0 },
      { start: '2026-12-01T11:30:00.000Z', success: 0, failure: 0 },
    ]);
  });

  it('stops a read past the budget with StoreTimeoutError, answered as a 503 that says what to do', async () => {
    // One millisecond is less than a worker needs to start: the first read cannot make it.
    const store = open(1);
    await store.events.append(event('2026-12-01T10:00:00.000Z'));
    const error = await store.events.list({ since: '2026-12-01T00:00:00.000Z', until: '2026-12-02T00:00:00.000Z', limit: 10 })
      .then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(StoreTimeoutError);
    const answer = toAppError(error);
    expect(answer).to.include({ status: 503, code: 'store.query_timeout' });
    expect(answer.message).to.contain('Narrow it');
  });
});
