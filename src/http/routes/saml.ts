import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../context';
import { notFound } from '../../errors';
import { isSamlApplication, type SamlApplication } from '../../store';
import { applicationMetadata } from '../../services/applications';
import { continueSso, startSso, type SsoOutcome } from '../../services/sso';
import { requestMeta, signedInSession } from '../middleware/auth';
import { contentSecurityPolicy, noStore } from '../middleware/security';

/** The SAML endpoints of ARCHITECTURE.md's public URL contract: `/saml2/<slug>[/metadata|/certificate.pem]`. */
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

function rawQueryOf(req: Request): string {
  const at = req.originalUrl.indexOf('?');
  return at === -1 ? '' : req.originalUrl.slice(at + 1);
}

/** A quoted filename (RFC 6266), which every browser saves under exactly that name; slugs need no escaping. */
function attachment(filename: string): string {
  return `attachment; filename="${filename}"`;
}

/** Turn the SSO service's outcome into HTTP: the auto-submitting form, or a redirect. */
export function sendOutcome(res: Response, outcome: SsoOutcome): void {
  if (outcome.kind === 'login') {
    const reason = outcome.reason === 'force_authn' ? '&reason=force_authn' : '';
    res.redirect(303, `/login?sso=${encodeURIComponent(outcome.pendingId)}${reason}`);
    return;
  }
  if (outcome.kind === 'continue') {
    res.redirect(303, outcome.url);
    return;
  }
  // The form may post only to this ACS (CSP form-action); the script runs only with this nonce.
  const nonce = res.locals.cspNonce as string;
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(nonce, new URL(outcome.acsUrl).origin));
  res.setHeader('Cache-Control', 'no-store');
  res.render('saml/post-form', { title: `Signing in to ${outcome.appLabel}`, post: outcome });
}

export function samlRouter(ctx: AppContext): Router {
  const router = Router();

  async function appForSlug(slug: string): Promise<SamlApplication> {
    const app = SLUG.test(slug) ? await ctx.store.applications.findBySlug(slug) : undefined;
    // A bookmark has no IdP metadata or certificate: to an SP it does not exist.
    if (!app || !isSamlApplication(app)) throw notFound('sso.unknown_application', 'There is no application at this address.');
    return app;
  }

  const sso = async (req: Request, res: Response) => {
    const outcome = await startSso(ctx, {
      slug: String(req.params.slug), method: req.method === 'POST' ? 'POST' : 'GET', rawQuery: rawQueryOf(req),
      body: (req.body ?? {}) as Record<string, unknown>, session: signedInSession(req), meta: requestMeta(req),
    });
    sendOutcome(res, outcome);
  };
  router.get('/saml2/:slug', noStore, sso);
  router.post('/saml2/:slug', noStore, sso);

  router.get('/saml2/:slug/continue/:pendingId', noStore, async (req, res) => {
    const outcome = await continueSso(ctx, {
      slug: String(req.params.slug), pendingId: String(req.params.pendingId), session: signedInSession(req), meta: requestMeta(req),
    });
    sendOutcome(res, outcome);
  });

  router.get('/saml2/:slug/metadata', async (req, res) => {
    const app = await appForSlug(String(req.params.slug));
    const xml = await applicationMetadata(ctx, app);
    res.type('application/samlmetadata+xml');
    if (req.query.download !== undefined) {
      res.setHeader('Content-Disposition', attachment(`Gatehouse-${app.slug}-metadata.xml`));
    }
    res.send(xml);
  });

  router.get('/saml2/:slug/certificate.pem', async (req, res) => {
    const app = await appForSlug(String(req.params.slug));
    const key = await ctx.keys.keyFor(app.signingKeyId);
    res.type('application/x-pem-file').setHeader('Content-Disposition', attachment('certificate.pem'));
    res.send(key.certificatePem);
  });

  return router;
}
