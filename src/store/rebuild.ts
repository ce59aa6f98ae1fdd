import { ConfigError, loadConfig } from '../config';
import { openStore, type DerivedProgress } from './index';

/**
 * `npm run store:rebuild [-- --batch-size N]`: recompute the store's derived data (the per-hour
 * event roll-ups of Directory Insights, and the user search index) from the base tables, for a restored backup or a store
 * whose events were imported straight into the table. It opens the store DATABASE_URL names,
 * read like the server reads it (src/config.ts), and is safe while Gatehouse runs: it works in
 * short transactions, newest events first, and the insights stay exact meanwhile (events not
 * yet redone are read from the table, more slowly). Start-up warns when this is needed.
 */
function batchSize(argv: string[]): number | undefined {
  const at = argv.indexOf('--batch-size');
  if (at === -1) return undefined;
  const value = Number(argv[at + 1]);
  if (!Number.isInteger(value) || value < 1 || value > 1_000_000) {
    throw new ConfigError('--batch-size', `must be a whole number of events from 1 to 1000000, got "${argv[at + 1] ?? ''}"`);
  }
  return value;
}

async function main(): Promise<void> {
  const size = batchSize(process.argv.slice(2));
  const config = loadConfig();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  // The URL may hold a password: name the scheme only.
  out(`Rebuilding derived data of the ${config.databaseUrl.split(':')[0]} store (DATABASE_URL)…`);
  const store = await openStore(config.databaseUrl, { poolSize: 2 });
  const started = Date.now();
  let shown = 0;
  const show = (p: DerivedProgress) => {
    const pct = p.total === 0 ? 100 : Math.floor((p.done / p.total) * 100);
    out(`  event roll-ups: ${p.done.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} event ids (${pct} %), ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };
  try {
    const result = await store.events.rebuildDerived((p) => {
      if (Date.now() - shown < 1000) return;
      shown = Date.now();
      show(p);
    }, { batchSize: size });
    show(result);
    // The user search index (FTS5 on SQLite; PostgreSQL's generated column is always current).
    const at = Date.now();
    await store.users.rebuildSearchIndex();
    out(`  user search index rebuilt in ${((Date.now() - at) / 1000).toFixed(1)} s`);
    out('Done: the roll-ups cover every event, and the search index every user.');
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    // The ids not redone stay recorded as such: the insights stay exact, and a new run starts over.
    process.stderr.write(`The rebuild stopped: ${error instanceof Error ? error.message : String(error)}\nRun it again: it starts over.\n`);
  }
  process.exit(1);
});
