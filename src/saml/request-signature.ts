import crypto from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { badRequest } from '../errors';
import { NS, type DecodedMessage } from './types';
import { childrenNamed, descendantsNamed, elementChildren } from './xml';

/**
 * Signed AuthnRequests, verified with the SP certificate registered for the app and nothing else
 * (never a KeyInfo certificate). Security.md §1.1 steps 2–4.
 */

/** SigAlg / SignatureMethod allowlist: no SHA-1, no HMAC (xml-crypto GHSA-c27r-x354-4m68). */
const SIGNATURE_ALGORITHMS: Record<string, { hash: string; ecdsa?: boolean }> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': { hash: 'sha256' },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': { hash: 'sha384' },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': { hash: 'sha512' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256': { hash: 'sha256', ecdsa: true },
};
const DIGEST_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmldsig-more#sha384', 'http://www.w3.org/2001/04/xmlenc#sha512',
]);
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

const publicKeys = new Map<string, crypto.KeyObject>();

function publicKeyOf(certificatePem: string): crypto.KeyObject {
  let key = publicKeys.get(certificatePem);
  if (!key) {
    key = new crypto.X509Certificate(certificatePem).publicKey;
    if (publicKeys.size > 1000) publicKeys.clear();
    publicKeys.set(certificatePem, key);
  }
  return key;
}

const invalid = () => badRequest('saml.signature_invalid', 'The signature of the sign-in request does not verify with the certificate registered for this application.');
const unsupported = (alg: string) => badRequest('saml.signature_algorithm_unsupported', `The sign-in request is signed with ${alg || 'no algorithm'}, which Gatehouse does not accept (use RSA-SHA256 or stronger).`);
const structure = (why: string) => badRequest('saml.signature_structure', `The signature of the sign-in request has a structure Gatehouse does not accept: ${why}.`);

/** HTTP-Redirect (bindings §3.4.4.1): a detached signature over the raw query octets. */
export function verifyRedirectSignature(signature: NonNullable<DecodedMessage['redirectSignature']>, certificatePem: string): void {
  const algorithm = SIGNATURE_ALGORITHMS[signature.sigAlg];
  if (!algorithm) throw unsupported(signature.sigAlg);
  let ok = false;
  try {
    ok = crypto.verify(algorithm.hash, Buffer.from(signature.signedOctets, 'utf8'),
      algorithm.ecdsa ? { key: publicKeyOf(certificatePem), dsaEncoding: 'ieee-p1363' } : publicKeyOf(certificatePem), signature.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw invalid();
}

function one(parent: Element, localName: string, why: string): Element {
  const found = childrenNamed(parent, NS.dsig, localName);
  if (found.length !== 1) throw structure(why);
  return found[0];
}

/** Every element carrying this ID value, under any of the ID attribute names xml-crypto resolves. */
function elementsWithId(document: Document, id: string): number {
  let count = 0;
  const stack: Element[] = [document.documentElement as Element];
  while (stack.length > 0) {
    const element = stack.pop()!;
    for (const attr of ['ID', 'Id', 'id']) if (element.getAttribute(attr) === id) count += 1;
    stack.push(...elementChildren(element));
  }
  return count;
}

/**
 * The strict profile that must hold before the signature is even computed (SAML core §5.4.2,
 * security.md §1.1 step 3; samlify 2.13.1 accepts wrapped requests, issue #634): exactly one
 * ds:Signature, a child of the root, with one Reference to the root's ID, which names only the
 * root; only enveloped-signature and exc-c14n transforms; no ds:Object; allowlisted algorithms.
 */
function checkProfile(document: Document): Element {
  const root = document.documentElement as Element;
  const signatures = descendantsNamed(document, NS.dsig, 'Signature');
  if (signatures.length !== 1) throw structure('there must be exactly one signature');
  const signature = signatures[0];
  if (signature.parentNode !== root) throw structure('the signature must be a direct child of the request');
  if (childrenNamed(signature, NS.dsig, 'Object').length > 0) throw structure('ds:Object is not allowed');

  const signedInfo = one(signature, 'SignedInfo', 'one SignedInfo is required');
  const c14n = one(signedInfo, 'CanonicalizationMethod', 'one CanonicalizationMethod is required').getAttribute('Algorithm');
  if (c14n !== EXC_C14N) throw structure('the canonicalization must be exclusive c14n without comments');
  const method = one(signedInfo, 'SignatureMethod', 'one SignatureMethod is required').getAttribute('Algorithm') ?? '';
  if (!SIGNATURE_ALGORITHMS[method]) throw unsupported(method);

  const reference = one(signedInfo, 'Reference', 'exactly one Reference is required');
  const rootId = root.getAttribute('ID') ?? '';
  if (reference.getAttribute('URI') !== `#${rootId}`) throw structure('the Reference must point at the request itself');
  if (elementsWithId(document, rootId) !== 1) throw structure('the request ID must name one element only');
  const transforms = childrenNamed(reference, NS.dsig, 'Transforms');
  if (transforms.length > 1) throw structure('one Transforms element at most');
  for (const transform of transforms.length ? childrenNamed(transforms[0], NS.dsig, 'Transform') : []) {
    const alg = transform.getAttribute('Algorithm');
    if (alg !== ENVELOPED && alg !== EXC_C14N) throw structure(`the transform ${alg ?? '(none)'} is not allowed`);
  }
  const digest = one(reference, 'DigestMethod', 'one DigestMethod is required').getAttribute('Algorithm') ?? '';
  if (!DIGEST_ALGORITHMS.has(digest)) throw unsupported(digest);
  return signature;
}

/** HTTP-POST: an enveloped XML signature on the AuthnRequest root, checked by profile, then by crypto. */
export function verifyPostSignature(document: Document, xml: string, certificatePem: string): void {
  const signature = checkProfile(document);
  const verifier = new SignedXml({
    publicCert: publicKeyOf(certificatePem),
    // Trust only the registered certificate, never one the message brings (CVE-2024-32962).
    getCertFromKeyInfo: () => null,
  });
  let ok = false;
  try {
    verifier.loadSignature(signature as unknown as Parameters<SignedXml['loadSignature']>[0]);
    ok = verifier.checkSignature(xml);
  } catch {
    ok = false;
  }
  if (!ok) throw invalid();
}
