import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import type { Config } from '../config';
import { createSecretBox, type SecretBox } from '../crypto/secret-box';
import { unprocessable } from '../errors';
import type { Logger } from '../log';
import { checkSpCertificate } from '../saml/sp-certificate';
import type { SigningCredential } from '../saml/types';
import { StoreConstraintError, type SigningKey, type Store } from '../store';

/**
 * Signing keys: an RSA-2048 key and self-signed X.509 certificate generated with node-forge on
 * first start (security.md §2 #25). Private keys are sealed with AES-256-GCM before they reach the
 * store and never leave this service; callers get a pre-parsed KeyObject credential, cached so the
 * SSO path never parses a PEM.
 */
export interface KeyService {
  /** The credential for an app: its own key when it has one, otherwise the default key. */
  credentialFor(keyId?: string): Promise<SigningCredential>;
  keyFor(keyId?: string): Promise<SigningKey>;
  generate(label: string): Promise<SigningKey>;
  importPem(label: string, privateKeyPem: string, certificatePem: string): Promise<SigningKey>;
}

export interface CertificateDetails {
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
}

export function describeCertificate(certificatePem: string): CertificateDetails {
  const cert = new crypto.X509Certificate(certificatePem);
  return {
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprintSha256: cert.fingerprint256,
  };
}

function generateKeyPair(): Promise<forge.pki.rsa.KeyPair> {
  // forge hands generation to node:crypto when it can (≈150 ms instead of seconds in pure JS).
  return new Promise((resolve, reject) => {
    forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 }, (err, pair) => (err ? reject(err) : resolve(pair)));
  });
}

async function generateSelfSigned(commonName: string, validityDays: number, now: Date) {
  const pair = await generateKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = pair.publicKey;
  // A positive serial of 16 random bytes (RFC 5280 §4.1.2.2: positive, at most 20 octets).
  cert.serialNumber = `01${crypto.randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + validityDays * 86_400_000);
  const subject = [{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'Gatehouse' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(pair.privateKey, forge.md.sha256.create());
  return {
    privateKeyPem: forge.pki.privateKeyToPem(pair.privateKey),
    certificatePem: forge.pki.certificateToPem(cert),
  };
}

/** The key-encryption key: configured, or (development only) generated once into certs/ with mode 0600. */
export function resolveKeyEncryptionKey(config: Config, log: Logger): Buffer {
  if (config.keyEncryptionKey) return config.keyEncryptionKey;
  const file = path.resolve(config.certsDir, 'master.key');
  if (fs.existsSync(file)) {
    const mode = fs.statSync(file).mode & 0o777;
    if (mode & 0o077) fs.chmodSync(file, 0o600);
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = crypto.randomBytes(32);
  // Write to a temp file then rename, so a crash never leaves a half-written key.
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, key.toString('hex'), { mode: 0o600 });
  fs.renameSync(temp, file);
  log.warn('Generated a development key-encryption key; set GATEHOUSE_KEY_ENCRYPTION_KEY in production', { file });
  return key;
}

export async function createKeyService(deps: {
  store: Store; config: Config; log: Logger; keyEncryptionKey: Buffer; now: () => Date;
}): Promise<KeyService> {
  const { store, config, log } = deps;
  const box: SecretBox = createSecretBox(deps.keyEncryptionKey);
  const credentials = new Map<string, SigningCredential>();

  async function save(label: string, privateKeyPem: string, certificatePem: string, isDefault: boolean) {
    const id = crypto.randomUUID();
    const details = describeCertificate(certificatePem);
    const key: SigningKey = {
      id, label, certificatePem, ...details, status: 'active', isDefault,
      encryptedPrivateKey: box.seal(privateKeyPem, id), createdAt: deps.now().toISOString(),
    };
    await store.signingKeys.create(key);
    return key;
  }

  async function keyFor(keyId?: string): Promise<SigningKey> {
    const key = keyId ? await store.signingKeys.findById(keyId) : await store.signingKeys.findDefault();
    if (!key) throw new Error(keyId ? `signing key ${keyId} is missing` : 'no default signing key');
    return key;
  }

  const service: KeyService = {
    keyFor,
    async credentialFor(keyId) {
      const cacheKey = keyId ?? 'default';
      const cached = credentials.get(cacheKey);
      if (cached) return cached;
      const key = await keyFor(keyId);
      const credential: SigningCredential = {
        privateKey: crypto.createPrivateKey(box.open(key.encryptedPrivateKey, key.id)),
        certificatePem: key.certificatePem,
      };
      credentials.set(cacheKey, credential);
      return credential;
    },
    async generate(label) {
      const { privateKeyPem, certificatePem } = await generateSelfSigned(label, config.certValidityDays, deps.now());
      return save(label, privateKeyPem, certificatePem, false);
    },
    async importPem(label, privateKeyPem, certificatePem) {
      let privateKey: crypto.KeyObject;
      let cert: crypto.X509Certificate;
      try {
        privateKey = crypto.createPrivateKey(privateKeyPem);
        cert = new crypto.X509Certificate(certificatePem);
      } catch {
        throw unprocessable('keys.unreadable', 'The private key or certificate is not a readable PEM.');
      }
      if (privateKey.asymmetricKeyType !== 'rsa' || (privateKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
        throw unprocessable('keys.too_weak', 'Signing keys must be RSA with at least 2048 bits.');
      }
      if (!cert.checkPrivateKey(privateKey)) {
        throw unprocessable('keys.mismatch', 'The certificate does not belong to this private key.');
      }
      // The same rule as for SP certificates: SPs pin this one, and an MD5 signature or a weak
      // key says it came from tooling too old to trust.
      const verdict = checkSpCertificate(certificatePem);
      if (verdict.problem) throw unprocessable('keys.certificate_refused', `The certificate ${verdict.problem}.`);
      if (new Date(cert.validTo) <= deps.now()) throw unprocessable('keys.expired', 'The certificate has expired.');
      return save(label, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert.toString(), false);
    },
  };

  if (!(await store.signingKeys.findDefault())) {
    const { privateKeyPem, certificatePem } = await generateSelfSigned('Gatehouse IdP signing', config.certValidityDays, deps.now());
    try {
      const key = await save('Default signing key', privateKeyPem, certificatePem, true);
      log.info('Generated the default signing key', { keyId: key.id, fingerprintSha256: key.fingerprintSha256, notAfter: key.notAfter });
    } catch (error) {
      // Instances starting together on one database: at most one default key exists (a unique
      // index), so the one that lost the race uses the winner's key.
      if (!(error instanceof StoreConstraintError && error.kind === 'unique')) throw error;
    }
  }
  return service;
}
