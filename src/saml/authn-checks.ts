import { badRequest } from '../errors';
import { verifyPostSignature, verifyRedirectSignature } from './request-signature';
import { BINDING, NAMEID_FORMAT, STATUS, type AuthnRequestData, type DecodedMessage } from './types';

/**
 * An AuthnRequest runs through this table of checks, in order, before anything is sent anywhere
 * (ARCHITECTURE.md "SSO as a table of checks"). Each check is one small function that throws a
 * 400 AppError with a stable code; until every check has passed the ACS is not trusted, so a
 * failure renders a local error page and nothing is signed or posted (security.md §2, contract (a)).
 */

export interface RegisteredAcs {
  url: string;
  index: number;
  isDefault: boolean;
}

/** What the app registered for its SP: the only things a request is checked against. */
export interface SpRegistration {
  entityId: string;
  acsEndpoints: RegisteredAcs[];
  certificatePem: string | null;
  requireSignedRequests: boolean;
}

export interface CheckContext {
  request: AuthnRequestData;
  document: Document;
  message: DecodedMessage;
  sp: SpRegistration;
  /** The URL of the endpoint that received the message (our SSO URL for the app). */
  endpointUrl: string;
  now: Date;
  clockSkewSeconds: number;
  messageLifetimeSeconds: number;
}

export interface AuthnRequestCheck {
  name: string;
  run(c: CheckContext): void;
}

/** Core §3.4.1 / profiles §4.1.4.1: the Issuer must be the SP registered for this app, exactly. */
export const issuerIsRegisteredSp: AuthnRequestCheck = {
  name: 'issuer is the registered SP',
  run({ request, sp }) {
    if (!request.issuer) throw badRequest('saml.issuer_missing', 'The sign-in request does not say which application sent it (no Issuer).');
    if (request.issuerFormat && request.issuerFormat !== NAMEID_FORMAT.entity) {
      throw badRequest('saml.issuer_format', 'The sign-in request names its sender with an unsupported Issuer format.');
    }
    if (request.issuer !== sp.entityId) {
      throw badRequest('saml.issuer_unknown', 'The sign-in request comes from a service provider that is not registered for this application. Check the SP entity ID in the application settings.');
    }
  },
};

/**
 * Security.md §2 #7: verified with the registered certificate only. A signature must be present
 * when the app requires signed requests; a signature that is present is verified whenever a
 * certificate is registered, so a bad one is never ignored. With no registered certificate a
 * present signature cannot be checked and the request is treated as unsigned.
 */
export const signatureIsValid: AuthnRequestCheck = {
  name: 'signature valid when present or required',
  run({ request, document, message, sp }) {
    const signed = message.redirectSignature !== undefined || request.hasEnvelopedSignature;
    if (sp.requireSignedRequests && !signed) {
      throw badRequest('saml.signature_missing', 'This application requires signed sign-in requests, and this one is not signed.');
    }
    if (!signed || !sp.certificatePem) return;
    if (message.redirectSignature) verifyRedirectSignature(message.redirectSignature, sp.certificatePem);
    else verifyPostSignature(document, message.xml, sp.certificatePem);
  },
};

/** Bindings §3.4.5.2 / §3.5.5.2: Destination, when present, must be this endpoint; signed requests must carry it. */
export const destinationIsThisEndpoint: AuthnRequestCheck = {
  name: 'destination is this endpoint',
  run({ request, message, endpointUrl, sp }) {
    const signed = message.redirectSignature !== undefined || request.hasEnvelopedSignature;
    if (request.destination === undefined) {
      if (signed && sp.certificatePem) {
        throw badRequest('saml.destination_missing', 'A signed sign-in request must name its Destination.');
      }
      return;
    }
    if (request.destination !== endpointUrl) {
      throw badRequest('saml.destination_mismatch', `The sign-in request was addressed to ${request.destination}, not to this application's SSO URL.`);
    }
  },
};

/** Security.md §2 #5: not older than lifetime + skew, not further in the future than skew. */
export const issueInstantIsFresh: AuthnRequestCheck = {
  name: 'issued recently',
  run({ request, now, clockSkewSeconds, messageLifetimeSeconds }) {
    const age = (now.getTime() - request.issueInstant.getTime()) / 1000;
    if (age > messageLifetimeSeconds + clockSkewSeconds) {
      throw badRequest('saml.request_expired', 'The sign-in request has expired. Go back to the application and start again.');
    }
    if (age < -clockSkewSeconds) {
      throw badRequest('saml.request_from_future', 'The sign-in request is dated in the future; the clocks of the application and Gatehouse disagree.');
    }
  },
};

/**
 * Profiles §4.1.4.1: whether or not the request is signed, the ACS URL or index must belong to
 * the SP. Exact string match; never post to an unregistered URL.
 */
export function resolveAcs(request: AuthnRequestData, sp: SpRegistration): RegisteredAcs {
  if (request.acsUrl !== undefined) {
    const match = sp.acsEndpoints.find((e) => e.url === request.acsUrl);
    if (!match) {
      throw badRequest('saml.acs_url_mismatch', 'The sign-in request asks for the answer at an address (ACS URL) that is not registered for this application. Nothing was sent.');
    }
    return match;
  }
  if (request.acsIndex !== undefined) {
    const match = sp.acsEndpoints.find((e) => e.index === request.acsIndex);
    if (!match) {
      throw badRequest('saml.acs_index_unknown', `The sign-in request asks for ACS index ${request.acsIndex}, which is not registered for this application.`);
    }
    return match;
  }
  return defaultAcs(sp);
}

export function defaultAcs(sp: SpRegistration): RegisteredAcs {
  return sp.acsEndpoints.find((e) => e.isDefault) ?? sp.acsEndpoints[0];
}

export const acsIsRegistered: AuthnRequestCheck = {
  name: 'ACS URL or index is registered',
  run({ request, sp }) {
    resolveAcs(request, sp);
  },
};

/** We answer over HTTP-POST only; a Response is never placed in a URL (security.md §2 #15). */
export const responseBindingSupported: AuthnRequestCheck = {
  name: 'response binding is HTTP-POST',
  run({ request }) {
    if (request.protocolBinding !== undefined && request.protocolBinding !== BINDING.post) {
      throw badRequest('saml.binding_unsupported', 'The sign-in request asks for an answer over a binding Gatehouse does not support (only HTTP-POST).');
    }
  },
};

/** The checks in the order they run: who sent it and whether it is authentic come first. */
export const AUTHN_REQUEST_CHECKS: readonly AuthnRequestCheck[] = [
  issuerIsRegisteredSp,
  signatureIsValid,
  destinationIsThisEndpoint,
  issueInstantIsFresh,
  acsIsRegistered,
  responseBindingSupported,
];

export function runAuthnRequestChecks(c: CheckContext): RegisteredAcs {
  for (const check of AUTHN_REQUEST_CHECKS) check.run(c);
  return resolveAcs(c.request, c.sp);
}

/**
 * After the ACS is trusted, a request we cannot satisfy is answered with a SAML error Response
 * (core §3.4.1.1, §3.2.2.2). The NameIDPolicy is known at once; the authentication context only
 * once the user has signed in (see authn-context.ts).
 */
export function nameIdPolicyProblem(request: AuthnRequestData, appNameIdFormat: string): { status: string; message: string } | undefined {
  const policy = request.nameIdPolicyFormat;
  if (policy && policy !== NAMEID_FORMAT.unspecified && policy !== appNameIdFormat) {
    return { status: STATUS.invalidNameIdPolicy, message: `NameID format ${policy} is not configured for this application.` };
  }
  return undefined;
}
