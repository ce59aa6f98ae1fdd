import { randomBytesPooled } from '../../crypto/random';
import type { RequestHandler } from 'express';

/**
 * Security headers on every response: a strict CSP with a per-response nonce (no inline scripts
 * or handlers otherwise), no framing, no MIME sniffing, no referrer leaks. Pages that post to an
 * ACS widen `form-action` for that one response (see renderPostForm).
 */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  const nonce = randomBytesPooled(16).toString('base64');
  res.locals.cspNonce = nonce;
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(nonce, "'self'"));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
};

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
