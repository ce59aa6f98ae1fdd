import { badRequest } from '../errors';
import { NS, type AuthnRequestData } from './types';
import { childrenNamed, descendantsNamed, parseStrictXml, textOnly } from './xml';

/**
 * Read an AuthnRequest (SAML core §3.4.1) with absolute paths from the root, so the values we act
 * on are the ones a signature check looks at (security.md §1.1 steps 1 and 5). samlify's extractor
 * is not used: it skips AssertionConsumerServiceIndex, ProtocolBinding, ForceAuthn, IsPassive and
 * RequestedAuthnContext, and reads wrapped values (issue #634).
 */

/** NCName (XML Namespaces §3), capped: request IDs are remembered in the replay cache. */
const NCNAME = /^[A-Za-z_][\w.-]*$/;
const MAX_ID_LENGTH = 256;
const COMPARISONS: readonly string[] = ['exact', 'minimum', 'maximum', 'better'];
/** xs:dateTime with an explicit UTC or offset zone; a zone-less time is ambiguous (core §1.3.3 wants UTC). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function malformed(message: string) {
  return badRequest('saml.malformed_request', message);
}

function optionalAttr(element: Element, name: string): string | undefined {
  return element.hasAttribute(name) ? element.getAttribute(name)! : undefined;
}

/** xs:boolean: "true" / "1" or "false" / "0"; absent means false. */
function booleanAttr(element: Element, name: string): boolean {
  const value = optionalAttr(element, name);
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw malformed(`The ${name} attribute of the sign-in request must be true or false.`);
}

/** At most one child with this name; two Issuers or two NameIDPolicies are a wrapping attempt. */
function atMostOne(parent: Element, ns: string, localName: string): Element | undefined {
  const found = childrenNamed(parent, ns, localName);
  if (found.length > 1) throw malformed(`The sign-in request has more than one ${localName}.`);
  return found[0];
}

function readId(root: Element): string {
  const id = root.getAttribute('ID') ?? '';
  if (!NCNAME.test(id) || id.length > MAX_ID_LENGTH) {
    throw badRequest('saml.request_id_invalid', 'The sign-in request has no valid ID.');
  }
  return id;
}

function readIssueInstant(root: Element): Date {
  const raw = root.getAttribute('IssueInstant') ?? '';
  const parsed = new Date(raw);
  if (!DATE_TIME.test(raw) || Number.isNaN(parsed.getTime())) {
    throw badRequest('saml.issue_instant_invalid', 'The sign-in request has no valid IssueInstant.');
  }
  return parsed;
}

function readAcsIndex(root: Element): number | undefined {
  const raw = optionalAttr(root, 'AssertionConsumerServiceIndex');
  if (raw === undefined) return undefined;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) {
    throw malformed('AssertionConsumerServiceIndex must be a number from 0 to 65535.');
  }
  return Number(raw);
}

/**
 * Core §3.4.1.4: a <Subject> names the principal the SP wants an assertion about. Only a plain
 * NameID is read; a BaseID or EncryptedID is kept as "unreadable" so the request is answered with
 * a status rather than with an assertion about somebody else.
 */
function readSubject(root: Element): AuthnRequestData['subject'] {
  const subject = atMostOne(root, NS.assertion, 'Subject');
  if (!subject) return undefined;
  const nameId = atMostOne(subject, NS.assertion, 'NameID');
  if (!nameId) return { nameId: undefined };
  return { nameId: textOnly(nameId, 'Subject NameID', true), format: optionalAttr(nameId, 'Format') };
}

export function parseAuthnRequest(xml: string): { data: AuthnRequestData; document: Document } {
  const document = parseStrictXml(xml);
  const root = document.documentElement as Element;
  if (root.namespaceURI !== NS.protocol || root.localName !== 'AuthnRequest') {
    throw badRequest('saml.not_authn_request', 'The SAMLRequest is not an AuthnRequest.');
  }
  // A Version other than 2.0 is answered with VersionMismatch once the ACS is trusted (core
  // §3.2.2.2), so it is read here and judged by the status checks, not refused on the spot.
  const version = root.getAttribute('Version') ?? '';

  const issuerElement = atMostOne(root, NS.assertion, 'Issuer');
  const acsUrl = optionalAttr(root, 'AssertionConsumerServiceURL');
  const acsIndex = readAcsIndex(root);
  if (acsUrl !== undefined && acsIndex !== undefined) {
    // Core §3.4.1: the two are mutually exclusive.
    throw malformed('The sign-in request names both an ACS URL and an ACS index; it may name only one.');
  }
  const policy = atMostOne(root, NS.protocol, 'NameIDPolicy');
  const requested = atMostOne(root, NS.protocol, 'RequestedAuthnContext');
  const classRefs = requested ? childrenNamed(requested, NS.assertion, 'AuthnContextClassRef').map((e) => textOnly(e, 'AuthnContextClassRef')) : [];
  const comparison = requested ? optionalAttr(requested, 'Comparison') ?? 'exact' : 'exact';
  if (!COMPARISONS.includes(comparison as AuthnRequestData['requestedAuthnContextComparison'])) {
    throw malformed('RequestedAuthnContext Comparison must be exact, minimum, maximum or better.');
  }

  const data: AuthnRequestData = {
    id: readId(root),
    version,
    issueInstant: readIssueInstant(root),
    destination: optionalAttr(root, 'Destination'),
    // Exactly as sent: " https://sp.example " or another letter case is another entity (issue 9 #5).
    issuer: issuerElement ? textOnly(issuerElement, 'Issuer', true) || undefined : undefined,
    issuerFormat: issuerElement ? optionalAttr(issuerElement, 'Format') : undefined,
    acsUrl,
    acsIndex,
    protocolBinding: optionalAttr(root, 'ProtocolBinding'),
    forceAuthn: booleanAttr(root, 'ForceAuthn'),
    isPassive: booleanAttr(root, 'IsPassive'),
    nameIdPolicyFormat: policy ? optionalAttr(policy, 'Format') : undefined,
    subject: readSubject(root),
    requestedAuthnContextClassRefs: classRefs,
    requestedAuthnContextComparison: comparison as AuthnRequestData['requestedAuthnContextComparison'],
    // Any signature anywhere makes the request "signed": a wrapped one must be checked, not ignored.
    hasEnvelopedSignature: descendantsNamed(document, NS.dsig, 'Signature').length > 0,
  };
  return { data, document };
}
