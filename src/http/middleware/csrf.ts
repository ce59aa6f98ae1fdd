import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../../errors';
import { readCookie } from './cookies';

/**
 * Signed double-submit CSRF tokens (OWASP CSRF Prevention Cheat Sheet): a random value in a
 * cookie, and HMAC(secret, value) in each form. Stateless, so the sign-in form (login CSRF) needs
 * no server-side session for anonymous visitors.
 */
const COOKIE = 'gatehouse.csrf';

function sign(secret: string, value: string): string {
  return crypto.createHmac('sha256', secret).update(`csrf:${value}`).digest('base64url');
}

export function csrfToken(req: Request, res: Response, secret: string, secure: boolean): string {
  let value = readCookie(req, COOKIE);
  if (!value || !/^[A-Za-z0-9_-]{32}$/.test(value)) {
    value = crypto.randomBytes(24).toString('base64url');
    res.cookie(COOKIE, value, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
  }
  return sign(secret, value);
}

export function verifyCsrf(secret: string): RequestHandler {
  return (req, _res, next) => {
    const value = readCookie(req, COOKIE);
    const sent = typeof req.body?._csrf === 'string' ? req.body._csrf : '';
    const expected = value ? sign(secret, value) : '';
    const ok = expected.length > 0 && sent.length === expected.length &&
      crypto.timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
    if (!ok) {
      next(new AppError(403, 'csrf.invalid', 'This form has expired or did not come from Gatehouse. Reload the page and try again.'));
      return;
    }
    next();
  };
}
