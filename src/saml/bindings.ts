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
