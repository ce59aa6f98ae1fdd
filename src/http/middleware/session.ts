import crypto from 'node:crypto';
import session from 'express-session';
import type { Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../../context';
import type { SessionRepository } from '../../store';
import { readCookie } from './cookies';

/**
 * express-session backed by the Store, so sessions survive a restart (security.md §4.2 #1) and,
 * with PostgreSQL later, are shared between instances. The cookie has a fixed absolute lifetime.
 */
class StoreBackedSessions extends session.Store {
  constructor(private readonly sessions: SessionRepository, private readonly now: () => Date, private readonly maxAgeMs: number) {
    super();
  }

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    this.sessions.get(sid, this.now().toISOString())
      .then((raw) => callback(null, raw ? (JSON.parse(raw) as session.SessionData) : null), callback);
  }

  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    const expires = data.cookie?.expires ? new Date(data.cookie.expires) : new Date(this.now().getTime() + this.maxAgeMs);
    // passport keeps the signed-in user's id here; the store indexes it so that a password
    // change can end the user's other sessions.
    const userId = (data as { passport?: { user?: unknown } }).passport?.user;
    this.sessions.set(sid, JSON.stringify(data), expires.toISOString(), typeof userId === 'string' ? userId : null)
      .then(() => callback?.(), (e) => callback?.(e));
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.sessions.destroy(sid).then(() => callback?.(), (e) => callback?.(e));
  }
}

/**
 * Cookie names. With an https PUBLIC_URL they carry the `__Host-` prefix (RFC 6265bis
 * §4.1.3.2): the browser then accepts them only with Secure, Path=/ and no Domain, so no other
 * host under the same domain can plant or shadow them.
 */
const isHttps = (ctx: AppContext) => ctx.config.publicUrl.startsWith('https:');
const hostPrefixed = (ctx: AppContext, name: string) => (isHttps(ctx) ? `__Host-${name}` : name);
export const sessionCookieName = (ctx: AppContext) => hostPrefixed(ctx, 'gatehouse.sid');
export const adminCookieName = (ctx: AppContext) => hostPrefixed(ctx, 'gatehouse.admin');

/**
 * The admin portal's own protection (README, security notes). The session cookie has to stay
 * SameSite=Lax: SPs send users here by cross-site navigation. Admin pages additionally require
 * this SameSite=Strict cookie, bound to the session id by an HMAC. A browser never sends a
 * Strict cookie on a request another site started, so its presence proves the request is
 * same-site; issuing it again is therefore always safe (see requireAdmin).
 */
const adminProof = (ctx: AppContext, sessionId: string) =>
  crypto.createHmac('sha256', ctx.sessionSecret).update(`admin:${sessionId}`).digest('base64url');

export function issueAdminCookie(ctx: AppContext, req: Request, res: Response): void {
  res.cookie(adminCookieName(ctx), adminProof(ctx, req.sessionID), {
    httpOnly: true, sameSite: 'strict', secure: isHttps(ctx), path: '/', maxAge: ctx.config.sessionMaxAgeHours * 3_600_000,
  });
}

export function hasAdminCookie(ctx: AppContext, req: Request): boolean {
  const sent = readCookie(req, adminCookieName(ctx));
  const expected = adminProof(ctx, req.sessionID);
  return sent !== undefined && sent.length === expected.length && crypto.timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
}

/** Sign-out: forget both cookies under the names they were set with. */
export function clearSessionCookies(ctx: AppContext, res: Response): void {
  const options = { path: '/', secure: isHttps(ctx), httpOnly: true };
  res.clearCookie(sessionCookieName(ctx), { ...options, sameSite: 'lax' });
  res.clearCookie(adminCookieName(ctx), { ...options, sameSite: 'strict' });
}

export function sessionMiddleware(ctx: AppContext): RequestHandler {
  const maxAgeMs = ctx.config.sessionMaxAgeHours * 3_600_000;
  return session({
    name: sessionCookieName(ctx),
    secret: ctx.sessionSecret,
    store: new StoreBackedSessions(ctx.store.sessions, () => ctx.clock.now(), maxAgeMs),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    // Lax: sent on top-level GET navigations from SPs; the cross-site SAML POST is handled by a
    // same-site continue hop instead of SameSite=None (security.md §2 #17).
    cookie: { httpOnly: true, sameSite: 'lax', secure: isHttps(ctx), maxAge: maxAgeMs, path: '/' },
  });
}
