import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';

/**
 * Two verifiers that share no code with Gatehouse: @node-saml/node-saml as a real SP, and
 * xmlsec1 (libxml2 + OpenSSL) for each signature. A Response a test produces must satisfy both.
 */

export interface SpProfile {
  nameId: string;
  nameIdFormat: string;
  sessionIndex?: string;
  issuer: string;
  /** Single values as strings, multi-valued attributes as arrays, as node-saml reports them. */
  attributes: Record<string, unknown>;
}

export interface NodeSamlOptions {
  samlResponseB64: string;
  idpCertPem: string;
  idpEntityId: string;
  spEntityId: string;
  acsUrl: string;
  /** The AuthnRequest ID the SP sent; undefined for an unsolicited (IdP-initiated) Response. */
  inResponseTo?: string;
  wantResponseSigned: boolean;
  wantAssertionSigned: boolean;
}

/** node-saml as the SP, remembering the AuthnRequest ID it "sent" when the Response is solicited. */
async function createSp(options: NodeSamlOptions): Promise<SAML> {
  const saml = new SAML({
    idpCert: options.idpCertPem,
    issuer: options.spEntityId,
    audience: options.spEntityId,
    callbackUrl: options.acsUrl,
    idpIssuer: options.idpEntityId,
    wantAuthnResponseSigned: options.wantResponseSigned,
    wantAssertionsSigned: options.wantAssertionSigned,
    // Solicited Responses must answer the request the SP remembers; unsolicited ones carry none.
    validateInResponseTo: options.inResponseTo ? ValidateInResponseTo.always : ValidateInResponseTo.never,
    acceptedClockSkewMs: 60_000,
  });
  if (options.inResponseTo) await saml.cacheProvider.saveAsync(options.inResponseTo, new Date().toISOString());
  return saml;
}

export async function acceptWithNodeSaml(options: NodeSamlOptions): Promise<SpProfile> {
  const saml = await createSp(options);
  const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: options.samlResponseB64 });
  if (!profile) throw new Error('node-saml returned no profile');
  return {
    nameId: profile.nameID, nameIdFormat: profile.nameIDFormat, sessionIndex: profile.sessionIndex, issuer: profile.issuer,
    attributes: (profile.attributes ?? {}) as Record<string, unknown>,
  };
}

/**
 * What node-saml makes of a SAML error Response: a signed NoPassive is its "no profile" answer,
 * any other status an error naming it. Returned as text for the test to check.
 */
export async function statusSeenByNodeSaml(options: NodeSamlOptions): Promise<string> {
  try {
    const { profile } = await (await createSp(options)).validatePostResponseAsync({ SAMLResponse: options.samlResponseB64 });
    return profile ? 'success' : 'NoPassive (signature verified, no profile)';
  } catch (error) {
    // SamlStatusError carries the parsed Status, nested codes included.
    const e = error as { message?: string; xmlStatus?: unknown };
    return `${e.message ?? String(error)} ${JSON.stringify(e.xmlStatus ?? null)}`;
  }
}

let xmlsec1: boolean | undefined;
/** In CI (.ci/run installs it) xmlsec1 is required: a missing binary fails the tests, never skips them. */
export function xmlsec1Available(): boolean {
  if (process.env.CI) return true;
  if (xmlsec1 === undefined) xmlsec1 = spawnSync('xmlsec1', ['--version'], { stdio: 'ignore' }).status === 0;
  return xmlsec1;
}

const SIGNATURE_XPATH = {
  Response: "/*[local-name()='Response']/*[local-name()='Signature']",
  Assertion: "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']",
};

/** `xmlsec1 --verify` of one signature (the Response's or the Assertion's) with the given certificate only. */
export function verifyWithXmlsec1(xml: string, certificatePem: string, node: 'Response' | 'Assertion'): { ok: boolean; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-xmlsec-'));
  try {
    fs.writeFileSync(path.join(dir, 'response.xml'), xml);
    fs.writeFileSync(path.join(dir, 'cert.pem'), certificatePem);
    const output = execFileSync('xmlsec1', [
      '--verify', '--pubkey-cert-pem', path.join(dir, 'cert.pem'), '--enabled-key-data', 'rsa',
      '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:protocol:Response',
      '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
      '--node-xpath', SIGNATURE_XPATH[node], path.join(dir, 'response.xml'),
    ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, output };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
