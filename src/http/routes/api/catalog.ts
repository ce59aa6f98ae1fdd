import { Router } from 'express';
import { z } from 'zod';
import type { CatalogEntry } from '../../../catalog/loader';
import type { AppContext } from '../../../context';
import { notFound } from '../../../errors';
import { parseInput } from '../../../services/validation';

const catalogQuery = z.strictObject({ q: z.string().max(200).default('') });

/** What a list shows of an entry; `GET /catalog/<id>` adds the templates, provenance and README. */
export function catalogSummary(entry: CatalogEntry) {
  return {
    id: entry.id, name: entry.name, category: entry.category, description: entry.description, ssoType: entry.ssoType,
    labels: entry.labels, color: entry.color, logoUrl: `/catalog/${entry.id}/logo.svg`,
    placeholders: entry.placeholders.map((p) => p.name), unverifiedCount: entry.provenance.unverified.length,
  };
}

/** `GET /api/v1/catalog?q=` and `GET /api/v1/catalog/<id>`: the entries admins add apps from. */
export function catalogApi(ctx: AppContext): Router {
  const router = Router();
  router.get('/catalog', (req, res) => {
    const { q } = parseInput(catalogQuery, req.query);
    const items = ctx.catalog.search(q).map(catalogSummary);
    res.json({ items, total: items.length });
  });
  router.get('/catalog/:id', (req, res) => {
    const entry = ctx.catalog.get(String(req.params.id));
    if (!entry) throw notFound('catalog.not_found', 'The catalog has no entry with this id.');
    const { logoSvg: _logo, ...rest } = entry;
    res.json({ ...rest, logoUrl: `/catalog/${entry.id}/logo.svg` });
  });
  return router;
}
