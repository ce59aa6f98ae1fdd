import cluster from 'node:cluster';
import http, { type Server } from 'node:http';
import { createApp } from './app';
import { createContext } from './bootstrap';
import { CatalogError } from './catalog/loader';
import { runPrimary, tagged, workerFields } from './cluster';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './log';
import { startBackgroundWork } from './services/background';
import { StoreMissingError } from './store-marker';

/**
 * Process entry: config → context (store, keys, first admin) → app → listen; graceful SIGTERM.
 * With WORKERS > 1 this process becomes the cluster primary (src/cluster.ts) and every worker it
 * forks runs serve(); WORKERS=1 runs serve() here, a single process as before.
 */
async function main(): Promise<void> {
  // `--init` is GATEHOUSE_INIT=true for this start (README, "Data directory"); it is the only flag.
  const args = process.argv.slice(2);
  const unknown = args.find((arg) => arg !== '--init');
  if (unknown !== undefined) throw new ConfigError('command line', `has an unknown argument "${unknown}"; the only one is --init`);
  const config = loadConfig(args.includes('--init') ? { ...process.env, GATEHOUSE_INIT: 'true' } : process.env);
  const log = createLogger(config.logLevel);
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, log);
  await serve(config, cluster.isWorker ? tagged(log, workerFields()) : log);
}

async function serve(config: ReturnType<typeof loadConfig>, log: ReturnType<typeof createLogger>): Promise<void> {
  const ctx = await createContext(config, { log });
  const app = createApp(ctx);
  const listening = () => {
    ctx.log.info('Gatehouse is listening', { url: config.publicUrl, port: config.port, database: config.databaseUrl.split(':')[0] });
  };
  // A worker names itself on every response, so an operator (and the cluster test) can tell
  // which process answered; a single process keeps today's headers.
  const workerId = cluster.worker ? String(cluster.worker.id) : undefined;
  const server: Server = workerId
    ? http.createServer((req, res) => { res.setHeader('X-Gatehouse-Worker', workerId); app(req, res); }).listen(config.port, config.host, listening)
    : app.listen(config.port, config.host, listening);
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
  // A primary killed without its SIGTERM (kill -9) closes the IPC channel: stop rather than
  // linger as an orphan holding the port's connections.
  if (cluster.isWorker) process.on('disconnect', () => stop('primary gone'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof CatalogError || error instanceof StoreMissingError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Gatehouse could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
