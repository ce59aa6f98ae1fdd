import type { Server } from 'node:http';
import { createApp } from './app';
import { createContext } from './bootstrap';
import { CatalogError } from './catalog/loader';
import { ConfigError, loadConfig } from './config';
import { startBackgroundWork } from './services/background';

/** Process entry: config → context (store, keys, first admin) → app → listen; graceful SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
  const ctx = await createContext(config);
  const app = createApp(ctx);
  const server: Server = app.listen(config.port, config.host, () => {
    ctx.log.info('Gatehouse is listening', { url: config.publicUrl, port: config.port, database: config.databaseUrl.split(':')[0] });
  });
  const background = startBackgroundWork(ctx);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    ctx.log.info('Stopping', { signal });
    background.stop();
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
