import { DOMParser } from '@xmldom/xmldom';
import { randomBytesPooled } from '../crypto/random';
import { badRequest } from '../errors';

/**
 * Small XML helpers shared by the SAML code: IDs, escaping in exclusive-c14n form, the XML 1.0
 * character check, and a strict parser for inbound messages.
 */

/** An xs:ID (an NCName): `_` and 40 hex digits, 160 bits of randomness (core §1.3.4). */
export function newSamlId(): string {
  return `_${randomBytesPooled(20).toString('hex')}`;
}

/**
 * XML 1.0 §2.2 Char: TAB, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF. Anything else
 * (C0 controls, U+FFFE/U+FFFF, lone surrogates) cannot be carried by any XML document; a value
 * holding one would make a signed, ill-formed Response (security.md §1.1 step 8).
 */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function isXmlSafe(value: string): boolean {
  return !NOT_XML_CHAR.test(value);
}

/** Text node escaping as exclusive c14n writes it (XML-C14N §2.3: &, <, >, CR). */
export function escapeText(value: string): string {
  return value.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'));
}

const ATTR_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' };

/** Attribute value escaping as exclusive c14n writes it (XML-C14N §2.3: &, <, ", TAB, LF, CR). */
export function escapeAttr(value: string): string {
  return value.replace(/[&<"\t\n\r]/g, (c) => ATTR_ESCAPES[c]);
}

/** Base64 body of a PEM certificate, as ds:X509Certificate and metadata carry it. */
export function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

/**
 * SAML protocol messages never need a DTD, entities, comments or processing instructions, and each
 * is a known attack surface: XXE, entity expansion, and parser differentials where a comment splits
 * a text node (`https://sp.example/meta<!---->data`, security.md §1.1 step 7). Refuse them before
 * any parser runs. A leading XML declaration is allowed: it is not a processing instruction.
 */
export function assertPlainXml(xml: string): void {
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) {
    throw badRequest('saml.doctype_forbidden', 'The SAML message contains a DOCTYPE or entity declaration, which Gatehouse never accepts.');
  }
  if (xml.includes('<!--')) {
    throw badRequest('saml.comment_forbidden', 'The SAML message contains an XML comment, which Gatehouse does not accept in protocol messages.');
  }
  const body = xml.replace(/^\uFEFF?\s*<\?xml\s[^?]*\?>/, '');
  if (body.includes('<?')) {
    throw badRequest('saml.processing_instruction_forbidden', 'The SAML message contains a processing instruction, which Gatehouse does not accept.');
  }
}

/** Parse an inbound message after assertPlainXml; any parser complaint is a 400, never a crash. */
export function parseStrictXml(xml: string): Document {
  assertPlainXml(xml);
  const problems: string[] = [];
  const onProblem = (message: string) => {
    problems.push(String(message).split('\n')[0]);
  };
  let document: Document | undefined;
  try {
    document = new DOMParser({
      locator: {},
      errorHandler: { warning: onProblem, error: onProblem, fatalError: onProblem },
    }).parseFromString(xml, 'text/xml');
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  const roots = document ? elementChildren(document as unknown as Element) : [];
  if (!document || problems.length > 0 || roots.length !== 1 || !onlyTheRoot(xml, document)) {
    throw badRequest('saml.malformed_xml', 'The SAML message is not well-formed XML.', problems.slice(0, 3).join('; '));
  }
  return document;
}

/**
 * XML 1.0 §2.1: a document is a prolog, one root element, then only comments, PIs and white space.
 * xmldom keeps text after the root as a document-level text node and silently drops text before it;
 * either would let two parsers disagree about the message (issue 9 #3), so both are refused.
 */
function onlyTheRoot(xml: string, document: Document): boolean {
  const prologless = xml.replace(/^\uFEFF?\s*<\?xml\s[^?]*\?>/, '');
  if (!/^\s*</.test(prologless)) return false;
  for (let node = document.firstChild; node; node = node.nextSibling) {
    const isText = node.nodeType === 3 || node.nodeType === 4;
    if (isText && !/^\s*$/.test(node.nodeValue ?? '')) return false;
  }
  return true;
}

/** Element children of a node (text, whitespace and other nodes skipped). */
export function elementChildren(node: Element): Element[] {
  const out: Element[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === 1) out.push(child as Element);
  }
  return out;
}

/** Direct children of `parent` with this namespace and local name. */
export function childrenNamed(parent: Element, ns: string, localName: string): Element[] {
  return elementChildren(parent).filter((e) => e.namespaceURI === ns && e.localName === localName);
}

/** Every element below `root` with this namespace and local name, at any depth. */
export function descendantsNamed(root: Document | Element, ns: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(ns, localName) as unknown as ArrayLike<Element>);
}

/**
 * Text of an element that may hold text only: a child element inside (wrapping, injection) is
 * refused. xs:anyURI content collapses white space, so it is trimmed; names such as the Issuer
 * and NameID (core §2.2, string-valued) are compared exactly as sent, so `exact` keeps them whole.
 */
export function textOnly(element: Element, what: string, exact = false): string {
  if (elementChildren(element).length > 0) {
    throw badRequest('saml.malformed_request', `The ${what} of the SAML message must be plain text.`);
  }
  const value = element.textContent ?? '';
  return exact ? value : value.trim();
}
