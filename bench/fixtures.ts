import crypto from 'node:crypto';
import forge from 'node-forge';
import { newSamlId } from '../src/saml/xml';
import type { ResponseInput, SigningCredential } from '../src/saml/types';
import type { AppContext } from '../src/context';
import { loadConfig } from '../src/config';
import { SYSTEM } from '../src/insights/recorder';
import { createApplication, bindGroup } from '../src/services/applications';
import { addMember, createGroup } from '../src/services/groups';
import { createUser } from '../src/services/users';

/** The benchmark's signing key and the Response it signs: the same assertion in every case. */
export function credential(): SigningCredential {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: 'bench' }]);
  cert.setIssuer([{ name: 'commonName', value: 'bench' }]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }) as string), forge.md.sha256.create());
  return { privateKey, certificatePem: forge.pki.certificateToPem(cert) };
}

export function responseInput(cred: SigningCredential, signResponse: boolean): ResponseInput {
  const now = new Date();
  return {
    responseId: newSamlId(), assertionId: newSamlId(), issuer: 'http://127.0.0.1/saml2/bench',
    destination: 'https://wiki.example/acs', audience: 'https://wiki.example/sp',
    nameId: { value: 'bench@example.com', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
    now, assertionLifetimeSeconds: 300, clockSkewSeconds: 180, authnInstant: now, sessionIndex: '_s1',
    authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
    attributes: [
      { name: 'email', values: ['bench@example.com'] }, { name: 'firstName', values: ['Bench'] },
      { name: 'lastName', values: ['User'] }, { name: 'groups', values: ['Engineering'] }, { name: 'plan', values: ['enterprise'] },
    ],
    signAssertion: true, signResponse, algorithm: 'rsa-sha256', credential: cred,
  };
}

/** The journey every launch case runs: user `bench` in group Engineering, bound to the app at /saml2/bench. */
export async function seedJourney(ctx: AppContext): Promise<string> {
  const user = await createUser(ctx, SYSTEM, { username: 'bench', email: 'bench@example.com', firstName: 'Bench', lastName: 'User', password: 'bench user password' });
  const group = await createGroup(ctx, SYSTEM, { name: 'Engineering' });
  await addMember(ctx, SYSTEM, group.id, user.id);
  const app = await createApplication(ctx, SYSTEM, {
    catalogId: 'custom-saml', displayLabel: 'Bench Wiki', slug: 'bench',
    sso: { spEntityId: 'https://wiki.example/sp', acsUrls: ['https://wiki.example/acs'] },
    attributes: [{ name: 'email', source: 'email' }, { name: 'firstName', source: 'firstName' },
      { name: 'lastName', source: 'lastName' }, { name: 'groups', source: 'groups' }, { name: 'plan', value: 'enterprise' }],
  });
  await bindGroup(ctx, SYSTEM, app.id, group.id);
  return app.slug;
}

/**
 * The benchmark server's configuration: a SQLite file in `dir` unless BENCH_DATABASE_URL names
 * another store; secrets from BENCH_SESSION_SECRET / BENCH_KEK when a store was prepared with
 * them (its signing key is sealed with the KEK), fresh ones otherwise.
 */
export function benchConfig(dir: string) {
  return loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', PUBLIC_URL: 'http://127.0.0.1', DATABASE_URL: process.env.BENCH_DATABASE_URL ?? `sqlite:${dir}/bench.db`,
    GATEHOUSE_CERTS_DIR: dir, GATEHOUSE_ADMIN_PASSWORD: 'bench admin password', LOG_LEVEL: 'silent',
    ...(process.env.BENCH_ADMIN_TOKEN ? { GATEHOUSE_ADMIN_TOKEN: process.env.BENCH_ADMIN_TOKEN } : {}),
    SESSION_SECRET: process.env.BENCH_SESSION_SECRET ?? crypto.randomBytes(32).toString('hex'),
    GATEHOUSE_KEY_ENCRYPTION_KEY: process.env.BENCH_KEK ?? crypto.randomBytes(32).toString('hex'),
  });
}
