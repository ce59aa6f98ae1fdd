import { Router } from 'express';
import type { AppContext } from '../../context';
import { changeOwnPassword } from '../../services/users';
import { requestMeta } from '../middleware/auth';
import { csrfToken, verifyCsrf } from '../middleware/csrf';
import { noStore } from '../middleware/security';
import { formAction } from '../forms';

/** `/account/password`: a signed-in user changes their own password. */
export function accountRouter(ctx: AppContext): Router {
  const router = Router();
  const secure = ctx.config.publicUrl.startsWith('https:');
  const render = (req: Parameters<typeof csrfToken>[0], res: Parameters<typeof csrfToken>[1], status: number, error?: string, done = false) =>
    res.status(status).render('account/password', { title: 'Change password', csrf: csrfToken(req, res, ctx.sessionSecret, secure), error, done });

  router.get('/account/password', noStore, (req, res) => {
    if (!req.user) return res.redirect(303, '/login');
    render(req, res, 200, undefined, req.query.notice === 'changed');
  });
  router.post('/account/password', noStore, verifyCsrf(ctx), async (req, res) => {
    if (!req.user) return res.redirect(303, '/login');
    const body = req.body as Record<string, unknown>;
    const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
    await formAction(res, async () => {
      await changeOwnPassword(ctx, requestMeta(req), req.user!.id, { current: str('current'), password: str('password'), confirm: str('confirm') }, req.sessionID);
      res.redirect(303, '/account/password?notice=changed');
    }, (error) => render(req, res, error.status, error.message));
  });
  return router;
}
