import { Router, type Request, type Response } from 'express';
import type passport from 'passport';
import type { AppContext } from '../../context';
import type { User } from '../../store';
import { AppError } from '../../errors';
import { confirmedEnrolment } from '../../services/mfa';
import { assertNotThrottled, recordFailedSignIn, recordSuccessfulSignIn } from '../../services/throttle';
import { completeSignIn, pendingSsoTarget } from '../sign-in';
import { requestMeta } from '../middleware/auth';
import { csrfToken, verifyCsrf } from '../middleware/csrf';
import { setRefusalHeaders } from '../middleware/errors';
import { noStore } from '../middleware/security';
import { clearSessionCookies } from '../middleware/session';

/**
 * `/login` and `/logout`. A pending SSO request travels as `?sso=<id>` (an opaque server-side
 * record), never as a return URL, so sign-in cannot be turned into an open redirect.
 */

export function authRouter(ctx: AppContext, auth: passport.PassportStatic): Router {
  const router = Router();
  const secure = ctx.config.publicUrl.startsWith('https:');

  async function renderLogin(req: Request, res: Response, status: number, error?: string) {
    const target = await pendingSsoTarget(ctx, req.query.sso ?? req.body?.sso);
    res.status(status).render('auth/login', {
      title: 'Sign in', error, target, username: typeof req.body?.username === 'string' ? req.body.username : '',
      csrf: csrfToken(req, res, ctx.sessionSecret, secure), reauth: req.query.reason === 'force_authn',
    });
  }

  router.get('/login', noStore, (req, res) => renderLogin(req, res, 200));

  router.post('/login', noStore, verifyCsrf(ctx), async (req, res, next) => {
    const login = typeof req.body?.username === 'string' ? req.body.username.slice(0, 254) : '';
    try {
      await assertNotThrottled(ctx, login, req.ip ?? null);
    } catch (error) {
      if (!(error instanceof AppError)) return next(error);
      setRefusalHeaders(res, error);
      void ctx.insights.record(requestMeta(req), { type: 'user_login', outcome: 'failure', reason: error.code, detail: { login: login.slice(0, 100) } });
      return void renderLogin(req, res, error.status, error.message);
    }
    auth.authenticate('local', { session: false }, async (err: unknown, user: User | false) => {
      if (err) return next(err);
      if (!user) {
        await recordFailedSignIn(ctx, login, req.ip ?? null);
        void ctx.insights.record(requestMeta(req), { type: 'user_login', outcome: 'failure', reason: 'auth.invalid_credentials',
          detail: { login: login.slice(0, 100) } });
        // One message for unknown user and wrong password: it must not say which part was wrong.
        return void renderLogin(req, res, 401, 'The username or password is incorrect.');
      }
      if (user.state !== 'active') {
        void ctx.insights.record(requestMeta(req), { type: 'user_login', outcome: 'failure', reason: 'auth.suspended', target: { type: 'user', id: user.id, label: user.username } });
        return void renderLogin(req, res, 403, 'Your account is suspended. Ask your administrator.');
      }
      await recordSuccessfulSignIn(ctx, login, req.ip ?? null);
      if (await confirmedEnrolment(ctx, user.id)) {
        // Second step: remember who passed the password (in the anonymous session), then ask for
        // the code. The session id is renewed only when both steps have passed.
        req.session.pendingMfa = { userId: user.id, at: ctx.clock.now().toISOString(), sso: typeof req.body?.sso === 'string' ? req.body.sso : undefined };
        return void req.session.save((error) => (error ? next(error) : res.redirect(303, '/login/mfa')));
      }
      completeSignIn(ctx, req, res, next, user, ['password'], req.body?.sso);
    })(req, res, next);
  });

  router.get('/logout', noStore, (req, res) => {
    res.render('auth/logout', { title: 'Sign out', csrf: csrfToken(req, res, ctx.sessionSecret, secure), signedIn: Boolean(req.user) });
  });

  router.post('/logout', noStore, verifyCsrf(ctx), (req, res, next) => {
    const meta = requestMeta(req);
    const wasSignedIn = Boolean(req.user);
    // passport ≥0.6 logout regenerates the session; destroy it so nothing remains server-side.
    req.logout((err) => {
      if (err) return next(err);
      req.session.destroy(() => {
        if (wasSignedIn) void ctx.insights.record(meta, { type: 'user_logout', outcome: 'success', target: { type: 'user', id: meta.actor.id, label: meta.actor.label } });
        clearSessionCookies(ctx, res);
        res.redirect(303, '/login');
      });
    });
  });

  return router;
}
