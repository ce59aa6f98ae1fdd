import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import autocannon from 'autocannon';
import forge from 'node-forge';
import { buildResponse } from '../src/saml/response';
import { newSamlId } from '../src/saml/xml';
import type { ResponseInput, SigningCredential } from '../src/saml/types';

/**
 * `npm run bench`: prints figures, asserts nothing. Ratios are against raw RSA-2048/SHA-256
 * `crypto.sign` measured in the same run, so they compare across machines.
 *   1. raw crypto.sign ops/s (same KeyObject, 1 KB input)
 *   2. Gatehouse signed-Response build ops/s (assertion signed; also response+assertion)
 *   3. IdP-initiated launches/s over HTTP for a signed-in user (autocannon, 10 connections)
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

function opsPerSecond(work: () => void, seconds = SECONDS): number {
  const warmUntil = Date.now() + 500;
  while (Date.now() < warmUntil) work();
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(seconds * 1e9);
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 10; i++) work();
    ops += 10;
  }
  return ops / (Number(process.hrtime.bigint() - start) / 1e9);
}

function credential(): SigningCredential {
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

function responseInput(cred: SigningCredential, signResponse: boolean): ResponseInput {
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

const fmt = (n: number) => n.toFixed(1).padStart(9);

async function httpLaunches(): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const child = fork(path.join(__dirname, 'server.ts'), [], { execArgv: ['--require', 'tsx/cjs', ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { port, slug } = await new Promise<{ port: number; slug: string }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { port: number; slug: string }));
      child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const loginPage = await fetch(`${base}/login`);
    const csrfCookie = (loginPage.headers.get('set-cookie') ?? '').split(';')[0];
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1];
    const login = await fetch(`${base}/login`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
      body: new URLSearchParams({ _csrf: csrf, username: 'bench', password: 'bench user password' }),
    });
    const session = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const probe = await fetch(`${base}/saml2/${slug}`, { headers: { cookie: session } });
    if (probe.status !== 200 || !(await probe.text()).includes('SAMLResponse')) throw new Error(`launch probe failed: ${probe.status}`);
    const result = await autocannon({ url: `${base}/saml2/${slug}`, connections: 10, duration: Math.max(5, SECONDS * 2), headers: { cookie: session } });
    return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.non2xx + result.errors };
  } finally {
    child.disconnect();
  }
}

async function main() {
  const cred = credential();
  const payload = crypto.randomBytes(1024);
  const raw = opsPerSecond(() => crypto.sign('sha256', payload, cred.privateKey));
  const assertionSigned = opsPerSecond(() => buildResponse(responseInput(cred, false)));
  const bothSigned = opsPerSecond(() => buildResponse(responseInput(cred, true)));
  console.log(`Node ${process.version}, ${SECONDS}s per CPU case\n`);
  console.log('case                                         ops/s   ratio to raw sign');
  console.log(`raw crypto.sign RSA-2048/SHA-256        ${fmt(raw)}   1.00`);
  console.log(`Response build, assertion signed        ${fmt(assertionSigned)}   ${(assertionSigned / raw).toFixed(2)}   (target ≥ 0.80)`);
  console.log(`Response build, response + assertion    ${fmt(bothSigned)}   ${(bothSigned / raw).toFixed(2)}   (two signatures: ceiling 0.50)`);
  const http = await httpLaunches();
  console.log(`HTTP IdP-initiated launches (10 conns)  ${fmt(http.rps)}   ${(http.rps / raw).toFixed(2)}   (target ≥ 0.50)`);
  console.log(`  latency p50 ${http.p50} ms, p99 ${http.p99} ms, non-2xx/errors ${http.errors}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
