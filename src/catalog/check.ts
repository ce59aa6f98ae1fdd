import { CatalogError, DEFAULT_CATALOG_DIR, loadCatalog } from './loader';

/** `npm run catalog:check`: validate every manifest, logo and README; exit 1 naming the problem. */
try {
  const catalog = loadCatalog(process.argv[2] ?? DEFAULT_CATALOG_DIR);
  const unverified = catalog.entries.reduce((n, e) => n + e.provenance.unverified.length, 0);
  process.stdout.write(`Catalog OK: ${catalog.entries.length} entries, ${unverified} unverified values flagged for admins.\n`);
} catch (error) {
  process.stderr.write(`${error instanceof CatalogError ? error.message : String(error)}\n`);
  process.exit(1);
}
