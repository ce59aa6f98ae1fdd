import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import express from 'express';

/**
 * A real service provider for the browser journeys: Express + @node-saml/node-saml on its own
 * port, on `localhost` while Gatehouse is on `127.0.0.1`, so the two are different sites and a
 * POST from the SP to Gatehouse is cross-site as in production (SameSite cookies stay behind).
 * `/protected` shows the NameID and attributes it received; without a session it starts
 * SP-initiated SSO over the configured binding.
 */
export interface SpServer {
  baseUrl: string;
  acsUrl: string;
  entityId: string;
  /** Responses the ACS accepted or refused. */
  received: { accepted: number; refused: string[] };
  configure(idp: { ssoUrl: string; entityId: string; certificatePem: string }): void;
  binding: 'HTTP-Redirect' | 'HTTP-POST';
  close(): Promise<void>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startSpServer(): Promise<SpServer> {
  const app = express();
  app.use(express.urlencoded({ extended: false, limit: '512kb' }));
  const sessions = new Map<string, { nameId: string; attributes: Record<string, unknown> }>();
  let saml: SAML | undefined;
  let server: Server | undefined;
  const sp: SpServer = {
    baseUrl: '', acsUrl: '', entityId: 'https://sp.localhost.test/metadata', received: { accepted: 0, refused: [] }, binding: 'HTTP-Redirect',
    configure(idp) {
      saml = new SAML({
        entryPoint: idp.ssoUrl, issuer: sp.entityId, callbackUrl: sp.acsUrl, audience: sp.entityId, idpIssuer: idp.entityId,
        idpCert: idp.certificatePem, wantAuthnResponseSigned: false, wantAssertionsSigned: true,
        authnRequestBinding: sp.binding, skipRequestCompression: sp.binding === 'HTTP-POST',
        validateInResponseTo: ValidateInResponseTo.ifPresent,
        // Gatehouse runs on plain http in the tests: its password sign-in is "Password".
        authnContext: ['urn:oasis:names:tc:SAML:2.0:ac:classes:Password'],
      });
    },
    close: () => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
  const cookieOf = (req: express.Request) => /sp_session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];

  app.get('/protected', async (req, res) => {
    const session = sessions.get(cookieOf(req) ?? '');
    if (session) {
      const rows = Object.entries(session.attributes).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`).join('');
      res.send(`<!doctype html><title>Test SP</title><h1>Signed in at the test SP</h1><p>NameID: <code id="nameid">${escapeHtml(session.nameId)}</code></p><table>${rows}</table>`);
      return;
    }
    if (!saml) throw new Error('SP not configured');
    if (sp.binding === 'HTTP-POST') {
      res.type('html').send(await saml.getAuthorizeFormAsync('/protected'));
    } else {
      res.redirect(await saml.getAuthorizeUrlAsync('/protected', undefined, {}));
    }
  });
  app.post('/acs', async (req, res) => {
    try {
      const { profile } = await saml!.validatePostResponseAsync(req.body as Record<string, string>);
      if (!profile) throw new Error('no profile');
      sp.received.accepted += 1;
      const id = crypto.randomBytes(12).toString('base64url');
      sessions.set(id, { nameId: profile.nameID, attributes: (profile.attributes ?? {}) as Record<string, unknown> });
      res.setHeader('Set-Cookie', `sp_session=${id}; Path=/; HttpOnly; SameSite=Lax`);
      res.redirect(303, typeof req.body.RelayState === 'string' && req.body.RelayState.startsWith('/') ? req.body.RelayState : '/protected');
    } catch (error) {
      sp.received.refused.push(String(error));
      res.status(401).send(`<!doctype html><title>Test SP</title><h1>The SP refused the sign-in</h1><p>${escapeHtml(String(error))}</p>`);
    }
  });

  // Listen on IPv4 loopback; the browser reaches it as `localhost`, a different site from 127.0.0.1.
  await new Promise<void>((resolve) => { server = app.listen(0, '127.0.0.1', () => resolve()); });
  const port = (server!.address() as AddressInfo).port;
  sp.baseUrl = `http://localhost:${port}`;
  sp.acsUrl = `${sp.baseUrl}/acs`;
  return sp;
}
