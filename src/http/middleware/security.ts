import { randomBytesPooled } from '../../crypto/random';
import type { RequestHandler } from 'express';

/**
 * HSTS (RFC 6797): one year, subdomains included. Sent only when PUBLIC_URL is https: over plain
 * http browsers ignore it (§8.1), and on a development host such as localhost it would pin every
 * other local service to https.
 */
export const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Security headers on every response: a strict CSP with a per-response nonce (no inline scripts
 * or handlers otherwise), no framing, no MIME sniffing, no referrer leaks, and HSTS when the
 * public URL is https. Pages that post to an ACS widen `form-action` for that one response (see
 * renderPostForm).
 */
export function securityHeaders(options: { https: boolean }): RequestHandler {
  return (_req, res, next) => {
    const nonce = randomBytesPooled(16).toString('base64');
    res.locals.cspNonce = nonce;
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(nonce, "'self'"));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    if (options.https) res.setHeader('Strict-Transport-Security', HSTS);
    next();
  };
}

export function contentSecurityPolicy(nonce: string, formAction: string): string {
  return [
    "default-src 'none'", `script-src 'nonce-${nonce}'`, "style-src 'self'", "img-src 'self' data:",
    `form-action ${formAction}`, "frame-ancestors 'none'", "base-uri 'none'",
  ].join('; ');
}

/** Pages with personal data or forms are never cached (shared computers, back button after sign-out). */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};
