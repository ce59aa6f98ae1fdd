import { unreplaced } from '../catalog/template';
import { allowsInsecureLoopback } from '../config';
import type { AppContext } from '../context';
import { assertThat, unprocessable } from '../errors';
import { NAMEID_FORMAT } from '../saml/types';
import type { AcsEndpoint, SsoSettings } from '../store';
import { acsUrlProblem, type SsoInput } from './application-input';

/**
 * An application's SAML settings: from validated input to what is stored, and back (so a
 * partial update can be validated as a whole).
 */

function toAcsEndpoints(input: Pick<SsoInput, 'acsUrls' | 'defaultAcsUrl'>, allowLoopbackHttp: boolean): AcsEndpoint[] {
  input.acsUrls.forEach((url, i) => {
    // A template URL (YOUR_ACS_URL) is checked once its placeholder is replaced; until then the
    // app cannot be activated, so nothing is ever posted to it.
    if (unreplaced([url]).length > 0) return;
    const problem = acsUrlProblem(url, allowLoopbackHttp);
    if (problem) throw unprocessable('applications.acs_url_invalid', `The request is not valid. sso.acsUrls.${i}: ${problem}.`);
  });
  if (new Set(input.acsUrls).size !== input.acsUrls.length) {
    throw unprocessable('applications.acs_url_duplicate', 'The request is not valid. sso.acsUrls: each ACS URL may appear once.');
  }
  const defaultUrl = input.defaultAcsUrl ?? input.acsUrls[0];
  assertThat(input.acsUrls.includes(defaultUrl), () =>
    unprocessable('applications.default_acs_unknown', 'The request is not valid. sso.defaultAcsUrl must be one of sso.acsUrls.'));
  // Indexes follow list order from 0, as AssertionConsumerServiceIndex in the SP's metadata would.
  return input.acsUrls.map((url, index) => ({ url, index, isDefault: url === defaultUrl }));
}

export function toSsoSettings(ctx: AppContext, defaultIdpEntityId: string, input: SsoInput): SsoSettings {
  if (!input.signAssertion && !input.signResponse) {
    throw unprocessable('applications.unsigned', 'The request is not valid. Sign the assertion, the response or both: an SP cannot trust an unsigned Response.');
  }
  if (input.requireSignedRequests && !input.spCertificate) {
    throw unprocessable('applications.sp_certificate_required', 'The request is not valid. Requiring signed requests needs the SP certificate (sso.spCertificate) to verify them with.');
  }
  if (input.nameIdFormat === NAMEID_FORMAT.emailAddress && input.nameIdSource !== 'email') {
    throw unprocessable('applications.nameid_mismatch', 'The request is not valid. The emailAddress NameID format needs nameIdSource "email".');
  }
  return {
    idpEntityId: input.idpEntityId ?? defaultIdpEntityId,
    spEntityId: input.spEntityId,
    acsEndpoints: toAcsEndpoints(input, allowsInsecureLoopback(ctx.config)),
    loginUrl: input.loginUrl,
    nameIdFormat: input.nameIdFormat,
    nameIdSource: input.nameIdSource,
    signAssertion: input.signAssertion,
    signResponse: input.signResponse,
    signatureAlgorithm: input.signatureAlgorithm,
    defaultRelayState: input.defaultRelayState,
    spCertificatePem: input.spCertificate,
    requireSignedRequests: input.requireSignedRequests,
  };
}

/** Rebuild the SSO input from stored settings so a partial update can be validated as a whole. */
export function ssoInputOf(sso: SsoSettings): SsoInput {
  return {
    idpEntityId: sso.idpEntityId, spEntityId: sso.spEntityId,
    acsUrls: sso.acsEndpoints.map((e) => e.url), defaultAcsUrl: sso.acsEndpoints.find((e) => e.isDefault)?.url,
    loginUrl: sso.loginUrl, nameIdFormat: sso.nameIdFormat as SsoInput['nameIdFormat'], nameIdSource: sso.nameIdSource,
    signAssertion: sso.signAssertion, signResponse: sso.signResponse, signatureAlgorithm: sso.signatureAlgorithm,
    defaultRelayState: sso.defaultRelayState, spCertificate: sso.spCertificatePem, requireSignedRequests: sso.requireSignedRequests,
  };
}

