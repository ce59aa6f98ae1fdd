import { expect } from 'chai';
import crypto from 'node:crypto';
import { createContext } from '../../../src/bootstrap';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/log';
import { forEachDriver } from './drivers';
import { rawSql } from './raw-sql';

/** Issue 11: start-up says when the event roll-ups are behind the events table, and which command catches them up. */
forEachDriver('Start-up: derived event data behind', ({ kind, sharedUrl }) => {
  const start = async (url: string) => {
    const lines: string[] = [];
    const config = loadConfig({
      NODE_ENV: 'test', DATABASE_URL: url, LOG_LEVEL: 'warn', GATEHOUSE_ADMIN_PASSWORD: 'correct horse battery staple',
      GATEHOUSE_KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'), SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
    });
    const ctx = await createContext(config, { log: createLogger('warn', (line) => lines.push(line)), print: () => undefined });
    const warnings = lines.map((l) => JSON.parse(l) as { level: string; message: string; eventIdsBehind?: number }).filter((l) => l.level === 'warn');
    return { ctx, warnings: warnings.filter((w) => w.message.includes('roll-ups')) };
  };

  it('warns, naming npm run store:rebuild, when events were imported without roll-ups, and not after the rebuild', async () => {
    const url = await sharedUrl();
    const first = await start(url);
    expect(first.warnings).to.deep.equal([]);
    await first.ctx.store.close();
    await rawSql(kind, url, (run) => run(`INSERT INTO events (time, type, outcome, actor_type, detail_json)
      VALUES ('2026-12-01T10:00:00.000Z', 'sso_auth', 'success', 'user', '{}'), ('2026-12-01T10:01:00.000Z', 'sso_auth', 'success', 'user', '{}')`));
    const second = await start(url);
    try {
      expect(second.warnings).to.have.length(1);
      expect(second.warnings[0].message).to.contain('npm run store:rebuild');
      expect(second.warnings[0].eventIdsBehind).to.equal(2);
      await second.ctx.store.events.rebuildDerived();
    } finally {
      await second.ctx.store.close();
    }
    const third = await start(url);
    await third.ctx.store.close();
    expect(third.warnings).to.deep.equal([]);
  });

  it('on a store upgraded with events in it, answers exactly at once and warns until the rebuild', async () => {
    const url = await sharedUrl();
    const first = await start(url);
    await first.ctx.store.close();
    // Back to the schema before the roll-ups (SQLite 15, PostgreSQL 3), with events in it.
    await rawSql(kind, url, (run) => run(`DROP TABLE event_hours; DROP TABLE event_hours_gaps;
      DROP INDEX events_by_actor; DROP INDEX events_by_target; DROP INDEX events_by_outcome; CREATE INDEX events_by_time ON events (time);
      DELETE FROM schema_migrations WHERE version = ${kind === 'sqlite' ? 15 : 3};
      INSERT INTO events (time, type, outcome, actor_type, actor_id, detail_json)
        VALUES ('2026-12-01T10:00:00.000Z', 'sso_auth', 'success', 'user', 'u1', '{}'), ('2026-12-01T12:30:00.000Z', 'sso_auth', 'failure', 'user', 'u1', '{}')`));
    const upgraded = await start(url);
    const { store } = upgraded.ctx;
    try {
      expect(upgraded.warnings).to.have.length(1);
      const window = { since: '2026-12-01T00:00:00.000Z', until: '2026-12-02T00:00:00.000Z' };
      const answers = async () => ({
        days: await store.events.histogram({ ...window, type: 'sso_auth' }, 86_400),
        listed: (await store.events.list({ ...window, userId: 'u1', limit: 10 })).map((e) => e.time),
      });
      const expected = {
        days: [{ start: window.since, success: 1, failure: 1 }],
        listed: ['2026-12-01T12:30:00.000Z', '2026-12-01T10:00:00.000Z'],
      };
      expect(await answers()).to.deep.equal(expected);
      await store.events.rebuildDerived();
      expect(await store.events.derivedBehind()).to.equal(0);
      expect(await answers()).to.deep.equal(expected);
    } finally {
      await store.close();
    }
  });
});
