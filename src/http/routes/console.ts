import { Router } from 'express';
import type { AppContext } from '../../context';
import { noStore } from '../middleware/security';

/** `/`: the signed-in user's applications (the full tile console comes with the console issue). */
export function consoleRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/', noStore, async (req, res) => {
    if (!req.user) return res.redirect(303, '/login');
    const apps = (await ctx.store.applications.listForUser(req.user.id)).filter((a) => a.ssoActive && a.showInPortal);
    res.render('console/index', { title: 'Your applications', user: req.user, apps });
  });
  return router;
}
