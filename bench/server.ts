import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app';
import { createContext } from '../src/bootstrap';
import { loadConfig } from '../src/config';
import { SYSTEM } from '../src/insights/recorder';
import { createApplication, bindGroup } from '../src/services/applications';
import { addMember, createGroup } from '../src/services/groups';
import { createUser } from '../src/services/users';

/**
 * The benchmark's Gatehouse: a child process with a file-backed SQLite store (as in production),
 * an authorized user and an app. It tells the parent its port and slug over IPC.
 */
async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', PUBLIC_URL: 'http://127.0.0.1', DATABASE_URL: `sqlite:${dir}/bench.db`,
    GATEHOUSE_CERTS_DIR: dir, GATEHOUSE_ADMIN_PASSWORD: 'bench admin password', LOG_LEVEL: 'silent',
    SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
  });
  const ctx = await createContext(config, { print: () => undefined });
  const user = await createUser(ctx, SYSTEM, { username: 'bench', email: 'bench@example.com', firstName: 'Bench', lastName: 'User', password: 'bench user password' });
  const group = await createGroup(ctx, SYSTEM, { name: 'Engineering' });
  await addMember(ctx, SYSTEM, group.id, user.id);
  const app = await createApplication(ctx, SYSTEM, {
    catalogId: 'custom-saml', displayLabel: 'Bench Wiki', slug: 'bench',
    sso: { spEntityId: 'https://wiki.example/sp', acsUrls: ['https://wiki.example/acs'] },
    attributes: [{ name: 'email', source: 'email' }, { name: 'firstName', source: 'firstName' },
      { name: 'lastName', source: 'lastName' }, { name: 'groups', source: 'groups' }, { name: 'plan', value: 'enterprise' }],
  });
  await bindGroup(ctx, SYSTEM, app.id, group.id);
  const server = createApp(ctx).listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port, slug: app.slug });
  });
  // The parent asks for CPU time (user + system, all threads) around each round.
  process.on('message', (m) => {
    if (m === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpu: user + system });
    }
  });
  process.on('disconnect', () => {
    server.close();
    void ctx.store.close().then(() => fs.rmSync(dir, { recursive: true, force: true }));
  });
}

void main();
