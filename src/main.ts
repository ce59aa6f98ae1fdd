import type { Server } from 'node:http';
import { createApp } from './app';
import { createContext } from './bootstrap';
import { CatalogError } from './catalog/loader';
import { ConfigError, loadConfig } from './config';
import { runDueJobs } from './services/provisioning';

/** Process entry: config → context (store, keys, first admin) → app → listen; graceful SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
  const ctx = await createContext(config);
  const app = createApp(ctx);
  const server: Server = app.listen(config.port, config.host, () => {
    ctx.log.info('Gatehouse is listening', { url: config.publicUrl, port: config.port, database: config.databaseUrl.split(':')[0] });
  });
  const purge = setInterval(() => {
    const now = ctx.clock.now().toISOString();
    const hourAgo = new Date(ctx.clock.now().getTime() - 3_600_000).toISOString();
    void ctx.store.sessions.purgeExpired(now).then(() => ctx.store.ssoState.purgeExpired(now))
      .then(() => ctx.store.throttle.purgeBefore(hourAgo)).catch((error) => ctx.log.error('Purge failed', { error }));
  }, 60_000);
  purge.unref();
  // Provisioning worker: due SCIM jobs, one batch at a time (jobs live in the store, so a restart
  // picks up where this left off).
  let working = false;
  const provision = setInterval(() => {
    if (working) return;
    working = true;
    void runDueJobs(ctx).catch((error) => ctx.log.error('Provisioning run failed', { error })).finally(() => { working = false; });
  }, 1000);
  provision.unref();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    ctx.log.info('Stopping', { signal });
    clearInterval(purge);
    clearInterval(provision);
    // Let in-flight requests finish, close idle keep-alive sockets, then close the store.
    server.close(() => {
      void ctx.store.close().then(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof CatalogError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Gatehouse could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
