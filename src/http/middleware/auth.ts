import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { AppContext } from '../../context';
import { AppError } from '../../errors';
import type { RequestMeta } from '../../insights/recorder';
import type { SignedInSession } from '../../services/sso-response';
import { verifyCredentials } from '../../services/users';
import type { User } from '../../store';

declare module 'express-session' {
  interface SessionData {
    authnInstant?: string;
    sessionIndex?: string;
    /** Last request of this sign-in, for the idle timeout (updated at most once a minute). */
    lastSeen?: string;
    /** How the user signed in: 'password', plus 'totp' after the second step. */
    authnMethods?: string[];
    /** Between the password and the TOTP step: who passed the password, and when. */
    pendingMfa?: { userId: string; at: string; sso?: string };
    /** Signed in, but an admin requires MFA and none is set up yet: only enrolment is open. */
    mfaSetupRequired?: boolean;
    mfaSetupSso?: string;
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // passport's req.user is our directory user.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends Omit<import('../../store').User, never> {}
  }
}

/** A Passport instance per app (no module singleton), with the local strategy on our directory. */
export function createPassport(ctx: AppContext): passport.PassportStatic {
  const instance = new passport.Passport() as unknown as passport.PassportStatic;
  instance.use(new LocalStrategy({ usernameField: 'username', passwordField: 'password' }, (login, password, done) => {
    verifyCredentials(ctx, login.trim(), password).then((user) => done(null, user ?? false), done);
  }));
  instance.serializeUser((user, done) => done(null, (user as User).id));
  instance.deserializeUser((id: string, done) => {
    ctx.store.users.findById(id).then((user) => {
      // A user suspended or deleted since sign-in loses the session at the next request.
      done(null, user && user.state === 'active' ? user : false);
    }, done);
  });
  return instance;
}

/**
 * Idle timeout (SESSION_IDLE_MINUTES): a sign-in unused for longer is ended before any route
 * sees it. `lastSeen` is refreshed at most once a minute, so an active session is not rewritten
 * on every request.
 */
export function idleTimeout(ctx: AppContext): RequestHandler {
  const idleMs = ctx.config.sessionIdleMinutes * 60_000;
  return (req, _res, next) => {
    if (!req.user || !req.session.lastSeen) return next();
    const now = ctx.clock.now();
    const idle = now.getTime() - new Date(req.session.lastSeen).getTime();
    if (idle > idleMs) {
      req.user = undefined;
      req.session.regenerate((error) => next(error));
      return;
    }
    if (idle > 60_000) req.session.lastSeen = now.toISOString();
    next();
  };
}

export function signedInSession(req: Request): SignedInSession | undefined {
  if (!req.user || !req.session.authnInstant || !req.session.sessionIndex) return undefined;
  return {
    user: req.user, authnInstant: req.session.authnInstant, sessionIndex: req.session.sessionIndex,
    authnMethods: req.session.authnMethods ?? ['password'],
  };
}

export function requestMeta(req: Request): RequestMeta {
  const user = req.user;
  return {
    actor: user ? { type: 'user', id: user.id, label: user.username } : { type: 'anonymous' },
    clientIp: req.ip ?? null,
  };
}

/** Admin API: `Authorization: Bearer <GATEHOUSE_ADMIN_TOKEN>`, compared in constant time. */
export function requireApiToken(ctx: AppContext): RequestHandler {
  const expected = ctx.config.adminToken ? crypto.createHash('sha256').update(ctx.config.adminToken).digest() : undefined;
  return (req, _res, next) => {
    if (!expected) {
      next(new AppError(401, 'api.disabled', 'The admin API is disabled: set GATEHOUSE_ADMIN_TOKEN to enable it.'));
      return;
    }
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(req.headers.authorization ?? '');
    const sent = match ? crypto.createHash('sha256').update(match[1]).digest() : undefined;
    if (!sent || !crypto.timingSafeEqual(sent, expected)) {
      next(new AppError(401, 'api.unauthorized', 'Send the admin API token as "Authorization: Bearer <token>".'));
      return;
    }
    next();
  };
}

export const API_META = (req: Request): RequestMeta => ({ actor: { type: 'api', label: 'admin API token' }, clientIp: req.ip ?? null });
