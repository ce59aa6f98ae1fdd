import crypto from 'node:crypto';
import { unprocessable } from '../errors';
import { NS, STATUS, type ResponseInput, type SignatureAlgorithm, type SigningCredential, type StatusResponseInput } from './types';
import { escapeAttr, escapeText, isXmlSafe, pemBody } from './xml';

/**
 * SAML Responses (core §3.3.3, profiles §4.1.4.2), written directly in exclusive-c14n form
 * (XML-EXC-C14N): attributes sorted, no whitespace between elements, start and end tags for empty
 * elements, each namespace declared on the first element of a signed subtree that uses it, c14n
 * escaping. The string we emit for an element is therefore its own canonical form, and signing it
 * costs one digest and one RSA operation, with no DOM and no canonicaliser on the hot path
 * (perf-and-deps.md §4: samlify spends most of its time in xmldom, xpath and PEM parsing).
 * The independent-SP tests (node-saml, xmlsec1) prove that verifiers agree with this form.
 */

const ALGORITHMS: Record<SignatureAlgorithm, { hash: string; signatureUri: string; digestUri: string }> = {
  'rsa-sha256': {
    hash: 'sha256', signatureUri: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digestUri: 'http://www.w3.org/2001/04/xmlenc#sha256',
  },
  'rsa-sha512': {
    hash: 'sha512', signatureUri: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', digestUri: 'http://www.w3.org/2001/04/xmlenc#sha512',
  },
};
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const ATTRNAME_BASIC = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';

/** Certificate bodies for ds:X509Certificate, cached per credential (no PEM work per Response). */
const certificateBodies = new WeakMap<SigningCredential, string>();

function certificateBody(credential: SigningCredential): string {
  let body = certificateBodies.get(credential);
  if (body === undefined) {
    body = pemBody(credential.certificatePem);
    certificateBodies.set(credential, body);
  }
  return body;
}

/** xs:dateTime in UTC with second precision, the form SPs parse most reliably. */
function instant(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Refuse, with a message a person can act on, a value no XML document can carry. */
function safe(value: string, what: string): string {
  if (!isXmlSafe(value)) {
    throw unprocessable('saml.value_not_xml_safe', `The ${what} contains a control character that cannot be sent in SAML; correct it in the user's profile or the application settings.`);
  }
  return value;
}

const text = (value: string, what: string) => escapeText(safe(value, what));
const attr = (value: string, what: string) => escapeAttr(safe(value, what));

/** One RSA operation the builder needs: the caller performs it, synchronously or on the thread pool. */
export interface SignRequest {
  hash: string;
  data: Buffer;
  key: SigningCredential['privateKey'];
}

/**
 * The builders are generators that yield each RSA operation and receive its result, so one
 * implementation serves both the synchronous driver (unit code, benchmark) and the asynchronous
 * one that signs on libuv's thread pool and keeps the event loop free (the HTTP path).
 */
type Building = Generator<SignRequest, string, Buffer>;

/**
 * An enveloped signature (xmldsig-core §6.6.4) over the element whose canonical form is `canonical`.
 * SignedInfo is canonicalised on its own, so there it carries the xmlns:ds declaration itself.
 */
function* signatureFor(canonical: string, referenceId: string, algorithm: SignatureAlgorithm, credential: SigningCredential): Building {
  const alg = ALGORITHMS[algorithm];
  const digest = crypto.createHash(alg.hash).update(canonical, 'utf8').digest('base64');
  const signedInfoBody = `<ds:CanonicalizationMethod Algorithm="${EXC_C14N}"></ds:CanonicalizationMethod>`
    + `<ds:SignatureMethod Algorithm="${alg.signatureUri}"></ds:SignatureMethod>`
    + `<ds:Reference URI="#${referenceId}"><ds:Transforms>`
    + `<ds:Transform Algorithm="${ENVELOPED}"></ds:Transform><ds:Transform Algorithm="${EXC_C14N}"></ds:Transform>`
    + `</ds:Transforms><ds:DigestMethod Algorithm="${alg.digestUri}"></ds:DigestMethod>`
    + `<ds:DigestValue>${digest}</ds:DigestValue></ds:Reference>`;
  const signedInfo = `<ds:SignedInfo xmlns:ds="${NS.dsig}">${signedInfoBody}</ds:SignedInfo>`;
  const value = (yield { hash: alg.hash, data: Buffer.from(signedInfo, 'utf8'), key: credential.privateKey }).toString('base64');
  return `<ds:Signature xmlns:ds="${NS.dsig}"><ds:SignedInfo>${signedInfoBody}</ds:SignedInfo>`
    + `<ds:SignatureValue>${value}</ds:SignatureValue>`
    + `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(credential)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>`
    + '</ds:Signature>';
}

/** Insert a signature right after the element's Issuer, where the schemas place ds:Signature. */
function* signAfterIssuer(head: string, issuer: string, rest: string, id: string, algorithm: SignatureAlgorithm, credential: SigningCredential): Building {
  return `${head}${issuer}${yield* signatureFor(`${head}${issuer}${rest}`, id, algorithm, credential)}${rest}`;
}

function* assertionOf(input: ResponseInput): Building {
  const { now } = input;
  const notBefore = instant(new Date(now.getTime() - input.clockSkewSeconds * 1000));
  const notOnOrAfter = instant(new Date(now.getTime() + input.assertionLifetimeSeconds * 1000));
  // Exclusive c14n sorts unprefixed attributes by name: InResponseTo < NotOnOrAfter < Recipient.
  const confirmation = `<saml:SubjectConfirmationData${input.inResponseTo !== undefined ? ` InResponseTo="${attr(input.inResponseTo, 'request ID')}"` : ''}`
    + ` NotOnOrAfter="${notOnOrAfter}" Recipient="${attr(input.destination, 'ACS URL')}"></saml:SubjectConfirmationData>`;
  const subject = `<saml:Subject><saml:NameID Format="${attr(input.nameId.format, 'NameID format')}">${text(input.nameId.value, 'NameID')}</saml:NameID>`
    + `<saml:SubjectConfirmation Method="${BEARER}">${confirmation}</saml:SubjectConfirmation></saml:Subject>`;
  const conditions = `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}">`
    + `<saml:AudienceRestriction><saml:Audience>${text(input.audience, 'SP entity ID')}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`;
  const authn = `<saml:AuthnStatement AuthnInstant="${instant(input.authnInstant)}" SessionIndex="${attr(input.sessionIndex, 'session index')}">`
    + `<saml:AuthnContext><saml:AuthnContextClassRef>${text(input.authnContextClassRef, 'authentication context')}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`;
  let attributes = '';
  if (input.attributes.length > 0) {
    attributes = '<saml:AttributeStatement>';
    for (const a of input.attributes) {
      attributes += `<saml:Attribute Name="${attr(a.name, 'attribute name')}" NameFormat="${attr(a.nameFormat ?? ATTRNAME_BASIC, 'attribute name format')}">`;
      for (const v of a.values) attributes += `<saml:AttributeValue>${text(v, `value of attribute ${a.name}`)}</saml:AttributeValue>`;
      attributes += '</saml:Attribute>';
    }
    attributes += '</saml:AttributeStatement>';
  }
  const head = `<saml:Assertion xmlns:saml="${NS.assertion}" ID="${input.assertionId}" IssueInstant="${instant(now)}" Version="2.0">`;
  const issuer = `<saml:Issuer>${text(input.issuer, 'IdP entity ID')}</saml:Issuer>`;
  const rest = `${subject}${conditions}${authn}${attributes}</saml:Assertion>`;
  if (!input.signAssertion) return `${head}${issuer}${rest}`;
  return yield* signAfterIssuer(head, issuer, rest, input.assertionId, input.algorithm, input.credential);
}

/** Response/@-attributes in c14n order: Destination < ID < InResponseTo < IssueInstant < Version. */
function responseHead(id: string, destination: string, inResponseTo: string | undefined, now: Date): string {
  return `<samlp:Response xmlns:samlp="${NS.protocol}" Destination="${attr(destination, 'ACS URL')}" ID="${id}"`
    + `${inResponseTo !== undefined ? ` InResponseTo="${attr(inResponseTo, 'request ID')}"` : ''} IssueInstant="${instant(now)}" Version="2.0">`;
}

/** The Response's Issuer uses the saml prefix, so under exc-c14n it declares it itself. */
function responseIssuer(issuer: string): string {
  return `<saml:Issuer xmlns:saml="${NS.assertion}">${text(issuer, 'IdP entity ID')}</saml:Issuer>`;
}

function* response(input: ResponseInput): Building {
  if (!input.signAssertion && !input.signResponse) {
    throw unprocessable('saml.unsigned_response', 'A Response must sign the assertion, the response or both.');
  }
  const head = responseHead(input.responseId, input.destination, input.inResponseTo, input.now);
  const issuer = responseIssuer(input.issuer);
  const rest = `<samlp:Status><samlp:StatusCode Value="${STATUS.success}"></samlp:StatusCode></samlp:Status>${yield* assertionOf(input)}</samlp:Response>`;
  if (!input.signResponse) return `${head}${issuer}${rest}`;
  return yield* signAfterIssuer(head, issuer, rest, input.responseId, input.algorithm, input.credential);
}

function* statusResponse(input: StatusResponseInput): Building {
  const head = responseHead(input.responseId, input.destination, input.inResponseTo, input.now);
  const issuer = responseIssuer(input.issuer);
  const sub = input.subStatus ? `<samlp:StatusCode Value="${attr(input.subStatus, 'status')}"></samlp:StatusCode>` : '';
  const message = input.statusMessage ? `<samlp:StatusMessage>${text(input.statusMessage, 'status message')}</samlp:StatusMessage>` : '';
  const rest = `<samlp:Status><samlp:StatusCode Value="${attr(input.topStatus, 'status')}">${sub}</samlp:StatusCode>${message}</samlp:Status></samlp:Response>`;
  return yield* signAfterIssuer(head, issuer, rest, input.responseId, input.algorithm, input.credential);
}

function runSync(building: Building): string {
  let step = building.next();
  while (!step.done) step = building.next(crypto.sign(step.value.hash, step.value.data, step.value.key));
  return step.value;
}

/** crypto.sign with a callback runs the RSA operation on libuv's thread pool. */
const signOnPool = (r: SignRequest) => new Promise<Buffer>((resolve, reject) => {
  crypto.sign(r.hash, r.data, r.key, (error, signature) => (error ? reject(error) : resolve(signature)));
});

async function runAsync(building: Building): Promise<string> {
  let step = building.next();
  while (!step.done) step = building.next(await signOnPool(step.value));
  return step.value;
}

/**
 * A successful Response with one bearer assertion. `inResponseTo` undefined (IdP-initiated) leaves
 * the attribute out entirely: an empty value would be wrong (profiles §4.1.4.2).
 */
export const buildResponse = (input: ResponseInput): string => runSync(response(input));
export const buildResponseAsync = (input: ResponseInput): Promise<string> => runAsync(response(input));

/** A signed error Response without an assertion (core §3.2.2), for an ACS already verified. */
export const buildStatusResponse = (input: StatusResponseInput): string => runSync(statusResponse(input));
export const buildStatusResponseAsync = (input: StatusResponseInput): Promise<string> => runAsync(statusResponse(input));
