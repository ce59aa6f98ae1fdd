import { Router } from 'express';
import type { AppContext } from '../../../context';
import { adminApplications } from './applications';
import { requireAdmin } from './common';
import { adminDirectory } from './directory';
import { adminImports } from './imports';
import { adminInsights } from './insights';

/** `/admin`: the admin portal. Admins only; every form carries a CSRF token; nothing is cached. */
export function adminRouter(ctx: AppContext): Router {
  const router = Router();
  router.use(requireAdmin(ctx));
  router.get('/', (_req, res) => res.redirect(303, '/admin/applications'));
  router.use(adminApplications(ctx));
  router.use(adminDirectory(ctx));
  router.use(adminInsights(ctx));
  router.use(adminImports(ctx));
  return router;
}
