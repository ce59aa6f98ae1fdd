import type { KeyObject } from 'node:crypto';

/** SAML 2.0 namespace and URI constants (SAML core §1.2, bindings §3, xmldsig). */
export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

export const BINDING = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

export const NAMEID_FORMAT = {
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  entity: 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity',
} as const;

/** Top-level and second-level status codes we emit (SAML core §3.2.2.2). */
export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  noPassive: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
  invalidNameIdPolicy: 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy',
  requestDenied: 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied',
  noAuthnContext: 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext',
  unsupportedBinding: 'urn:oasis:names:tc:SAML:2.0:status:UnsupportedBinding',
  versionMismatch: 'urn:oasis:names:tc:SAML:2.0:status:VersionMismatch',
  requestVersionTooHigh: 'urn:oasis:names:tc:SAML:2.0:status:RequestVersionTooHigh',
  requestVersionTooLow: 'urn:oasis:names:tc:SAML:2.0:status:RequestVersionTooLow',
  requestUnsupported: 'urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported',
} as const;

export const AUTHN_CONTEXT = {
  password: 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password',
  passwordProtectedTransport: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
  /** A one-time code from a time-synchronised token (TOTP) on top of the password. */
  timeSyncToken: 'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken',
  unspecified: 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified',
} as const;

export type SignatureAlgorithm = 'rsa-sha256' | 'rsa-sha512';

/**
 * What the IdP signs with. The private key is a pre-parsed KeyObject so no PEM is parsed on the
 * hot path (perf-and-deps.md §4: samlify spends ~40% re-parsing the PEM on every signature).
 */
export interface SigningCredential {
  privateKey: KeyObject;
  /** The X.509 certificate as PEM (BEGIN/END lines included). */
  certificatePem: string;
}

export interface ResponseAttribute {
  /** Attribute Name (validated at config time: a URI or an NCName-like token). */
  name: string;
  /** Defaults to urn:oasis:names:tc:SAML:2.0:attrname-format:basic when omitted. */
  nameFormat?: string;
  /** One AttributeValue per entry; multi-valued attributes (groups) have several. */
  values: string[];
}

/** Everything needed to build one successful SAML Response (profiles §4.1.4.2). */
export interface ResponseInput {
  /** ID of the Response element; an NCName such as `_` + 40 hex chars. */
  responseId: string;
  /** ID of the Assertion element. */
  assertionId: string;
  /** IdP entity ID: Issuer of Response and Assertion. */
  issuer: string;
  /** The validated ACS URL: Response/@Destination and SubjectConfirmationData/@Recipient. */
  destination: string;
  /** ID of the AuthnRequest answered; undefined for IdP-initiated (attribute then absent). */
  inResponseTo?: string;
  /** SP entity ID: the only Audience. */
  audience: string;
  nameId: { value: string; format: string };
  /** Conditions NotBefore = now - skew; NotOnOrAfter = now + lifetime. */
  now: Date;
  assertionLifetimeSeconds: number;
  clockSkewSeconds: number;
  authnInstant: Date;
  sessionIndex: string;
  authnContextClassRef: string;
  attributes: ResponseAttribute[];
  signAssertion: boolean;
  signResponse: boolean;
  algorithm: SignatureAlgorithm;
  credential: SigningCredential;
}

/** A SAML error Response (no assertion) sent to an already-verified ACS (core §3.2.2.2). */
export interface StatusResponseInput {
  responseId: string;
  issuer: string;
  destination: string;
  inResponseTo?: string;
  now: Date;
  /** Top-level status: STATUS.requester or STATUS.responder. */
  topStatus: string;
  /** Optional second-level status such as STATUS.noPassive. */
  subStatus?: string;
  statusMessage?: string;
  algorithm: SignatureAlgorithm;
  credential: SigningCredential;
}

/** Limits applied before and after decoding an inbound message (security.md §2 #9). */
export interface DecodeLimits {
  /** Max length of the encoded SAMLRequest parameter (chars). */
  maxEncodedBytes: number;
  /** Max size of the XML after base64-decoding and inflating (bytes). */
  maxXmlBytes: number;
  /** Max RelayState length in bytes. */
  maxRelayStateBytes: number;
}

/** A decoded inbound message, binding-independent, plus what a signature check needs. */
export interface DecodedMessage {
  binding: 'redirect' | 'post';
  xml: string;
  relayState?: string;
  /**
   * Redirect binding only (bindings §3.4.4.1): the detached signature over the raw octets
   * `SAMLRequest=…&RelayState=…&SigAlg=…` exactly as received.
   */
  redirectSignature?: { sigAlg: string; signature: Buffer; signedOctets: string };
}

/** The fields of an AuthnRequest we act on (core §3.4.1), read with absolute paths from the root. */
export interface AuthnRequestData {
  id: string;
  version: string;
  issueInstant: Date;
  destination?: string;
  issuer?: string;
  issuerFormat?: string;
  acsUrl?: string;
  acsIndex?: number;
  protocolBinding?: string;
  forceAuthn: boolean;
  isPassive: boolean;
  nameIdPolicyFormat?: string;
  /** The <Subject> the SP asks about (core §3.4.1.4); nameId undefined when it is not a plain NameID. */
  subject?: { nameId?: string; format?: string };
  requestedAuthnContextClassRefs: string[];
  /** RequestedAuthnContext/@Comparison; "exact" when absent (core §3.3.2.2.1). */
  requestedAuthnContextComparison: 'exact' | 'minimum' | 'maximum' | 'better';
  /** True when the root carries an enveloped ds:Signature (POST binding). */
  hasEnvelopedSignature: boolean;
}
