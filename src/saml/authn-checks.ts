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

/** The checks in the order they run: who sent it and whether it is authentic come first. */
export const AUTHN_REQUEST_CHECKS: readonly AuthnRequestCheck[] = [
  issuerIsRegisteredSp,
  signatureIsValid,
  destinationIsThisEndpoint,
  issueInstantIsFresh,
  acsIsRegistered,
];

export function runAuthnRequestChecks(c: CheckContext): RegisteredAcs {
  for (const check of AUTHN_REQUEST_CHECKS) check.run(c);
  return resolveAcs(c.request, c.sp);
}

/**
 * After the ACS is trusted, a request we cannot satisfy is answered with a signed SAML error
 * Response at that ACS (core §3.4.1.1, §3.2.2.2), never with a local page the SP never sees.
 * Each status check is one small function returning the problem, or undefined; the
 * authentication context and the Subject can be judged only once the user is known (sso.ts).
 */
export interface StatusProblem {
  /** Top-level status (core §3.2.2.2): Requester, Responder or VersionMismatch. */
  topStatus: string;
  subStatus?: string;
  message: string;
}

/** Which party is at fault for each second-level status we send (core §3.2.2.2). */
const TOP_STATUS_OF: Record<string, string> = {
  [STATUS.noPassive]: STATUS.responder,
  [STATUS.requestDenied]: STATUS.responder,
  [STATUS.requestUnsupported]: STATUS.responder,
  [STATUS.unsupportedBinding]: STATUS.responder,
  [STATUS.invalidNameIdPolicy]: STATUS.requester,
  [STATUS.noAuthnContext]: STATUS.requester,
  [STATUS.requestVersionTooHigh]: STATUS.versionMismatch,
  [STATUS.requestVersionTooLow]: STATUS.versionMismatch,
};

export function statusProblem(subStatus: string, message: string): StatusProblem {
  return { topStatus: TOP_STATUS_OF[subStatus] ?? STATUS.responder, subStatus, message };
}

export interface AuthnRequestStatusCheck {
  name: string;
  problem(request: AuthnRequestData, app: { nameIdFormat: string }): StatusProblem | undefined;
}

/** Core §3.2.2.2 VersionMismatch; the second level says which way when the version reads as a number. */
export const versionIsSaml2: AuthnRequestStatusCheck = {
  name: 'version is 2.0',
  problem({ version }) {
    if (version === '2.0') return undefined;
    const major = Number(/^(\d+)\.\d+$/.exec(version)?.[1] ?? NaN);
    const message = `Gatehouse speaks SAML 2.0; the request says Version="${version.slice(0, 20)}".`;
    if (major > 2) return statusProblem(STATUS.requestVersionTooHigh, message);
    if (major < 2) return statusProblem(STATUS.requestVersionTooLow, message);
    return { topStatus: STATUS.versionMismatch, message };
  },
};

/** We answer over HTTP-POST only; a Response never travels in a URL (security.md §2 #15). */
export const responseBindingIsPost: AuthnRequestStatusCheck = {
  name: 'response binding is HTTP-POST',
  problem({ protocolBinding }) {
    if (protocolBinding === undefined || protocolBinding === BINDING.post) return undefined;
    return statusProblem(STATUS.unsupportedBinding, `Gatehouse answers over HTTP-POST only, not ${protocolBinding.slice(0, 200)}.`);
  },
};

/** Core §3.4.1.1: a NameIDPolicy format the app does not send cannot be satisfied. */
export const nameIdPolicyIsSatisfiable: AuthnRequestStatusCheck = {
  name: 'NameID policy satisfiable',
  problem({ nameIdPolicyFormat: policy }, app) {
    if (!policy || policy === NAMEID_FORMAT.unspecified || policy === app.nameIdFormat) return undefined;
    return statusProblem(STATUS.invalidNameIdPolicy, `NameID format ${policy} is not configured for this application.`);
  },
};

/** Core §3.4.1.4: only a plain NameID subject can be matched against the signed-in user. */
export const subjectIsReadable: AuthnRequestStatusCheck = {
  name: 'subject, when present, is a NameID',
  problem({ subject }) {
    if (!subject || subject.nameId !== undefined) return undefined;
    return statusProblem(STATUS.requestUnsupported, 'The request names its subject with a BaseID or EncryptedID, which Gatehouse does not read.');
  },
};

export const AUTHN_REQUEST_STATUS_CHECKS: readonly AuthnRequestStatusCheck[] = [
  versionIsSaml2,
  responseBindingIsPost,
  nameIdPolicyIsSatisfiable,
  subjectIsReadable,
];

export function firstStatusProblem(request: AuthnRequestData, app: { nameIdFormat: string }): StatusProblem | undefined {
  for (const check of AUTHN_REQUEST_STATUS_CHECKS) {
    const problem = check.problem(request, app);
    if (problem) return problem;
  }
  return undefined;
}
