import zlib from 'node:zlib';
import { badRequest, tooLarge } from '../errors';
import type { DecodedMessage, DecodeLimits } from './types';

/**
 * Inbound bindings (SAML bindings §3.4 HTTP-Redirect, §3.5 HTTP-POST), decoded with limits that
 * apply before any allocation grows with the input (security.md §1.1 step 6: an uncapped inflate
 * turned 21 KB into 16 MB). Nothing here parses XML.
 */

const REDIRECT_PARAMETERS = new Set(['SAMLRequest', 'RelayState', 'SigAlg', 'Signature']);
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function badEncoding(what: string) {
  return badRequest('saml.bad_encoding', `The ${what} is not correctly encoded (base64${what === 'SAMLRequest' ? ', DEFLATE' : ''}, UTF-8).`);
}

/**
 * What arrived at the SSO URL, judged on parameter names alone before anything is decoded: a
 * SAMLRequest (SP-initiated), or no SAML binding parameter at all (an IdP-initiated launch). Any
 * other SAML parameter is refused, so a message Gatehouse cannot read is never mistaken for a
 * launch that signs an assertion for whoever is signed in (issue 9 #1–#2). Names are matched
 * case-insensitively and with any `[…]` or `.…` suffix, the forms body parsers turn into arrays or
 * objects; only the exact names of bindings §3.4.4 / §3.5.4 / §3.6.3 are read.
 */
const BINDING_PARAMETERS = ['SAMLRequest', 'SAMLResponse', 'SAMLart', 'SAMLEncoding', 'RelayState', 'SigAlg', 'Signature'] as const;
const BINDING_PARAMETER_LIKE = new RegExp(`^(${BINDING_PARAMETERS.join('|')})(?:$|[[.])`, 'i');
const DEFLATE_ENCODING = 'urn:oasis:names:tc:SAML:2.0:bindings:URL-Encoding:DEFLATE';

export type SsoMessageKind = 'request' | 'launch';

function parameterNames(rawQuery: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    let name = rawName;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
    } catch {
      // An undecodable name is judged as written.
    }
    out.push({ name, value: eq === -1 ? '' : pair.slice(eq + 1) });
  }
  return out;
}

export function classifySsoMessage(method: 'GET' | 'POST', rawQuery: string, body: Record<string, unknown>): SsoMessageKind {
  const inQuery = parameterNames(rawQuery).filter((p) => BINDING_PARAMETER_LIKE.test(p.name));
  const inBody = method === 'POST' ? Object.keys(body).filter((name) => BINDING_PARAMETER_LIKE.test(name)) : [];
  if (method === 'POST' && inQuery.length > 0) {
    throw badRequest('saml.malformed_parameter', `A POST carries its SAML message in the form body, not in the address (${inQuery[0].name}).`);
  }
  const names = method === 'POST' ? inBody : inQuery.map((p) => p.name);
  const odd = names.find((name) => !(BINDING_PARAMETERS as readonly string[]).includes(name));
  if (odd !== undefined) {
    throw badRequest('saml.malformed_parameter', `The parameter "${odd.slice(0, 40)}" is not a SAML binding parameter Gatehouse reads: bracketed, array and differently-cased names are refused.`);
  }
  const has = (name: string) => names.includes(name);
  if (has('SAMLRequest') && has('SAMLResponse')) {
    throw badRequest('saml.ambiguous_message', 'The message carries both a SAML request and a SAML response; send one SAML message at a time.');
  }
  if (has('SAMLResponse')) {
    throw badRequest('saml.response_not_accepted', 'This is the sign-in address of an identity provider: it takes SAML requests from applications, not SAML responses.');
  }
  if (has('SAMLart')) {
    throw badRequest('saml.artifact_unsupported', 'Gatehouse does not support the HTTP-Artifact binding; the application must send its request over HTTP-Redirect or HTTP-POST.');
  }
  if (has('SAMLRequest')) {
    const encoding = inQuery.find((p) => p.name === 'SAMLEncoding');
    if (encoding && urlDecodeLoose(encoding.value) !== DEFLATE_ENCODING) {
      throw badRequest('saml.encoding_unsupported', 'The SAMLEncoding of the request is not DEFLATE, the only encoding of the HTTP-Redirect binding (§3.4.4.1).');
    }
    return 'request';
  }
  if (has('Signature') || has('SigAlg')) {
    throw badRequest('saml.signature_without_request', 'The message carries a signature but no SAMLRequest.');
  }
  if (has('RelayState') || has('SAMLEncoding')) {
    throw badRequest('saml.relay_state_without_request', 'A RelayState or SAMLEncoding came without a SAMLRequest. An unsolicited sign-in takes its RelayState from the application settings, never from the address.');
  }
  return 'launch';
}

function urlDecodeLoose(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** Strict base64: the right alphabet and padding, nothing Buffer.from would silently skip. */
export function decodeBase64Strict(value: string, what: string): Buffer {
  if (!STRICT_BASE64.test(value)) throw badEncoding(what);
  return Buffer.from(value, 'base64');
}

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw badEncoding(what);
  }
}

function urlDecode(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw badEncoding(what);
  }
}

function checkRelayState(relayState: string | undefined, limits: DecodeLimits): void {
  if (relayState !== undefined && Buffer.byteLength(relayState, 'utf8') > limits.maxRelayStateBytes) {
    throw badRequest('saml.relay_state_too_long', `The RelayState is longer than ${limits.maxRelayStateBytes} bytes.`);
  }
}

/** Inflate with a hard output cap: a DEFLATE bomb stops at the limit, not at the memory limit. */
function inflateCapped(deflated: Buffer, limits: DecodeLimits): Buffer {
  try {
    return zlib.inflateRawSync(deflated, { maxOutputLength: limits.maxXmlBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw tooLarge('saml.message_too_large', `The SAML message is larger than ${limits.maxXmlBytes / 1024} KB once inflated.`);
    }
    throw badEncoding('SAMLRequest');
  }
}

/**
 * HTTP-Redirect (bindings §3.4.4): read the raw query string ourselves. The signature covers the
 * octets exactly as received, in the order SAMLRequest, RelayState, SigAlg (§3.4.4.1), so they are
 * kept raw and never rebuilt from a decoded query object; a repeated parameter is refused so the
 * value verified is the value used.
 */
export function decodeRedirect(rawQuery: string, limits: DecodeLimits): DecodedMessage {
  const raw = new Map<string, string>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    if (!REDIRECT_PARAMETERS.has(name)) continue;
    if (raw.has(name)) throw badRequest('saml.duplicate_parameter', `The ${name} parameter appears more than once.`);
    raw.set(name, eq === -1 ? '' : pair.slice(eq + 1));
  }
  const encoded = raw.get('SAMLRequest');
  if (!encoded) throw badRequest('saml.missing_request', 'The SAMLRequest parameter is missing or empty.');
  if (encoded.length > limits.maxEncodedBytes) {
    throw tooLarge('saml.message_too_large', `The SAMLRequest parameter is longer than ${limits.maxEncodedBytes / 1024} KB.`);
  }
  const xml = decodeUtf8(inflateCapped(decodeBase64Strict(urlDecode(encoded, 'SAMLRequest'), 'SAMLRequest'), limits), 'SAMLRequest');
  const relayState = raw.has('RelayState') ? urlDecode(raw.get('RelayState')!, 'RelayState') : undefined;
  checkRelayState(relayState, limits);

  const message: DecodedMessage = { binding: 'redirect', xml, relayState };
  const rawSignature = raw.get('Signature');
  const rawSigAlg = raw.get('SigAlg');
  if (rawSignature !== undefined || rawSigAlg !== undefined) {
    if (!rawSignature || !rawSigAlg) {
      throw badRequest('saml.signature_incomplete', 'A signed Redirect request needs both the SigAlg and the Signature parameters.');
    }
    const signedOctets = `SAMLRequest=${encoded}${raw.has('RelayState') ? `&RelayState=${raw.get('RelayState')}` : ''}&SigAlg=${rawSigAlg}`;
    message.redirectSignature = {
      sigAlg: urlDecode(rawSigAlg, 'SigAlg'),
      signature: decodeBase64Strict(urlDecode(rawSignature, 'Signature'), 'Signature'),
      signedOctets,
    };
  }
  return message;
}

/** One form field: a string, or refused when absent or sent twice (Express turns repeats into arrays). */
function formField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest('saml.duplicate_parameter', `The ${name} field appears more than once.`);
  return value;
}

/** HTTP-POST (bindings §3.5.4): base64 of the XML, no DEFLATE; line breaks in the base64 are allowed. */
export function decodePost(body: Record<string, unknown>, limits: DecodeLimits): DecodedMessage {
  const encoded = formField(body, 'SAMLRequest');
  if (!encoded) throw badRequest('saml.missing_request', 'The SAMLRequest field is missing or empty.');
  // base64 grows 4/3; anything longer than the XML limit allows is refused before decoding.
  if (encoded.length > Math.ceil((limits.maxXmlBytes * 4) / 3) + 4096) {
    throw tooLarge('saml.message_too_large', `The SAMLRequest field is larger than ${limits.maxXmlBytes / 1024} KB once decoded.`);
  }
  const bytes = decodeBase64Strict(encoded.replace(/[\r\n\t ]/g, ''), 'SAMLRequest');
  if (bytes.length > limits.maxXmlBytes) {
    throw tooLarge('saml.message_too_large', `The SAML message is larger than ${limits.maxXmlBytes / 1024} KB.`);
  }
  const relayState = formField(body, 'RelayState');
  checkRelayState(relayState, limits);
  // Bindings §3.5.4 says POST carries plain base64, but node-saml (and so passport-saml SPs)
  // DEFLATE it by default. XML starts with '<' (or a BOM/whitespace); anything else is inflated,
  // under the same output cap as the Redirect binding.
  const looksLikeXml = /^(?:\xEF\xBB\xBF)?\s*</.test(bytes.subarray(0, 16).toString('latin1'));
  const xmlBytes = looksLikeXml ? bytes : inflateCapped(bytes, limits);
  return { binding: 'post', xml: decodeUtf8(xmlBytes, 'SAMLRequest'), relayState };
}
