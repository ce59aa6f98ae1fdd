import crypto from 'node:crypto';
import { loadCatalog, type Catalog } from './catalog/loader';
import type { Config } from './config';
import { createSecretBox } from './crypto/secret-box';
import { ConfigError } from './config';
import { systemClock, type AppContext, type Clock } from './context';
import { createInsights, SYSTEM } from './insights/recorder';
import { createLogger, type Logger } from './log';
import { createKeyService, resolveKeyEncryptionKey } from './services/keys';
import { createUser } from './services/users';
import { openStore, StoreConstraintError, type Store, type StoreHealth } from './store';
import { openStoreMarker } from './store-marker';

/**
 * Build the AppContext: open the store (migrations run; a recorded store that vanished is refused,
 * src/store-marker.ts), resolve secrets, make sure a signing key and a first admin exist. Shared
 * by main.ts and the tests, so both start the same way.
 */
export async function createContext(config: Readonly<Config>, options: { clock?: Clock; log?: Logger; print?: (line: string) => void; catalog?: Catalog } = {}): Promise<AppContext> {
  const log = options.log ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  // A bad manifest stops start-up before anything is opened (CatalogError names file and field).
  const catalog = options.catalog ?? loadCatalog();
  const marker = openStoreMarker(config, log);
  marker?.beforeOpen();
  const store = await openStore(config.databaseUrl, {
    poolSize: config.databasePoolSize, readBudgetMs: config.adminQueryTimeoutMs, now: () => clock.now().getTime(), onHealthChange: (health) => reportHealth(log, health),
  });
  try {
    await marker?.afterOpen(store, clock.now());
    await warnWhenDerivedBehind(store, log);
    const sessionSecret = config.sessionSecret
      ?? (await store.settings.setIfAbsent('dev_session_secret', crypto.randomBytes(32).toString('base64url')));
    if (!config.sessionSecret) log.warn('Using a generated session secret kept in the store; set SESSION_SECRET in production');
    const keyEncryptionKey = resolveKeyEncryptionKey(config, log);
    const keys = await createKeyService({ store, config, log, keyEncryptionKey, now: () => clock.now() });
    const ctx: AppContext = { config, store, catalog, keys, secrets: createSecretBox(keyEncryptionKey), clock, log, insights: createInsights(store, clock, log), sessionSecret };
    await ensureFirstAdmin(ctx, options.print ?? ((line) => process.stdout.write(`${line}\n`)));
    return ctx;
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Once per change of state, not per probe: an operator is told when the store fails and when it is back. */
function reportHealth(log: Logger, health: StoreHealth): void {
  if (health.ok) log.info('The store is healthy again');
  else log.error('The store cannot serve', { code: health.code, reason: health.reason, detail: health.detail });
}

/**
 * Derived data (the per-hour event roll-ups) that does not cover every event: a store upgraded
 * from before them, or events imported straight into the table. Answers stay exact (those events
 * are read from the table), only slower, until the rebuild has run: say so, and how.
 */
export const REBUILD_COMMAND = 'npm run store:rebuild';
async function warnWhenDerivedBehind(store: Store, log: Logger): Promise<void> {
  const behind = await store.events.derivedBehind();
  if (behind === 0) return;
  log.warn(`Directory Insights roll-ups do not cover ${behind} event ids yet (an upgraded or imported store): insights read those events from the events table, more slowly, until you run ${REBUILD_COMMAND} (safe while Gatehouse runs)`,
    { eventIdsBehind: behind, command: REBUILD_COMMAND });
}

/** First start: create the bootstrap admin; a generated password is printed once, never logged. */
async function ensureFirstAdmin(ctx: AppContext, print: (line: string) => void): Promise<void> {
  if ((await ctx.store.users.countAdmins()) > 0) return;
  if (!ctx.config.adminPassword && ctx.config.nodeEnv === 'production') {
    throw new ConfigError('GATEHOUSE_ADMIN_PASSWORD', 'is required for the first start when NODE_ENV=production');
  }
  const password = ctx.config.adminPassword ?? crypto.randomBytes(15).toString('base64url');
  const email = ctx.config.adminEmail;
  try {
    await createUser(ctx, SYSTEM, {
      username: email, email, firstName: 'Gatehouse', lastName: 'Admin', isAdmin: true, password,
    });
  } catch (error) {
    // Several instances starting together on one database: another one created the admin first
    // (and printed its password); this one uses that account.
    if (error instanceof StoreConstraintError && error.kind === 'unique') return;
    throw error;
  }
  if (!ctx.config.adminPassword) {
    print('');
    print('  First start: created the Gatehouse admin account.');
    print(`    sign in at ${ctx.config.publicUrl}/login`);
    print(`    username:  ${email}`);
    print(`    password:  ${password}`);
    print('  This password is shown only once. Change it after signing in.');
    print('');
  }
}
