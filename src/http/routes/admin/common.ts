import type { Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../../../context';
import { forbidden } from '../../../errors';
import { csrfToken, refuseForgedPost } from '../../middleware/csrf';
import { hasAdminCookie, issueAdminCookie } from '../../middleware/session';

export { checked, field, fields, formAction } from '../../forms';

/**
 * Shared pieces of the admin portal: who may enter, how pages render (CSRF token, flash notice,
 * active section), and how a refused form comes back with the admin's input and the reason.
 */
export type Section = 'applications' | 'users' | 'groups' | 'insights';

/**
 * Admins only: anonymous visitors sign in first, signed-in non-admins get a clear 403 page.
 * An admin's request must also carry the SameSite=Strict admin cookie (session.ts), which a
 * browser sends only on same-site requests. Without it the request was started by another site
 * (or predates the cookie): a page view gets an interstitial whose same-site link continues, and
 * the cookie is issued again (safe: a Strict cookie never rides on a cross-site request); any
 * other method is refused and recorded, so a cross-site link or form never acts as the admin.
 */
export function requireAdmin(ctx: AppContext): RequestHandler {
  return (req, res, next) => {
    if (!req.user) {
      res.redirect(303, '/login');
      return;
    }
    if (!req.user.isAdmin) {
      next(forbidden('admin.not_admin', 'The admin portal is for Gatehouse administrators. Your account is not one.'));
      return;
    }
    // Admin pages hold personal data and forms: never cached, never framed.
    res.setHeader('Cache-Control', 'no-store');
    if (hasAdminCookie(ctx, req)) return next();
    issueAdminCookie(ctx, req, res);
    if (req.method === 'GET' || req.method === 'HEAD') {
      res.render('admin/continue', { title: 'Continue to the admin portal', continueUrl: req.originalUrl });
      return;
    }
    const refusal = forbidden('admin.cross_site',
      'This admin change came from another site, so Gatehouse did not make it. Open the admin portal yourself and try again.');
    void refuseForgedPost(ctx, req, refusal).then(next, next);
  };
}

/** Notices after a redirect travel as a fixed code, so nothing from the URL is ever echoed. */
const NOTICES: Record<string, string> = {
  saved: 'Saved.',
  created: 'Application saved.',
  activated: 'Single sign-on is active.',
  deactivated: 'Deactivated.',
  deleted: 'Deleted.',
  'user-created': 'User created.',
  'password-set': 'Password set.',
  'group-created': 'Group created.',
  'idm-activated': 'The Identity Management integration has been verified and activated.',
  'idm-deactivated': 'Identity Management is deactivated: nothing is pushed to the application.',
};

export function renderAdmin(ctx: AppContext, req: Request, res: Response, view: string, section: Section, locals: Record<string, unknown>, status = 200): void {
  const secure = ctx.config.publicUrl.startsWith('https:');
  const notice = typeof req.query.notice === 'string' ? NOTICES[req.query.notice] : undefined;
  res.status(status).render(`admin/${view}`, {
    csrf: csrfToken(req, res, ctx.sessionSecret, secure), section, notice, error: undefined, publicUrl: ctx.config.publicUrl, ...locals,
  });
}
