import fs from 'node:fs';
import path from 'node:path';
import { manifestSchema, type CatalogManifest } from './schema';

/**
 * Loads `catalog/<id>/` (manifest.json, logo.svg, README.md) and checks every manifest against the
 * schema. A bad entry stops start-up (and `npm run catalog:check`) with the file and field named.
 */
export const DEFAULT_CATALOG_DIR = path.join(__dirname, '..', '..', 'catalog');
const MAX_LOGO_BYTES = 32 * 1024;

export interface CatalogEntry extends CatalogManifest {
  /** The "configure the SP" instructions, Markdown. */
  readme: string;
  /** A checked SVG: no script, event handlers, external references or foreign content. */
  logoSvg: string;
}

export interface Catalog {
  entries: readonly CatalogEntry[];
  get(id: string): CatalogEntry | undefined;
  /** Case-insensitive search in name, id, category and labels; all entries for an empty query. */
  search(query: string): CatalogEntry[];
}

export class CatalogError extends Error {
  constructor(readonly file: string, readonly field: string, problem: string) {
    super(`Invalid catalog entry ${file}: ${field ? `${field} ` : ''}${problem}`);
    this.name = 'CatalogError';
  }
}

/**
 * Logos are shown as images and served with a sandboxing CSP, but they are also checked here so
 * the catalog never holds an SVG that could run script if opened directly (security.md, SVG XSS).
 */
export function svgProblem(svg: string): string | undefined {
  if (Buffer.byteLength(svg) > MAX_LOGO_BYTES) return `is larger than ${MAX_LOGO_BYTES / 1024} KB`;
  if (!/^\s*<svg[\s>]/.test(svg)) return 'must start with an <svg> element';
  if (/<!DOCTYPE|<!ENTITY|<\?/i.test(svg)) return 'must not contain a DOCTYPE, entities or processing instructions';
  if (/<\s*(script|foreignObject|iframe|object|embed|use|image|a)[\s>/]/i.test(svg)) return 'must not contain script, links, images or foreign content';
  if (/\son[a-z]+\s*=/i.test(svg)) return 'must not contain event handler attributes';
  if (/(?:href|src)\s*=|url\s*\(|javascript:|@import/i.test(svg)) return 'must not reference other resources';
  return undefined;
}

function readEntry(dir: string, id: string): CatalogEntry {
  const manifestFile = path.join(dir, id, 'manifest.json');
  const shown = path.join(id, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  } catch (error) {
    throw new CatalogError(shown, '', fs.existsSync(manifestFile) ? `is not valid JSON (${(error as Error).message})` : 'is missing');
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CatalogError(shown, issue.path.join('.') || '(root)', issue.message);
  }
  if (parsed.data.id !== id) throw new CatalogError(shown, 'id', `must equal the folder name "${id}"`);
  const logoFile = path.join(dir, id, 'logo.svg');
  const readmeFile = path.join(dir, id, 'README.md');
  if (!fs.existsSync(logoFile)) throw new CatalogError(path.join(id, 'logo.svg'), '', 'is missing');
  if (!fs.existsSync(readmeFile)) throw new CatalogError(path.join(id, 'README.md'), '', 'is missing');
  const logoSvg = fs.readFileSync(logoFile, 'utf8');
  const problem = svgProblem(logoSvg);
  if (problem) throw new CatalogError(path.join(id, 'logo.svg'), '', problem);
  return { ...parsed.data, readme: fs.readFileSync(readmeFile, 'utf8'), logoSvg };
}

export function loadCatalog(dir: string = DEFAULT_CATALOG_DIR): Catalog {
  const ids = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const entries = ids.map((id) => readEntry(dir, id));
  for (const required of ['custom-saml', 'bookmark']) {
    if (!entries.some((e) => e.id === required)) throw new CatalogError(required, '', 'is missing: every catalog needs it');
  }
  const byId = new Map(entries.map((e) => [e.id, e]));
  // Custom SAML and Bookmark close the list, as the "add application" page shows them.
  const ordered = [...entries].sort((a, b) => Number(a.category === 'Custom') - Number(b.category === 'Custom') || a.name.localeCompare(b.name));
  return {
    entries: ordered,
    get: (id) => byId.get(id),
    search(query) {
      const q = query.trim().toLowerCase();
      if (!q) return [...ordered];
      return ordered.filter((e) => [e.name, e.id, e.category, ...e.labels].some((v) => v.toLowerCase().includes(q)));
    },
  };
}
