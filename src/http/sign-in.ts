import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { AppContext } from '../context';
import { confirmedEnrolment, mfaRequiredFor } from '../services/mfa';
import type { User } from '../store';
import { requestMeta } from './middleware/auth';
import { issueAdminCookie } from './middleware/session';

/**
 * The end of every successful sign-in (password alone, or password then TOTP): a new session id
 * (passport ≥0.6 regenerates it, security.md §2 #16), the facts SAML assertions state
 * (AuthnInstant, SessionIndex, how the user signed in), the event, and where to go next: the
 * pending SSO request, MFA enrolment when an admin requires it, or the user's start page.
 */
const PENDING_ID = /^[A-Za-z0-9_-]{32}$/;

export async function pendingSsoTarget(ctx: AppContext, id: unknown) {
  if (typeof id !== 'string' || !PENDING_ID.test(id)) return undefined;
  const pending = await ctx.store.ssoState.findPending(id, ctx.clock.now().toISOString());
  const app = pending && (await ctx.store.applications.findById(pending.appId));
  return app && pending ? { pendingId: pending.id, slug: app.slug, label: app.displayLabel } : undefined;
}

export async function afterSignInUrl(ctx: AppContext, user: User, sso: unknown): Promise<string> {
  const target = await pendingSsoTarget(ctx, sso);
  return target ? `/saml2/${target.slug}/continue/${target.pendingId}` : user.isAdmin ? '/admin' : '/';
}

export function completeSignIn(ctx: AppContext, req: Request, res: Response, next: NextFunction, user: User, methods: string[], sso: unknown): void {
  req.login(user, (error) => {
    if (error) return next(error);
    const now = ctx.clock.now().toISOString();
    req.session.authnInstant = now;
    req.session.lastSeen = now;
    req.session.sessionIndex = `_${crypto.randomBytes(16).toString('hex')}`;
    req.session.authnMethods = methods;
    // The admin portal's SameSite=Strict proof, bound to the new session id (requireAdmin).
    if (user.isAdmin) issueAdminCookie(ctx, req, res);
    void ctx.insights.record(requestMeta(req), {
      type: 'user_login', outcome: 'success', target: { type: 'user', id: user.id, label: user.username }, detail: { methods },
    });
    (async () => {
      if (!methods.includes('totp') && (await mfaRequiredFor(ctx, user)) && !(await confirmedEnrolment(ctx, user.id))) {
        req.session.mfaSetupRequired = true;
        req.session.mfaSetupSso = typeof sso === 'string' ? sso : undefined;
        return '/account/mfa';
      }
      return afterSignInUrl(ctx, user, sso);
    })().then((url) => res.redirect(303, url), next);
  });
}
