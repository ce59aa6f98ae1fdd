import { expect } from 'chai';
import type request from 'supertest';
import type { SamlApplication as Application } from '../../src/store';
import { PUBLIC_URL, decodeResponse, type Harness } from './harness';
import { acceptWithNodeSaml, statusSeenByNodeSaml, verifyWithXmlsec1, xmlsec1Available } from './independent-sp';

export const ssoUrl = (slug: string) => `${PUBLIC_URL}/saml2/${slug}`;

/**
 * Every Response a test produces goes through here: the independent SP (@node-saml/node-saml)
 * must accept it, and xmlsec1 (when installed) must verify each signature with the certificate
 * the metadata publishes. Returns what the SP saw.
 */
export async function acceptedBySp(
  h: Harness, app: Application, form: { action: string; samlResponse: string },
  options: { inResponseTo?: string; expectStatus?: string } = {},
) {
  const certificatePem = (await h.ctx.keys.keyFor(app.signingKeyId)).certificatePem;
  const xml = decodeResponse(form.samlResponse);
  expect(xml).to.contain(`Destination="${form.action}"`);

  if (xmlsec1Available()) {
    const signedNodes: ('Assertion' | 'Response')[] = options.expectStatus ? ['Response']
      : [...(app.sso.signAssertion ? ['Assertion' as const] : []), ...(app.sso.signResponse ? ['Response' as const] : [])];
    for (const node of signedNodes) {
      const result = verifyWithXmlsec1(xml, certificatePem, node);
      expect(result.ok, `xmlsec1 --verify (${node}):\n${result.output}`).to.equal(true);
    }
  }

  const spOptions = {
    samlResponseB64: form.samlResponse, idpCertPem: certificatePem, idpEntityId: app.sso.idpEntityId,
    spEntityId: app.sso.spEntityId, acsUrl: form.action, inResponseTo: options.inResponseTo,
    wantResponseSigned: app.sso.signResponse || Boolean(options.expectStatus), wantAssertionSigned: app.sso.signAssertion,
  };
  if (options.expectStatus) {
    expect(xml).to.contain(`Value="${options.expectStatus}"`);
    const seen = await statusSeenByNodeSaml(spOptions);
    expect(seen, 'node-saml must report the SAML status').to.contain(options.expectStatus.split(':').pop());
    return undefined as never;
  }
  return acceptWithNodeSaml(spOptions);
}

/** A refused request: no SAML Response in the page, no redirect onwards, and a failure event with the code. */
export async function expectNothingSent(h: Harness, app: Application, res: request.Response, code: string) {
  expect(res.text).not.to.contain('SAMLResponse');
  expect(res.headers.location).to.equal(undefined);
  const [event] = await h.ctx.store.events.list({ appId: app.id, type: 'sso_auth', limit: 1 });
  expect(event).to.include({ outcome: 'failure', reason: code });
}
