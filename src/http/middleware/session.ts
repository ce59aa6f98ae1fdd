import session from 'express-session';
import type { RequestHandler } from 'express';
import type { AppContext } from '../../context';
import type { SessionRepository } from '../../store';

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

export const SESSION_COOKIE = 'gatehouse.sid';

export function sessionMiddleware(ctx: AppContext): RequestHandler {
  const maxAgeMs = ctx.config.sessionMaxAgeHours * 3_600_000;
  return session({
    name: SESSION_COOKIE,
    secret: ctx.sessionSecret,
    store: new StoreBackedSessions(ctx.store.sessions, () => ctx.clock.now(), maxAgeMs),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    // Lax: sent on top-level GET navigations from SPs; the cross-site SAML POST is handled by a
    // same-site continue hop instead of SameSite=None (security.md §2 #17).
    cookie: { httpOnly: true, sameSite: 'lax', secure: ctx.config.publicUrl.startsWith('https:'), maxAge: maxAgeMs, path: '/' },
  });
}
