import crypto from 'node:crypto';
import { z } from 'zod';
import { checkSpCertificate } from '../saml/sp-certificate';
import { NAMEID_FORMAT } from '../saml/types';
import { RERENDER_KEY } from './catalog-apps';
import { xmlText } from './validation';

/**
 * The shape of an application as admins send it (API and portal), with the rules a serious IdP
 * applies at save time rather than at sign-in time (security.md §2 #3, #8, #12).
 */

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/** `My Wiki (EU)` → `my-wiki-eu`: the default IdP URL slug, as JumpCloud derives it from the name. */
export function slugFromLabel(label: string): string {
  const slug = label.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
  return slug.replace(/-+$/g, '') || `app-${crypto.randomBytes(3).toString('hex')}`;
}

/**
 * An ACS URL is where we POST signed assertions, so it must be a URL we would trust with them:
 * https only (plain http only to loopback outside production), no credentials, no fragment.
 * `javascript:` and `data:` fail the scheme check whatever their case (CVE-2022-4361, CVE-2026-9086).
 */
export function acsUrlProblem(raw: string, allowLoopbackHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not an absolute URL';
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback && allowLoopbackHttp)) {
    return 'must use https';
  }
  if (url.username || url.password) return 'must not contain a user name or password';
  if (url.hash || raw.includes('#')) return 'must not contain a fragment';
  if (/[\s<>"]/.test(raw)) return 'must not contain spaces, quotes or angle brackets';
  return undefined;
}

const ATTRIBUTE_NAME = /^(?:[A-Za-z_][A-Za-z0-9._-]{0,127}|[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>"&']{1,1000})$/;

export const USER_ATTRIBUTE_SOURCES = [
  'email', 'username', 'firstName', 'lastName', 'displayName', 'employeeId', 'title', 'id', 'groups',
] as const;

export const attributeSchema = z.strictObject({
  name: z.string().regex(ATTRIBUTE_NAME, 'must be a name such as "email" or a URI such as "urn:oid:0.9.2342.19200300.100.1.3"'),
  source: z.enum(USER_ATTRIBUTE_SOURCES).optional(),
  value: xmlText(1000).optional(),
  nameFormat: z.enum([
    'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
    'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
    'urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified',
  ]).optional(),
}).refine((a) => (a.source === undefined) !== (a.value === undefined), {
  message: 'needs exactly one of "source" (a user property) or "value" (a constant)',
});

export const NAMEID_FORMATS = [
  NAMEID_FORMAT.emailAddress, NAMEID_FORMAT.unspecified, NAMEID_FORMAT.persistent, NAMEID_FORMAT.transient,
] as const;

/** Same rule for the API, the SSO tab and SP metadata (saml/sp-certificate.ts): weak keys and MD5 refused. */
const pemCertificate = z.string().max(20_000).superRefine((pem, issue) => {
  const { problem } = checkSpCertificate(pem);
  if (problem) issue.addIssue({ code: 'custom', message: problem });
});

const entityId = xmlText(1024).min(1, 'is required').refine((v) => !/\s/.test(v), 'must not contain spaces');

export const ssoInputSchema = z.strictObject({
  idpEntityId: entityId.optional(),
  spEntityId: entityId,
  acsUrls: z.array(z.string().max(2048)).min(1, 'needs at least one ACS URL').max(20),
  defaultAcsUrl: z.string().max(2048).optional(),
  loginUrl: z.string().max(2048).default(''),
  nameIdFormat: z.enum(NAMEID_FORMATS).default(NAMEID_FORMAT.emailAddress),
  nameIdSource: z.enum(['email', 'username', 'id', 'employeeId']).default('email'),
  signAssertion: z.boolean().default(true),
  signResponse: z.boolean().default(false),
  signatureAlgorithm: z.enum(['rsa-sha256', 'rsa-sha512']).default('rsa-sha256'),
  // Bindings §3.4.3 caps RelayState at 80 bytes; many SPs send more, so we allow up to 1 KB.
  defaultRelayState: xmlText(1024).default(''),
  spCertificate: pemCertificate.nullable().default(null),
  requireSignedRequests: z.boolean().default(false),
});

export const signingKeyInputSchema = z.union([
  z.literal('default'),
  z.literal('generate'),
  z.strictObject({ privateKeyPem: z.string().max(20_000), certificatePem: z.string().max(20_000) }),
]);

const placeholderValuesSchema = z.record(z.string().regex(/^YOUR_[A-Z0-9_]+$/, 'placeholder names look like YOUR_SUBDOMAIN'), z.string().max(2048))
  .refine((values) => Object.keys(values).length <= 20, 'at most 20 placeholders');

export const portalImageSchema = z.strictObject({
  image: z.enum(['logo', 'color']),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1f6feb').transform((c) => c.toLowerCase()),
});

const bookmarkUrl = z.string().max(2048);

export const createApplicationSchema = z.strictObject({
  catalogId: z.string().min(1).max(100),
  /** Defaults to the catalog entry's name. */
  displayLabel: xmlText(200).trim().min(1, 'is required').optional(),
  description: z.string().max(2000).default(''),
  slug: z.string().regex(SLUG_PATTERN, 'may use lower-case letters, digits and inner hyphens, at most 64').optional(),
  showInPortal: z.boolean().default(true),
  /** Defaults to on when no placeholder is left unreplaced, off otherwise. */
  ssoActive: z.boolean().optional(),
  signingKey: signingKeyInputSchema.default('default'),
  placeholders: placeholderValuesSchema.default({}),
  portal: portalImageSchema.optional(),
  /** SAML settings; each field sent overrides the catalog entry's template. */
  sso: ssoInputSchema.partial().optional(),
  /** Replaces the catalog entry's attributes when sent. */
  attributes: z.array(attributeSchema).max(50).optional(),
  bookmarkUrl: bookmarkUrl.optional(),
});

export const updateApplicationSchema = z.strictObject({
  displayLabel: xmlText(200).trim().min(1).optional(),
  description: z.string().max(2000).optional(),
  slug: z.string().max(200).optional(),
  showInPortal: z.boolean().optional(),
  ssoActive: z.boolean().optional(),
  signingKey: signingKeyInputSchema.optional(),
  placeholders: placeholderValuesSchema.optional(),
  portal: portalImageSchema.optional(),
  sso: ssoInputSchema.partial().optional(),
  attributes: z.array(attributeSchema).max(50).optional(),
  bookmarkUrl: bookmarkUrl.optional(),
  /** Templated fields to render again from the catalog template (`spEntityId`, `acsUrls`, `attributes.<name>`…). */
  rerender: z.array(z.string().regex(RERENDER_KEY, 'names a templated field: spEntityId, acsUrls, loginUrl, defaultRelayState, bookmarkUrl or attributes.<name>')).max(60).optional(),
});

export type SsoInput = z.infer<typeof ssoInputSchema>;
