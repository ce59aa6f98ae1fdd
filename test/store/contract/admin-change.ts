import readline from 'node:readline';
import { openStore } from '../../../src/store';

/**
 * One instance demoting or deleting an admin, as services/users.ts does it, in a process of its
 * own (directory-last-admin.test.ts): Gatehouse instances, and SQLite's WORKERS=2, are processes,
 * and two SQLite connections in one process cannot overlap (the second BEGIN IMMEDIATE would block
 * the only thread until the first gives up). It opens the store, says `ready`, waits for a line on
 * stdin, then in one transaction locks the admins, checks that another admin remains, holds the
 * transaction `holdMs` (synchronously: the SQLite driver refuses a unit of work that awaits other
 * I/O) so the other instance's attempt overlaps it, makes the change, and prints `done` or `refused`.
 * Usage: node --import tsx admin-change.ts <database URL> demote|delete <user id> <holdMs>
 */
async function main(): Promise<void> {
  const [url, action, userId, holdMs] = process.argv.slice(2);
  const store = await openStore(url, { poolSize: 1 });
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => readline.createInterface({ input: process.stdin }).once('line', () => resolve()));
  const outcome = await store.transaction(async () => {
    const admins = await store.users.lockAdmins();
    if (admins.includes(userId) && admins.length <= 1) return 'refused';
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(holdMs));
    if (action === 'delete') await store.users.delete(userId);
    else await store.users.update(userId, { isAdmin: false }, new Date().toISOString());
    return 'done';
  });
  await store.close();
  process.stdout.write(`${outcome}\n`);
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
