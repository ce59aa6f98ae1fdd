import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app';
import { createContext } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import type { AppContext } from '../../src/context';
import { createLogger } from '../../src/log';
import { createStore } from '../../src/store';
import { ADMIN_PASSWORD, ADMIN_TOKEN, FakeClock, PUBLIC_URL } from '../helpers/harness';

/**
 * Issue 11 #3: a data directory that vanishes or changes under a running Gatehouse is noticed.
 * A real SQLite file in a temp directory, the real HTTP stack; the store's health answer is kept
 * for a second of the context's clock, so the tests move the clock instead of waiting.
 */
describe('When the SQLite file under a running Gatehouse vanishes or changes', () => {
  let dir: string;
  let file: string;
  let ctx: AppContext;
  let app: ReturnType<typeof createApp>;
  let clock: FakeClock;
  let logs: Record<string, unknown>[];
  const api = () => ({
    get: (p: string) => request(app).get(p).set('Authorization', `Bearer ${ADMIN_TOKEN}`).set('Accept', 'application/json'),
    post: (p: string) => request(app).post(p).set('Authorization', `Bearer ${ADMIN_TOKEN}`).set('Accept', 'application/json'),
  });
  const storeErrors = () => logs.filter((l) => l.message === 'The store cannot serve');
  const probe = async () => { clock.advance(2); return request(app).get('/healthz'); };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-vanish-'));
    file = path.join(dir, 'data', 'gatehouse.db');
    logs = [];
    clock = new FakeClock();
    const config = loadConfig({
      NODE_ENV: 'test', PUBLIC_URL, DATABASE_URL: `sqlite:${file}`, GATEHOUSE_CERTS_DIR: path.join(dir, 'certs'),
      GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN, GATEHOUSE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      GATEHOUSE_KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'), SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
    });
    const log = createLogger('debug', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
    ctx = await createContext(config, { clock, log, print: () => undefined });
    app = createApp(ctx);
  });
  afterEach(async () => {
    await ctx.store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz 200 with the usual body while the file is the one it opened', async () => {
    const res = await probe();
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ok' });
    expect(storeErrors()).to.have.length(0);
  });

  it('when the data directory is deleted: /healthz 503 with the reason, one logged error, writes refused and nothing lost silently', async () => {
    fs.rmSync(path.dirname(file), { recursive: true });

    const answers = [await probe(), await probe(), await probe()];
    for (const res of answers) {
      expect(res.status).to.equal(503);
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.body).to.include({ status: 'unavailable', code: 'store.file_missing' });
      expect(res.body.reason).to.match(/deleted/).and.not.to.contain(dir);
    }
    const errors = storeErrors();
    expect(errors, 'logged once, not per probe').to.have.length(1);
    expect(errors[0]).to.include({ level: 'error', code: 'store.file_missing' });
    expect(errors[0].detail).to.contain(file);

    // A write would land in the deleted file: it is refused, so the client knows it did not happen.
    const write = await api().post('/api/v1/users').send({ username: 'after-rm', email: 'after-rm@example.com' });
    expect(write.status).to.equal(503);
    expect(write.body).to.include({ code: 'store.unavailable' });
    expect(write.headers['retry-after']).to.match(/^\d+$/);
    // Reads still answer from the open file, and show that nothing was written.
    const list = await api().get('/api/v1/users?q=after-rm');
    expect(list.status).to.equal(200);
    expect(JSON.stringify(list.body)).not.to.contain('after-rm');
    expect(await ctx.store.users.findByLogin('after-rm')).to.equal(undefined);
    expect(fs.existsSync(path.dirname(file)), 'nothing recreated the directory').to.equal(false);
  });

  it('when another file is put at the path: 503 and writes refused; the original put back: 200 and writes go to it again', async () => {
    const other = path.join(dir, 'other', 'gatehouse.db');
    await createStore(`sqlite:${other}`).close();
    fs.renameSync(file, `${file}.moved`);
    fs.renameSync(other, file);

    const replaced = await probe();
    expect(replaced.status).to.equal(503);
    expect(replaced.body).to.include({ status: 'unavailable', code: 'store.file_replaced' });
    expect(replaced.body.reason).to.match(/not the one Gatehouse opened/);
    expect((await api().post('/api/v1/users').send({ username: 'while-replaced', email: 'while-replaced@example.com' })).status).to.equal(503);

    fs.renameSync(`${file}.moved`, file);
    const restored = await probe();
    expect(restored.status).to.equal(200);
    expect(restored.body).to.deep.equal({ status: 'ok' });
    expect(logs.filter((l) => l.message === 'The store is healthy again'), 'the recovery is logged once').to.have.length(1);
    expect(storeErrors().map((l) => l.code)).to.deep.equal(['store.file_replaced']);

    await api().post('/api/v1/users').send({ username: 'after-restore', email: 'after-restore@example.com' }).expect(201);
    // A second connection to the file at the path, as the next start would open it.
    const atPath = createStore(`sqlite:${file}`);
    try {
      expect(await atPath.users.findByLogin('after-restore'), 'written to the file at the path').not.to.equal(undefined);
      expect(await atPath.users.findByLogin('while-replaced')).to.equal(undefined);
    } finally {
      await atPath.close();
    }
  });

  it('when the data directory is moved away and back (a volume unmounted and remounted): 503, then 200', async () => {
    const data = path.dirname(file);
    fs.renameSync(data, `${data}.away`);
    expect((await probe()).status).to.equal(503);
    fs.renameSync(`${data}.away`, data);
    expect((await probe()).status).to.equal(200);
    await api().post('/api/v1/users').send({ username: 'after-remount', email: 'after-remount@example.com' }).expect(201);
  });
});
