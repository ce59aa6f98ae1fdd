import crypto from 'node:crypto';

/**
 * The rule for an SP's certificate (security.md §2: keys and algorithms are checked when the
 * admin saves, not when a request arrives). The certificate is pinned: Gatehouse verifies
 * AuthnRequests with its public key only and never builds a chain, so the self-signature proves
 * nothing. Still, an MD2/MD4/MD5 signature says the certificate was made by tooling too old to
 * trust, and a short key can be factored: those are refused. A SHA-1 self-signature is accepted
 * with a warning the admin sees, since it does not weaken a pinned key.
 */

/** Signature algorithm OIDs (RFC 3279 §2.2, RFC 4055 §5, RFC 5758 §3.2, RFC 8410 §3). */
const SIGNATURE_ALGORITHMS: Record<string, { name: string; hash: 'md' | 'sha1' | 'strong' }> = {
  '1.2.840.113549.1.1.2': { name: 'MD2 with RSA', hash: 'md' },
  '1.2.840.113549.1.1.3': { name: 'MD4 with RSA', hash: 'md' },
  '1.2.840.113549.1.1.4': { name: 'MD5 with RSA', hash: 'md' },
  '1.3.14.3.2.3': { name: 'MD5 with RSA', hash: 'md' },
  '1.2.840.113549.1.1.5': { name: 'SHA-1 with RSA', hash: 'sha1' },
  '1.3.14.3.2.29': { name: 'SHA-1 with RSA', hash: 'sha1' },
  '1.2.840.10045.4.1': { name: 'ECDSA with SHA-1', hash: 'sha1' },
  '1.2.840.10040.4.3': { name: 'DSA with SHA-1', hash: 'sha1' },
  '1.2.840.113549.1.1.10': { name: 'RSASSA-PSS', hash: 'strong' },
  '1.2.840.113549.1.1.11': { name: 'SHA-256 with RSA', hash: 'strong' },
  '1.2.840.113549.1.1.12': { name: 'SHA-384 with RSA', hash: 'strong' },
  '1.2.840.113549.1.1.13': { name: 'SHA-512 with RSA', hash: 'strong' },
  '1.2.840.113549.1.1.14': { name: 'SHA-224 with RSA', hash: 'strong' },
  '1.2.840.10045.4.3.2': { name: 'ECDSA with SHA-256', hash: 'strong' },
  '1.2.840.10045.4.3.3': { name: 'ECDSA with SHA-384', hash: 'strong' },
  '1.2.840.10045.4.3.4': { name: 'ECDSA with SHA-512', hash: 'strong' },
  '1.3.101.112': { name: 'Ed25519', hash: 'strong' },
  '1.3.101.113': { name: 'Ed448', hash: 'strong' },
};

/** EC curves of at least 256 bits (NIST P-256, P-384, P-521), by node's names. */
const STRONG_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
export const MIN_RSA_BITS = 2048;

/** One DER element: where its contents start and end (X.690 §8.1: tag, length, contents). */
function element(der: Buffer, at: number): { tag: number; start: number; end: number } {
  const tag = der[at];
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets < 1 || octets > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[start + i];
    start += octets;
  }
  if (start + length > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + length };
}

function decodeOid(bytes: Buffer): string {
  const parts = [Math.floor(bytes[0] / 40), bytes[0] % 40];
  let value = 0;
  for (const byte of bytes.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/**
 * The certificate's signatureAlgorithm OID (RFC 5280 §4.1.1.2: Certificate ::= SEQUENCE {
 * tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signatureValue }). Node's
 * X509Certificate does not expose it, and node-forge cannot read EC certificates.
 */
export function signatureAlgorithmOid(cert: crypto.X509Certificate): string {
  const der = cert.raw;
  const certificate = element(der, 0);
  const tbs = element(der, certificate.start);
  const algorithm = element(der, tbs.end);
  const oid = element(der, algorithm.start);
  if (certificate.tag !== 0x30 || tbs.tag !== 0x30 || algorithm.tag !== 0x30 || oid.tag !== 0x06) throw new Error('not an X.509 certificate');
  return decodeOid(der.subarray(oid.start, oid.end));
}

export interface SpCertificateVerdict {
  /** Why the certificate is refused, in words an admin can act on; undefined when it is fine. */
  problem?: string;
  /** Accepted, but worth knowing (a SHA-1 self-signature). */
  warnings: string[];
}

export function checkSpCertificate(pem: string): SpCertificateVerdict {
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(pem);
  } catch {
    return { problem: 'must be a PEM X.509 certificate (-----BEGIN CERTIFICATE-----)', warnings: [] };
  }
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      return { problem: `has an RSA key of ${bits} bits; at least ${MIN_RSA_BITS} bits are required (ask the service provider for a new certificate)`, warnings: [] };
    }
  } else if (key.asymmetricKeyType === 'ec') {
    if (!STRONG_CURVES.has(details.namedCurve ?? '')) {
      return { problem: `has an EC key on curve ${details.namedCurve ?? 'unknown'}; P-256, P-384 or P-521 is required`, warnings: [] };
    }
  } else if (key.asymmetricKeyType === 'dsa') {
    return { problem: 'has a DSA key; use an RSA (at least 2048 bits) or EC (P-256 or larger) certificate', warnings: [] };
  }
  let oid: string;
  try {
    oid = signatureAlgorithmOid(cert);
  } catch {
    return { problem: 'could not be read (its signature algorithm is not valid DER)', warnings: [] };
  }
  const algorithm = SIGNATURE_ALGORITHMS[oid];
  if (algorithm?.hash === 'md') {
    return { problem: `is signed with ${algorithm.name}, which is broken; ask the service provider for a certificate signed with SHA-256`, warnings: [] };
  }
  if (algorithm?.hash === 'sha1') {
    return {
      warnings: [`The SP certificate is signed with ${algorithm.name}. It is accepted because Gatehouse pins the certificate and uses only its key, but ask the service provider for one signed with SHA-256.`],
    };
  }
  return { warnings: [] };
}
