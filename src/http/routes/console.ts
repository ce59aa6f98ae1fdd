import { Router } from 'express';
import type { AppContext } from '../../context';
import { noStore } from '../middleware/security';

/**
 * `/`: the user console. One tile per application the user may use (a bound group), that is
 * active and shown in the user portal; hidden and deactivated apps never appear. A SAML tile
 * launches IdP-initiated SSO; a bookmark tile opens its URL. `?q=` filters without JavaScript.
 */
const SEARCH_FROM_TILES = 8;

export function consoleRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/', noStore, async (req, res) => {
    if (!req.user) return res.redirect(303, '/login');
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 100) : '';
    const all = (await ctx.store.applications.listForUser(req.user.id)).filter((a) => a.ssoActive && a.showInPortal);
    const needle = q.toLowerCase();
    const apps = needle ? all.filter((a) => `${a.displayLabel} ${a.description}`.toLowerCase().includes(needle)) : all;
    res.render('console/index', { title: 'Your applications', user: req.user, apps, total: all.length, q, searchable: all.length >= SEARCH_FROM_TILES || q !== '' });
  });
  return router;
}
