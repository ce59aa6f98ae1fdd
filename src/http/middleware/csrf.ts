import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../../context';
import { AppError } from '../../errors';
import { claimRefusalEvent } from '../../services/throttle';
import { requestMeta } from './auth';
import { readCookie } from './cookies';

/**
 * CSRF protection of state-changing form posts (OWASP CSRF Prevention Cheat Sheet):
 *
 * 1. Signed double-submit tokens bound to the session: a random value in a cookie, and
 *    HMAC(secret, value, session id) in each form. A signed-in form's token is bound to that
 *    session id, so an attacker's own cookie-and-token pair (anonymous or from their own session)
 *    does not pass beside a victim's session cookie. The sign-in form is used anonymously (no
 *    server session, saveUninitialized=false) and is bound to the cookie alone, which still
 *    stops login CSRF.
 * 2. Fetch Metadata and Origin (defence in depth): a post whose `Sec-Fetch-Site` says
 *    `cross-site` is refused; without that header, an `Origin` other than PUBLIC_URL's is.
 *    Neither header alone is required (older clients); `Origin: null` is what a same-origin post
 *    sends under `Referrer-Policy: no-referrer` (Fetch §3.1), so it decides nothing.
 *
 * Only routes that mount verifyCsrf are checked: the SAML endpoints receive cross-site posts by
 * design (SAML bindings §3.5) and never mount it. Refusals are `csrf_refused` events, at most one
 * per client address per minute across all instances (claimRefusalEvent), so a flood cannot fill
 * Directory Insights.
 */
export const csrfCookieName = (secure: boolean) => (secure ? '__Host-gatehouse.csrf' : 'gatehouse.csrf');

const VALUE = /^[A-Za-z0-9_-]{32}$/;

/** The session a token belongs to: the signed-in session, or none for anonymous forms. */
const boundSession = (req: Request) => (req.user ? req.sessionID : '');

function sign(secret: string, value: string, sessionId: string): string {
  return crypto.createHmac('sha256', secret).update(`csrf:${value}:${sessionId}`).digest('base64url');
}

export function csrfToken(req: Request, res: Response, secret: string, secure: boolean): string {
  const name = csrfCookieName(secure);
  let value = readCookie(req, name);
  if (!value || !VALUE.test(value)) {
    value = crypto.randomBytes(24).toString('base64url');
    // `__Host-` (RFC 6265bis §4.1.3.2) when https: Secure, Path=/, no Domain, so no sibling
    // host can plant it.
    res.cookie(name, value, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
  }
  return sign(secret, value, boundSession(req));
}

/** Why a post is cross-site, or undefined when the browser says it is not (or says nothing). */
function crossSiteSignal(req: Request, publicOrigin: string): string | undefined {
  const site = req.get('sec-fetch-site');
  if (site) return site === 'cross-site' ? 'sec-fetch-site' : undefined;
  const origin = req.get('origin');
  if (!origin || origin === 'null') return undefined;
  return origin === publicOrigin ? undefined : 'origin';
}

/** Record a refused post (rate-limited) and hand the refusal on. */
export async function refuseForgedPost(ctx: AppContext, req: Request, error: AppError, signal?: string): Promise<AppError> {
  if (await claimRefusalEvent(ctx, req.ip ?? 'unknown')) {
    await ctx.insights.record(requestMeta(req), {
      type: 'csrf_refused', outcome: 'failure', reason: error.code,
      detail: { method: req.method, path: req.baseUrl + req.path, ...(signal ? { signal } : {}) },
    });
  }
  return error;
}

export function verifyCsrf(ctx: AppContext): RequestHandler {
  const secret = ctx.sessionSecret;
  const name = csrfCookieName(ctx.config.publicUrl.startsWith('https:'));
  const publicOrigin = new URL(ctx.config.publicUrl).origin;
  return (req, _res, next) => {
    const signal = crossSiteSignal(req, publicOrigin);
    if (signal) {
      const error = new AppError(403, 'csrf.cross_site',
        'This form was sent from another site, so Gatehouse did not act on it. Open Gatehouse yourself and try again.');
      void refuseForgedPost(ctx, req, error, signal).then(next, next);
      return;
    }
    const value = readCookie(req, name);
    const sent = typeof req.body?._csrf === 'string' ? req.body._csrf : '';
    const expected = value && VALUE.test(value) ? sign(secret, value, boundSession(req)) : '';
    const ok = expected.length > 0 && sent.length === expected.length &&
      crypto.timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
    if (!ok) {
      const error = new AppError(403, 'csrf.invalid', 'This form has expired or did not come from Gatehouse. Reload the page and try again.');
      void refuseForgedPost(ctx, req, error).then(next, next);
      return;
    }
    next();
  };
}
