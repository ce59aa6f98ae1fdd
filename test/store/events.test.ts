import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createStore, StoreConstraintError, type NewEvent, type Store } from '../../src/store';

const event = (overrides: Partial<NewEvent> = {}): NewEvent => ({
  time: new Date().toISOString(), type: 'sso_auth', outcome: 'success', reason: null, actorType: 'user', actorId: 'u1',
  actorLabel: 'ada', targetType: 'application', targetId: 'a1', targetLabel: 'Wiki', appId: 'a1', clientIp: '127.0.0.1',
  detail: { initiatedBy: 'idp' }, ...overrides,
});

describe('Store: events (group commit)', () => {
  let store: Store;
  beforeEach(() => { store = createStore('sqlite::memory:'); });
  afterEach(async () => { await store.close(); });

  it('when many events arrive in one turn, then each caller gets its own committed row id, in order', async () => {
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => store.events.append(event({ actorId: `u${i}` })) as Promise<number>));
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).to.equal(50);
    const listed = await store.events.list({ limit: 100 });
    expect(listed).to.have.length(50);
    expect(listed[0]).to.include({ id: ids[49], actorId: 'u49' });
  });

  it('when one event in a batch breaks a rule, then only that caller fails and the others are kept', async () => {
    const results = await Promise.allSettled([
      store.events.append(event({ actorId: 'before' })),
      store.events.append(event({ outcome: 'maybe' as NewEvent['outcome'] })),
      store.events.append(event({ actorId: 'after' })),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).to.be.instanceOf(StoreConstraintError);
    expect((await store.events.list({ limit: 10 })).map((e) => e.actorId)).to.deep.equal(['after', 'before']);
  });

  it('when an event is appended inside a store transaction, then it commits or rolls back with it', async () => {
    await store.transaction(async () => { await store.events.append(event({ actorId: 'kept' })); });
    let failed = false;
    try {
      await store.transaction(async () => {
        await store.events.append(event({ actorId: 'rolled-back' }));
        throw new Error('abort');
      });
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
    expect((await store.events.list({ limit: 10 })).map((e) => e.actorId)).to.deep.equal(['kept']);
  });

  it('when the store closes with events queued, then they are written first', async () => {
    const file = path.join(os.tmpdir(), `gatehouse-events-${process.pid}-${Date.now()}.db`);
    const onDisk = createStore(`sqlite:${file}`);
    void onDisk.events.append(event({ actorId: 'queued' }));
    await onDisk.close();
    const reopened = createStore(`sqlite:${file}`);
    expect((await reopened.events.list({ limit: 10 })).map((e) => e.actorId)).to.deep.equal(['queued']);
    await reopened.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
  });
});
