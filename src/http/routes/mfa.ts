import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppContext } from '../../context';
import * as mfa from '../../services/mfa';
import { formAction } from '../forms';
import { requestMeta } from '../middleware/auth';
import { csrfToken, verifyCsrf } from '../middleware/csrf';
import { noStore } from '../middleware/security';
import { afterSignInUrl, completeSignIn } from '../sign-in';

/**
 * Two-step sign-in: `/login/mfa` asks for the TOTP (or a recovery code) after the password, and
 * `/account/mfa` is where a user sets it up (QR code, then recovery codes shown once) or turns it
 * off. While an admin requires MFA that is not set up yet, only enrolment and sign-out are open.
 */
const PENDING_MFA_MS = 5 * 60 * 1000;
const OPEN_DURING_SETUP = /^\/(account\/mfa|logout|static\/|catalog\/)/;

export function requireMfaSetup(): RequestHandler {
  return (req, res, next) => {
    if (req.user && req.session.mfaSetupRequired && !OPEN_DURING_SETUP.test(req.path)) {
      res.redirect(303, '/account/mfa');
      return;
    }
    next();
  };
}

export function mfaRouter(ctx: AppContext): Router {
  const router = Router();
  const secure = ctx.config.publicUrl.startsWith('https:');
  const csrf = verifyCsrf(ctx);
  const token = (req: Request, res: Response) => csrfToken(req, res, ctx.sessionSecret, secure);

  async function pendingUser(req: Request) {
    const pending = req.session.pendingMfa;
    if (!pending || ctx.clock.now().getTime() - new Date(pending.at).getTime() > PENDING_MFA_MS) return undefined;
    const user = await ctx.store.users.findById(pending.userId);
    return user && user.state === 'active' ? { user, sso: pending.sso } : undefined;
  }

  router.get('/login/mfa', noStore, async (req, res) => {
    if (!(await pendingUser(req))) return res.redirect(303, '/login');
    res.render('auth/mfa', { title: 'Two-step sign-in', csrf: token(req, res), error: undefined });
  });

  router.post('/login/mfa', noStore, csrf, async (req, res, next) => {
    const pending = await pendingUser(req);
    if (!pending) return res.redirect(303, '/login');
    const code = typeof req.body?.code === 'string' ? req.body.code.slice(0, 40) : '';
    await formAction(res, async () => {
      await mfa.verifySecondFactor(ctx, requestMeta(req), pending.user, code);
      completeSignIn(ctx, req, res, next, pending.user, ['password', 'totp'], pending.sso);
    }, (error) => res.status(error.status).render('auth/mfa', { title: 'Two-step sign-in', csrf: token(req, res), error: error.message }));
  });

  const renderAccount = async (req: Request, res: Response, extra: { error?: string; recoveryCodes?: string[]; status?: number } = {}) => {
    const user = req.user!;
    const enrolment = await ctx.store.mfa.find(user.id);
    const setup = enrolment?.confirmed || extra.recoveryCodes ? undefined : await mfa.startEnrolment(ctx, user);
    res.status(extra.status ?? 200).render('account/mfa', {
      title: 'Two-step sign-in', csrf: token(req, res), error: extra.error, setup, recoveryCodes: extra.recoveryCodes,
      enrolled: Boolean(enrolment?.confirmed), codesLeft: enrolment?.recoveryCodeHashes.length ?? 0,
      required: await mfa.mfaRequiredFor(ctx, user), mustSetUp: Boolean(req.session.mfaSetupRequired),
    });
  };

  router.get('/account/mfa', noStore, async (req, res) => {
    if (!req.user) return res.redirect(303, '/login');
    await renderAccount(req, res);
  });

  router.post('/account/mfa/confirm', noStore, csrf, async (req, res) => {
    if (!req.user) return res.redirect(303, '/login');
    const code = typeof req.body?.code === 'string' ? req.body.code : '';
    await formAction(res, async () => {
      const recoveryCodes = await mfa.confirmEnrolment(ctx, requestMeta(req), req.user!, code);
      // The user has just proven the second factor: this session now counts as two-step.
      req.session.authnMethods = ['password', 'totp'];
      const sso = req.session.mfaSetupSso;
      req.session.mfaSetupRequired = undefined;
      req.session.mfaSetupSso = undefined;
      res.locals.continueUrl = await afterSignInUrl(ctx, req.user!, sso);
      await renderAccount(req, res, { recoveryCodes });
    }, (error) => renderAccount(req, res, { error: error.message, status: error.status }));
  });

  router.post('/account/mfa/disable', noStore, csrf, async (req, res) => {
    if (!req.user) return res.redirect(303, '/login');
    const code = typeof req.body?.code === 'string' ? req.body.code : '';
    await formAction(res, async () => {
      // Turning it off takes a current code, so a session left open cannot do it.
      await mfa.verifySecondFactor(ctx, requestMeta(req), req.user!, code);
      await mfa.removeEnrolment(ctx, requestMeta(req), req.user!, 'user');
      req.session.authnMethods = ['password'];
      res.redirect(303, '/account/mfa');
    }, (error) => renderAccount(req, res, { error: error.message, status: error.status }));
  });

  return router;
}
