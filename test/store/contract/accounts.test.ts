import crypto from 'node:crypto';
import { expect } from 'chai';
import { StoreConstraintError, type IdmConnection, type MfaEnrolment, type Store } from '../../../src/store';
import { forEachDriver } from './drivers';
import { sampleApplication, sampleUser } from './fixtures';

/** Sign-in protection (throttle, MFA), Identity Management connections and imports, on every driver. */

const iso = (offsetMs = 0) => new Date(Date.UTC(2026, 11, 2, 12, 0, 0) + offsetMs).toISOString();

async function constraintError(attempt: Promise<unknown>): Promise<StoreConstraintError> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error).to.be.instanceOf(StoreConstraintError);
  return error as StoreConstraintError;
}

forEachDriver('Store contract: sign-in throttle', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });
  const key = () => `account:${crypto.randomBytes(4).toString('hex')}`;

  it('finds nothing for an unknown key, and what was put, with a null block', async () => {
    const k = key();
    expect(await store.throttle.find(k)).to.equal(undefined);
    await store.throttle.put({ key: k, failures: 1, windowStart: iso(), blockedUntil: null });
    expect(await store.throttle.find(k)).to.deep.equal({ key: k, failures: 1, windowStart: iso(), blockedUntil: null });
  });

  it('puts by key: a second put replaces the whole state', async () => {
    const k = key();
    await store.throttle.put({ key: k, failures: 1, windowStart: iso(), blockedUntil: null });
    await store.throttle.put({ key: k, failures: 5, windowStart: iso(1000), blockedUntil: iso(60_000) });
    expect(await store.throttle.find(k)).to.deep.equal({ key: k, failures: 5, windowStart: iso(1000), blockedUntil: iso(60_000) });
    await store.throttle.put({ key: k, failures: 0, windowStart: iso(2000), blockedUntil: null });
    expect(await store.throttle.find(k)).to.deep.equal({ key: k, failures: 0, windowStart: iso(2000), blockedUntil: null });
  });

  it('deletes a key, and deleting a missing key is no error', async () => {
    const k = key();
    await store.throttle.put({ key: k, failures: 2, windowStart: iso(), blockedUntil: null });
    await store.throttle.delete(k);
    expect(await store.throttle.find(k)).to.equal(undefined);
    await store.throttle.delete(k);
  });

  it('purges windows that started before the time unless a block lasts past it, and counts them', async () => {
    const fresh = await open();
    const [old, oldBlockedLong, oldBlockExpired, recent] = ['old', 'blocked-long', 'block-expired', 'recent'];
    await fresh.throttle.put({ key: old, failures: 3, windowStart: iso(-3_600_000), blockedUntil: null });
    await fresh.throttle.put({ key: oldBlockedLong, failures: 9, windowStart: iso(-3_600_000), blockedUntil: iso(3_600_000) });
    await fresh.throttle.put({ key: oldBlockExpired, failures: 9, windowStart: iso(-3_600_000), blockedUntil: iso(-60_000) });
    await fresh.throttle.put({ key: recent, failures: 1, windowStart: iso(), blockedUntil: null });
    expect(await fresh.throttle.purgeBefore(iso())).to.equal(2);
    expect(await fresh.throttle.find(old)).to.equal(undefined);
    expect(await fresh.throttle.find(oldBlockExpired)).to.equal(undefined);
    expect(await fresh.throttle.find(oldBlockedLong)).to.not.equal(undefined);
    expect(await fresh.throttle.find(recent)).to.not.equal(undefined);
    expect(await fresh.throttle.purgeBefore(iso())).to.equal(0);
  });

  it('refuses a negative failure count', async () => {
    const error = await constraintError(store.throttle.put({ key: key(), failures: -1, windowStart: iso(), blockedUntil: null }));
    expect([error.kind, error.field]).to.deep.equal(['check', 'failures']);
  });

  it('takes puts for the same new key from several instances at once: no conflict, one state wins', async () => {
    const k = key();
    await Promise.all([1, 2, 3, 4].map((failures) => store.throttle.put({ key: k, failures, windowStart: iso(), blockedUntil: null })));
    const state = await store.throttle.find(k);
    expect(state?.failures).to.be.oneOf([1, 2, 3, 4]);
  });
});

forEachDriver('Store contract: MFA enrolments', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });
  const enrolled = async (overrides: Partial<MfaEnrolment> = {}): Promise<MfaEnrolment> => {
    const user = sampleUser();
    await store.users.create(user, null);
    return { userId: user.id, sealedSecret: 'sealed:abc', confirmed: false, recoveryCodeHashes: [], lastUsedStep: null, createdAt: iso(), ...overrides };
  };

  it('finds nothing for a user without one, and an unconfirmed enrolment as put', async () => {
    const e = await enrolled();
    expect(await store.mfa.find(e.userId)).to.equal(undefined);
    await store.mfa.put(e);
    expect(await store.mfa.find(e.userId)).to.deep.equal(e);
  });

  it('replaces the enrolment on a second put but keeps when it was created; hashes stay a list in order', async () => {
    const e = await enrolled();
    await store.mfa.put(e);
    const confirmed = { ...e, sealedSecret: 'sealed:def', confirmed: true, recoveryCodeHashes: ['h3', 'h1', 'h2'], lastUsedStep: 59_356_800, createdAt: iso(5000) };
    await store.mfa.put(confirmed);
    expect(await store.mfa.find(e.userId)).to.deep.equal({ ...confirmed, createdAt: e.createdAt });
    await store.mfa.put({ ...confirmed, recoveryCodeHashes: ['h1'], lastUsedStep: 59_356_801 });
    const found = await store.mfa.find(e.userId);
    expect(found?.recoveryCodeHashes).to.deep.equal(['h1']);
    expect(found?.lastUsedStep).to.equal(59_356_801);
  });

  it('deletes an enrolment: true once, then false', async () => {
    const e = await enrolled({ confirmed: true, recoveryCodeHashes: ['x'], lastUsedStep: 1 });
    await store.mfa.put(e);
    expect(await store.mfa.delete(e.userId)).to.equal(true);
    expect(await store.mfa.find(e.userId)).to.equal(undefined);
    expect(await store.mfa.delete(e.userId)).to.equal(false);
  });

  it('goes with its user', async () => {
    const e = await enrolled();
    await store.mfa.put(e);
    await store.users.delete(e.userId);
    expect(await store.mfa.find(e.userId)).to.equal(undefined);
  });

  it('refuses an enrolment for a user that does not exist', async () => {
    const error = await constraintError(store.mfa.put({ ...(await enrolled()), userId: crypto.randomUUID() }));
    expect(error.kind).to.equal('reference');
  });

  it('takes two puts for the same user at once without a conflict', async () => {
    const e = await enrolled();
    await Promise.all(['sealed:1', 'sealed:2'].map((sealedSecret) => store.mfa.put({ ...e, sealedSecret })));
    expect((await store.mfa.find(e.userId))?.sealedSecret).to.be.oneOf(['sealed:1', 'sealed:2']);
  });
});

forEachDriver('Store contract: Identity Management connections', ({ open }) => {
  let store: Store;
  before(async () => { store = await open(); });
  const connection = async (overrides: Partial<IdmConnection> = {}, on = store): Promise<IdmConnection> => {
    const app = sampleApplication();
    await on.applications.create(app);
    return {
      appId: app.id, baseUrl: 'https://scim.example/v2', sealedToken: 'sealed:token', tokenHint: 'wxyz', active: false,
      groupsEnabled: false, excludedMappings: [], role: null, activatedAt: null, updatedAt: iso(), ...overrides,
    };
  };

  it('finds nothing for an app without one, and a connection as put (no role, nothing excluded)', async () => {
    const c = await connection();
    expect(await store.idm.find(c.appId)).to.equal(undefined);
    await store.idm.put(c);
    expect(await store.idm.find(c.appId)).to.deep.equal(c);
  });

  it('replaces every field on a second put, the role and the excluded mappings included', async () => {
    const c = await connection();
    await store.idm.put(c);
    const changed: IdmConnection = {
      ...c, baseUrl: 'https://other.example/scim', sealedToken: 'sealed:new', tokenHint: 'abcd', active: true, groupsEnabled: true,
      excludedMappings: ['title', 'name.givenName'], role: { attribute: 'roles', value: 'member' }, activatedAt: iso(1000), updatedAt: iso(1000),
    };
    await store.idm.put(changed);
    expect(await store.idm.find(c.appId)).to.deep.equal(changed);
    await store.idm.put({ ...changed, role: null, active: false });
    expect(await store.idm.find(c.appId)).to.deep.equal({ ...changed, role: null, active: false });
  });

  it('deletes a connection: true once, then false; and it goes with its app', async () => {
    const c = await connection();
    await store.idm.put(c);
    expect(await store.idm.delete(c.appId)).to.equal(true);
    expect(await store.idm.delete(c.appId)).to.equal(false);
    const d = await connection();
    await store.idm.put(d);
    await store.applications.delete(d.appId);
    expect(await store.idm.find(d.appId)).to.equal(undefined);
  });

  it('lists the apps whose connection is active, and only those', async () => {
    const fresh = await open();
    const on1 = await connection({ active: true }, fresh);
    const off = await connection({ active: false }, fresh);
    const on2 = await connection({ active: true }, fresh);
    for (const c of [on1, off, on2]) await fresh.idm.put(c);
    expect(await fresh.idm.activeAppIds()).to.have.members([on1.appId, on2.appId]).and.have.length(2);
    await fresh.idm.put({ ...on1, active: false });
    expect(await fresh.idm.activeAppIds()).to.deep.equal([on2.appId]);
  });

  it('refuses a connection for an app that does not exist', async () => {
    const error = await constraintError(store.idm.put({ ...(await connection()), appId: crypto.randomUUID() }));
    expect(error.kind).to.equal('reference');
  });
});

forEachDriver('Store contract: user imports', ({ open }) => {
  let store: Store;
  let appId: string;
  before(async () => {
    store = await open();
    const app = sampleApplication();
    await store.applications.create(app);
    appId = app.id;
  });

  it('finds nothing for an unknown id, and an import as created', async () => {
    const entry = { id: crypto.randomUUID(), appId, total: 12, done: 0, failed: 0, status: 'running' as const, createdAt: iso() };
    expect(await store.imports.find(entry.id)).to.equal(undefined);
    await store.imports.create(entry);
    expect(await store.imports.find(entry.id)).to.deep.equal(entry);
  });

  it('records progress as absolute counts and the final status', async () => {
    const entry = { id: crypto.randomUUID(), appId, total: 3, done: 0, failed: 0, status: 'running' as const, createdAt: iso() };
    await store.imports.create(entry);
    await store.imports.progress(entry.id, 1, 0, 'running', iso(1000));
    await store.imports.progress(entry.id, 2, 1, 'finished', iso(2000));
    expect(await store.imports.find(entry.id)).to.deep.equal({ ...entry, done: 2, failed: 1, status: 'finished' });
    await store.imports.progress(crypto.randomUUID(), 1, 1, 'finished', iso());
  });

  it('refuses a second import with the same id, naming the field as SQLite does', async () => {
    const entry = { id: crypto.randomUUID(), appId, total: 1, done: 0, failed: 0, status: 'running' as const, createdAt: iso() };
    await store.imports.create(entry);
    const error = await constraintError(store.imports.create(entry));
    expect([error.kind, error.field]).to.deep.equal(['unique', 'user_imports.id']);
  });

  it('refuses an import for an app that does not exist, and imports go with their app', async () => {
    const error = await constraintError(store.imports.create({ id: crypto.randomUUID(), appId: crypto.randomUUID(), total: 1, done: 0, failed: 0, status: 'running', createdAt: iso() }));
    expect(error.kind).to.equal('reference');
    const app = sampleApplication();
    await store.applications.create(app);
    const entry = { id: crypto.randomUUID(), appId: app.id, total: 1, done: 0, failed: 0, status: 'running' as const, createdAt: iso() };
    await store.imports.create(entry);
    await store.applications.delete(app.id);
    expect(await store.imports.find(entry.id)).to.equal(undefined);
  });
});
