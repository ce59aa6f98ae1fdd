import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { openStore, type Store, type User } from '../../../src/store';
import { forEachDriver } from './drivers';
import { sampleUser } from './fixtures';

/**
 * Issue 10: the last admin stays, even when two instances demote or delete two admins at the same
 * moment. `users.lockAdmins()` inside the change's transaction makes "another admin remains" and
 * the change one step: PostgreSQL locks the admin rows (a second instance waits, then sees the
 * first one's change); SQLite's BEGIN IMMEDIATE already admits one writer at a time. Each instance
 * is a process of its own (admin-change.ts), as Gatehouse instances and WORKERS=2 are.
 */
const HOLD_MS = 300;

interface Instance { ready: Promise<void>; go(): void; outcome: Promise<string>; stop(): void }

function instance(url: string, action: 'demote' | 'delete', userId: string): Instance {
  // `node --import tsx` runs the script in this one process (the tsx CLI would start a second).
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'admin-change.ts'), url, action, userId, String(HOLD_MS)],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let ready!: () => void;
  const readyLine = new Promise<void>((resolve) => { ready = resolve; });
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); if (out.startsWith('ready\n')) ready(); });
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
  const outcome = new Promise<string>((resolve, reject) => child.on('exit', (code) => {
    const lines = out.trim().split('\n');
    if (code === 0 && lines.length === 2) resolve(lines[1]);
    else reject(new Error(`the instance exited with ${code}: ${out}${err}`));
  }));
  return {
    ready: Promise.race([readyLine, outcome.then(() => undefined)]), go: () => child.stdin.end('go\n'), outcome,
    stop: () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); },
  };
}

/** Start the instances, and once every one has opened the store, let them go at the same moment. */
async function together(instances: Instance[]): Promise<string[]> {
  try {
    await Promise.all(instances.map((i) => i.ready));
    for (const i of instances) i.go();
    return await Promise.all(instances.map((i) => i.outcome));
  } finally {
    // One that failed must not leave the other waiting on stdin (mocha would never exit).
    for (const i of instances) i.stop();
  }
}

forEachDriver('Store contract: the last admin stays when instances race', ({ sharedUrl }) => {
  let url: string;
  let store: Store;
  before(async () => {
    url = await sharedUrl();
    store = await openStore(url, { poolSize: 2 });
  });
  after(async () => { await store?.close(); });

  /** Exactly these admins, and a user who is not one. */
  async function admins(n: number): Promise<User[]> {
    for (const user of (await store.users.list({ limit: 1000, offset: 0 })).items) {
      if (user.isAdmin) await store.users.update(user.id, { isAdmin: false }, new Date().toISOString());
    }
    const made = Array.from({ length: n }, () => sampleUser({ isAdmin: true }));
    for (const user of [...made, sampleUser()]) await store.users.create(user, null);
    return made;
  }

  it('gives the ids of the admins, in one order for every caller', async () => {
    const made = await admins(3);
    const ids = await store.transaction(() => store.users.lockAdmins());
    expect(ids).to.deep.equal(made.map((u) => u.id).sort());
    expect(await store.users.lockAdmins(), 'outside a transaction too (nothing is held then)').to.deep.equal(ids);
  });

  it('of two instances demoting the two admins at once, exactly one does: one admin remains', async () => {
    const [first, second] = await admins(2);
    const outcomes = await together([instance(url, 'demote', first.id), instance(url, 'demote', second.id)]);
    expect(outcomes.sort()).to.deep.equal(['done', 'refused']);
    expect(await store.users.countAdmins()).to.equal(1);
  });

  it('of one instance deleting one of two admins while another demotes the other, exactly one does', async () => {
    const [first, second] = await admins(2);
    const outcomes = await together([instance(url, 'delete', first.id), instance(url, 'demote', second.id)]);
    expect(outcomes.sort()).to.deep.equal(['done', 'refused']);
    expect(await store.users.countAdmins()).to.equal(1);
    const deleted = (await store.users.findById(first.id)) === undefined;
    const demoted = (await store.users.findById(second.id))?.isAdmin === false;
    expect(deleted !== demoted, 'one of the two changes committed').to.equal(true);
  });

  it('lets both of two demotions through when a third admin remains: the one waiting sees the other change, then counts', async () => {
    const [first, second] = await admins(3);
    const outcomes = await together([instance(url, 'demote', first.id), instance(url, 'demote', second.id)]);
    expect(outcomes).to.deep.equal(['done', 'done']);
    expect(await store.users.countAdmins()).to.equal(1);
  });
});
