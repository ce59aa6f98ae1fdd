import { Router } from 'express';
import type { AppContext } from '../../context';
import { notFound } from '../../errors';

/**
 * `GET /catalog/<id>/logo.svg`. The SVGs are checked at load (no script, handlers or references),
 * and are also served under a CSP that forbids everything and sandboxes the document, so even an
 * SVG opened directly as a page cannot run anything.
 */
export function catalogLogos(ctx: AppContext): Router {
  const router = Router();
  router.get('/catalog/:id/logo.svg', (req, res) => {
    const entry = ctx.catalog.get(String(req.params.id));
    if (!entry) throw notFound('catalog.not_found', 'The catalog has no entry with this id.');
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('image/svg+xml').send(entry.logoSvg);
  });
  return router;
}
