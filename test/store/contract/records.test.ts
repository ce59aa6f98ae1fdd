import crypto from 'node:crypto';
import { expect } from 'chai';
import { StoreConstraintError, type PendingSso, type Store } from '../../../src/store';
import { forEachDriver } from './drivers';
import { sampleApplication } from './fixtures';

/** Sessions, the SSO state (replay cache, pending requests) and settings, on every driver. */
const T0 = '2026-12-01T10:00:00.000Z';
const T1 = '2026-12-01T10:30:00.000Z';
const T2 = '2026-12-01T11:00:00.000Z';
const T3 = '2026-12-01T12:00:00.000Z';
const sid = () => `sid-${crypto.randomBytes(6).toString('hex')}`;

/**
 * Run `count` calls at once, as that many instances would. The pool is warmed first: calls that
 * each wait for a new connection arrive one by one and would not race at all.
 */
async function atOnce<T>(store: Store, count: number, call: (i: number) => Promise<T>): Promise<T[]> {
  await Promise.all(Array.from({ length: count }, () => store.settings.get('warm-up')));
  return Promise.all(Array.from({ length: count }, (_, i) => call(i)));
}

forEachDriver('Store contract: sessions', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });

  it('gets what was set until it expires, and a later set replaces data and expiry', async () => {
    const s = sid();
    expect(await store.sessions.get(s, T0)).to.equal(undefined);
    await store.sessions.set(s, '{"a":1}', T1);
    expect(await store.sessions.get(s, T0)).to.equal('{"a":1}');
    expect(await store.sessions.get(s, T1)).to.equal(undefined); // expires_at > now, strictly
    await store.sessions.set(s, '{"a":2}', T2, 'u1');
    expect(await store.sessions.get(s, T1)).to.equal('{"a":2}');
  });

  it('touch moves the expiry of a live session only', async () => {
    const s = sid();
    await store.sessions.set(s, '{}', T1);
    await store.sessions.touch(s, T3);
    expect(await store.sessions.get(s, T2)).to.equal('{}');
    await store.sessions.touch(sid(), T3); // unknown: nothing happens, nothing is created
    const ended = sid();
    await store.sessions.set(ended, '{}', T1);
    await store.sessions.destroy(ended);
    await store.sessions.touch(ended, T3);
    expect(await store.sessions.get(ended, T0)).to.equal(undefined);
  });

  it('destroy ends a session for good: a later set or touch of it is ignored', async () => {
    const s = sid();
    await store.sessions.set(s, '{"user":"u1"}', T2, 'u1');
    await store.sessions.destroy(s);
    expect(await store.sessions.get(s, T0)).to.equal(undefined);
    await store.sessions.set(s, '{"user":"u1","late":true}', T3, 'u1');
    expect(await store.sessions.get(s, T0)).to.equal(undefined);
    await store.sessions.destroy(s); // twice is fine
  });

  it('destroyForUser ends the user\'s other sessions and says how many; ended ones do not count again', async () => {
    const user = `u-${crypto.randomBytes(4).toString('hex')}`;
    const [keep, a, b, other, anonymous] = [sid(), sid(), sid(), sid(), sid()];
    for (const s of [keep, a, b]) await store.sessions.set(s, `{"s":"${s}"}`, T3, user);
    await store.sessions.set(other, '{}', T3, 'someone-else');
    await store.sessions.set(anonymous, '{}', T3);
    // A session that signed out (set again without a user) no longer belongs to the user.
    const left = sid();
    await store.sessions.set(left, '{}', T3, user);
    await store.sessions.set(left, '{}', T3, null);
    expect(await store.sessions.destroyForUser(user, keep)).to.equal(2);
    expect(await store.sessions.get(keep, T0)).to.equal(`{"s":"${keep}"}`);
    for (const s of [a, b]) expect(await store.sessions.get(s, T0)).to.equal(undefined);
    for (const s of [other, anonymous, left]) expect(await store.sessions.get(s, T0)).to.equal('{}');
    expect(await store.sessions.destroyForUser(user, keep)).to.equal(0);
    expect(await store.sessions.destroyForUser(user)).to.equal(1);
    expect(await store.sessions.get(keep, T0)).to.equal(undefined);
    await store.sessions.set(a, '{"back":true}', T3, user);
    expect(await store.sessions.get(a, T0)).to.equal(undefined);
  });

  it('purgeExpired deletes sessions (tombstones too) whose expiry has come, and counts them', async () => {
    const fresh = await open();
    const [live, expired, endedExpired, endedLive] = [sid(), sid(), sid(), sid()];
    await fresh.sessions.set(live, '{}', T3);
    await fresh.sessions.set(expired, '{}', T1);
    await fresh.sessions.set(endedExpired, '{}', T2);
    await fresh.sessions.set(endedLive, '{}', T3);
    await fresh.sessions.destroy(endedExpired);
    await fresh.sessions.destroy(endedLive);
    expect(await fresh.sessions.purgeExpired(T2)).to.equal(2); // expires_at <= now
    expect(await fresh.sessions.purgeExpired(T2)).to.equal(0);
    expect(await fresh.sessions.get(live, T2)).to.equal('{}');
    // The live tombstone still refuses a late write; a purged one is gone, so the sid is new again.
    await fresh.sessions.set(endedLive, '{"late":1}', T3);
    expect(await fresh.sessions.get(endedLive, T2)).to.equal(undefined);
    await fresh.sessions.set(endedExpired, '{"new":1}', T3);
    expect(await fresh.sessions.get(endedExpired, T2)).to.equal('{"new":1}');
  });

  it('a destroy racing with writes of the same session leaves it ended, whatever the order', async () => {
    for (let round = 0; round < 5; round++) {
      const s = sid();
      await store.sessions.set(s, '{}', T3, 'u1');
      await atOnce(store, 5, (i) => (i === 1 ? store.sessions.destroy(s) : i === 3 ? store.sessions.touch(s, T3)
        : store.sessions.set(s, `{"w":${i}}`, T3, 'u1')));
      expect(await store.sessions.get(s, T0)).to.equal(undefined);
    }
  });
});

forEachDriver('Store contract: SSO state', ({ open }) => {
  let store: Store;
  let appId: string;
  before(async () => {
    store = await open();
    appId = sampleApplication().id;
    await store.applications.create({ ...sampleApplication(), id: appId });
  });
  const pending = (overrides: Partial<PendingSso> = {}): PendingSso => ({
    id: crypto.randomBytes(8).toString('hex'), appId, createdAt: T0, expiresAt: T2,
    payload: { acs: 'https://sp.example/acs', relayState: 'r', requestId: '_1', forceAuthn: false, n: 2, none: null }, ...overrides,
  });

  it('remembers a request ID once per SP: a second time is a replay, another SP or ID is not', async () => {
    const id = `_${crypto.randomBytes(6).toString('hex')}`;
    expect(await store.ssoState.rememberRequestId('https://a.example', id, T2, T0)).to.equal(true);
    expect(await store.ssoState.rememberRequestId('https://a.example', id, T3, T1)).to.equal(false);
    expect(await store.ssoState.rememberRequestId('https://b.example', id, T2, T0)).to.equal(true);
    expect(await store.ssoState.rememberRequestId('https://a.example', `${id}x`, T2, T0)).to.equal(true);
  });

  it('lets an expired remembered ID be used again, and then remembers it anew', async () => {
    const id = `_${crypto.randomBytes(6).toString('hex')}`;
    expect(await store.ssoState.rememberRequestId('https://a.example', id, T1, T0)).to.equal(true);
    expect(await store.ssoState.rememberRequestId('https://a.example', id, T3, T1)).to.equal(true); // expires_at <= now
    expect(await store.ssoState.rememberRequestId('https://a.example', id, T3, T2)).to.equal(false);
  });

  it('lets exactly one of several instances take the same new ID at once', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `_${crypto.randomBytes(6).toString('hex')}`;
      const answers = await atOnce(store, 4, () => store.ssoState.rememberRequestId('https://a.example', id, T2, T0));
      expect(answers.filter(Boolean)).to.have.length(1);
    }
  });

  it('lets exactly one of several instances reuse the same expired ID at once', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `_${crypto.randomBytes(6).toString('hex')}`;
      await store.ssoState.rememberRequestId('https://a.example', id, T1, T0);
      const answers = await atOnce(store, 4, () => store.ssoState.rememberRequestId('https://a.example', id, T3, T2));
      expect(answers.filter(Boolean)).to.have.length(1);
    }
  });

  it('keeps a pending request until it expires and gives it back as it was put', async () => {
    const p = pending();
    await store.ssoState.putPending(p);
    expect(await store.ssoState.findPending(p.id, T1)).to.deep.equal(p);
    expect(await store.ssoState.findPending(p.id, T2)).to.equal(undefined); // expires_at > now, strictly
    expect(await store.ssoState.findPending('missing', T0)).to.equal(undefined);
  });

  it('refuses a pending request for an unknown application or with a taken id', async () => {
    const unknownApp = await store.ssoState.putPending(pending({ appId: crypto.randomUUID() })).catch((e: unknown) => e);
    expect(unknownApp).to.be.instanceOf(StoreConstraintError);
    expect((unknownApp as StoreConstraintError).kind).to.equal('reference');
    const p = pending();
    await store.ssoState.putPending(p);
    const taken = await store.ssoState.putPending(pending({ id: p.id })).catch((e: unknown) => e);
    expect(taken).to.be.instanceOf(StoreConstraintError);
    expect((taken as StoreConstraintError).kind).to.equal('unique');
    expect((taken as StoreConstraintError).field).to.equal('pending_sso.id');
  });

  it('deletes a pending request once: of two instances finishing it together, one is told it did', async () => {
    const p = pending();
    await store.ssoState.putPending(p);
    expect(await store.ssoState.deletePending(p.id)).to.equal(true);
    expect(await store.ssoState.deletePending(p.id)).to.equal(false);
    const q = pending();
    await store.ssoState.putPending(q);
    const answers = await atOnce(store, 3, () => store.ssoState.deletePending(q.id));
    expect(answers.filter(Boolean)).to.have.length(1);
    expect(await store.ssoState.findPending(q.id, T0)).to.equal(undefined);
  });

  it('drops the pending requests of an application that is deleted', async () => {
    const app = sampleApplication();
    await store.applications.create(app);
    const p = pending({ appId: app.id });
    await store.ssoState.putPending(p);
    expect(await store.applications.delete(app.id)).to.equal(true);
    expect(await store.ssoState.findPending(p.id, T0)).to.equal(undefined);
  });

  it('purgeExpired deletes expired request IDs and pending requests, and counts both', async () => {
    const fresh = await open();
    const app = sampleApplication();
    await fresh.applications.create(app);
    await fresh.ssoState.rememberRequestId('https://a.example', '_old', T1, T0);
    await fresh.ssoState.rememberRequestId('https://a.example', '_new', T3, T0);
    const old = pending({ appId: app.id, expiresAt: T1 });
    const live = pending({ appId: app.id, expiresAt: T3 });
    await fresh.ssoState.putPending(old);
    await fresh.ssoState.putPending(live);
    expect(await fresh.ssoState.purgeExpired(T1)).to.equal(2); // expires_at <= now
    expect(await fresh.ssoState.purgeExpired(T1)).to.equal(0);
    expect(await fresh.ssoState.findPending(live.id, T1)).to.deep.equal(live);
    expect(await fresh.ssoState.rememberRequestId('https://a.example', '_new', T3, T1)).to.equal(false);
  });
});

forEachDriver('Store contract: settings', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });
  const key = () => `k-${crypto.randomBytes(4).toString('hex')}`;

  it('gets undefined for a missing key, and what set stored otherwise, the last set winning', async () => {
    const k = key();
    expect(await store.settings.get(k)).to.equal(undefined);
    await store.settings.set(k, 'one');
    expect(await store.settings.get(k)).to.equal('one');
    await store.settings.set(k, '');
    expect(await store.settings.get(k)).to.equal('');
  });

  it('setIfAbsent stores a value only when there is none, and returns the value stored', async () => {
    const k = key();
    expect(await store.settings.setIfAbsent(k, 'first')).to.equal('first');
    expect(await store.settings.setIfAbsent(k, 'second')).to.equal('first');
    expect(await store.settings.get(k)).to.equal('first');
    await store.settings.set(k, 'changed');
    expect(await store.settings.setIfAbsent(k, 'third')).to.equal('changed');
  });

  it('setIfAbsent from several instances at once: one value wins and every caller gets it', async () => {
    for (let round = 0; round < 5; round++) {
      const k = key();
      const answers = await atOnce(store, 4, (i) => store.settings.setIfAbsent(k, 'abcd'[i]));
      expect(new Set(answers).size).to.equal(1);
      expect(await store.settings.get(k)).to.equal(answers[0]);
    }
  });
});
