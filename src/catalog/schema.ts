import { z } from 'zod';

/**
 * The catalog manifest (`catalog/<id>/manifest.json`): what Gatehouse knows about a service
 * provider before an admin adds it. SAML values are templates: `YOUR_SUBDOMAIN` and friends are
 * declared placeholders, replaced with the admin's values when the app is configured. Values the
 * research could not confirm are listed in `provenance.unverified` and shown to the admin as
 * "check this against the vendor's admin page", never as fact.
 */

export const PLACEHOLDER_NAME = /^YOUR_[A-Z0-9_]+$/;
const PLACEHOLDER_IN_TEXT = /YOUR_[A-Z0-9_]+/g;

export const NAMEID_FORMATS = [
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
] as const;

export const ATTRIBUTE_SOURCES = [
  'email', 'username', 'firstName', 'lastName', 'displayName', 'employeeId', 'title', 'id', 'groups',
] as const;

export const LABELS = ['SAML', 'JIT', 'Identity Management', 'Bookmark'] as const;


const text = (max: number) => z.string().min(1).max(max);
const regexSource = z.string().max(200).refine((source) => {
  try {
    new RegExp(source);
    return /^\^.*\$$/.test(source);
  } catch {
    return false;
  }
}, 'must be a regular expression anchored with ^ and $');

export const placeholderSchema = z.strictObject({
  name: z.string().regex(PLACEHOLDER_NAME, 'must look like YOUR_SUBDOMAIN'),
  label: text(100),
  help: text(500),
  /** A sample value; null when the vendor's admin page shows the value and `help` says where. */
  example: text(200).nullable(),
  /** The value the admin types must match this (anchored) pattern. */
  pattern: regexSource,
});

export const catalogAttributeSchema = z.strictObject({
  /** The SP's attribute name; `locked` rows keep it (JIT-required names the SP expects). */
  name: z.string().min(1).max(300),
  source: z.enum(ATTRIBUTE_SOURCES).optional(),
  /** A constant, for attributes no user property fills (roles, flags). */
  value: z.string().max(1000).optional(),
  required: z.boolean(),
  jit: z.boolean(),
  locked: z.boolean(),
  /** On when the app is added; admins can toggle any row off. */
  enabled: z.boolean(),
  help: z.string().max(500).optional(),
}).refine((a) => (a.source === undefined) !== (a.value === undefined), {
  message: 'needs exactly one of "source" (a user property) or "value" (a constant)',
});

export const samlTemplateSchema = z.strictObject({
  spEntityId: text(1024),
  acsUrls: z.array(text(2048)).min(1).max(20),
  loginUrl: z.string().max(2048),
  defaultRelayState: z.string().max(1024),
  nameIdFormat: z.enum(NAMEID_FORMATS),
  nameIdSource: z.enum(['email', 'username', 'id', 'employeeId']),
  signAssertion: z.boolean(),
  signResponse: z.boolean(),
  signatureAlgorithm: z.enum(['rsa-sha256', 'rsa-sha512']),
  /** null: the research did not find out whether IdP-initiated sign-in works. */
  idpInitiated: z.boolean().nullable(),
  attributes: z.array(catalogAttributeSchema).max(50),
}).refine((s) => s.signAssertion || s.signResponse, { message: 'must sign the assertion, the response or both' });

export const scimMappingSchema = z.strictObject({
  scim: text(200),
  source: text(100),
  required: z.boolean(),
});

export const scimSchema = z.strictObject({
  users: z.boolean(),
  groups: z.boolean().nullable(),
  baseUrlTemplate: z.string().max(2048).nullable(),
  mappings: z.array(scimMappingSchema).max(100),
  /** How profile changes are sent (RFC 7644 §3.5.1 PUT or §3.5.2 PATCH); some SPs take `active` only by PATCH. */
  updateWith: z.enum(['put', 'patch']).default('put'),
  /** Whether /Groups takes PATCH (RFC 7644 §3.5.2); false (Quip): membership goes by PUT, the SP-only members read first. */
  groupPatch: z.boolean().default(true),
  /** Whether GET /Groups takes a filter (RFC 7644 §3.4.2.2); false (Quip): a group is found by paging through the list. */
  groupFilter: z.boolean().default(true),
  /** What "delete" means at this SP: many (Quip) only deactivate; `delete` sends DELETE. */
  onDelete: z.enum(['deactivate', 'delete']).default('deactivate'),
  /** A role attribute the SP reads from each user (ClickUp: customRoleName or customRoleId). */
  role: z.strictObject({
    attributes: z.array(z.string().regex(/^[A-Za-z][\w.:-]{0,99}$/)).min(1).max(5),
    defaultValue: text(100),
    /**
     * Where the attribute lives in the User resource: the URN of the extension schema that holds
     * it (RFC 7643 §3: `"<urn>": { "<attribute>": … }`, the URN listed in `schemas`), or null for
     * the top level of the core User.
     */
    schema: z.string().regex(/^urn:[A-Za-z0-9][\w.:-]{0,199}$/, 'must be a schema URN').nullable().default(null),
  }).nullable().default(null),
  notes: z.array(text(1000)).max(20),
});

export const unverifiedSchema = z.strictObject({
  /** Manifest paths this doubt is about (`saml.acsUrls`, `scim`…); empty for a general note. */
  fields: z.array(text(100)).max(20),
  note: text(1000),
});

export const manifestSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'must be lower-case letters, digits and hyphens'),
  name: text(100),
  website: z.url().max(300).nullable(),
  category: text(60),
  description: text(500),
  ssoType: z.enum(['saml', 'bookmark']),
  labels: z.array(z.enum(LABELS)).min(1).max(4),
  /** Colour indicator for the user portal when no logo is shown. */
  color: z.string().regex(/^#[0-9a-f]{6}$/, 'must be a colour like #1f6feb'),
  placeholders: z.array(placeholderSchema).max(20),
  saml: samlTemplateSchema.nullable(),
  bookmark: z.strictObject({ urlTemplate: z.string().max(2048) }).nullable(),
  scim: scimSchema.nullable(),
  provenance: z.strictObject({
    sources: z.array(z.url().max(500)).max(20),
    verifiedOn: z.iso.date().nullable(),
    unverified: z.array(unverifiedSchema).max(30),
  }),
  notes: z.array(text(1000)).max(20),
}).superRefine((m, issue) => {
  if (m.ssoType === 'saml' && !m.saml) issue.addIssue({ code: 'custom', path: ['saml'], message: 'is required when ssoType is "saml"' });
  if (m.ssoType === 'bookmark' && !m.bookmark) issue.addIssue({ code: 'custom', path: ['bookmark'], message: 'is required when ssoType is "bookmark"' });
  const declared = new Set(m.placeholders.map((p) => p.name));
  if (declared.size !== m.placeholders.length) issue.addIssue({ code: 'custom', path: ['placeholders'], message: 'declares a placeholder twice' });
  const usedAnywhere = new Set<string>();
  for (const [where, value] of templateFields(m)) {
    for (const used of value.match(PLACEHOLDER_IN_TEXT) ?? []) {
      usedAnywhere.add(used);
      if (!declared.has(used)) issue.addIssue({ code: 'custom', path: where.split('.'), message: `uses ${used}, which is not declared in placeholders` });
    }
  }
  // A placeholder no template uses asks the admin for a value that changes nothing (issue 9 #25).
  m.placeholders.forEach((p, i) => {
    if (!usedAnywhere.has(p.name)) issue.addIssue({ code: 'custom', path: ['placeholders', String(i)], message: `declares ${p.name}, which no template uses` });
  });
  const expectLabel = (label: (typeof LABELS)[number], wanted: boolean) => {
    if (wanted !== m.labels.includes(label)) {
      issue.addIssue({ code: 'custom', path: ['labels'], message: wanted ? `must include "${label}"` : `must not include "${label}"` });
    }
  };
  expectLabel('SAML', m.ssoType === 'saml');
  expectLabel('Bookmark', m.ssoType === 'bookmark');
  expectLabel('JIT', Boolean(m.saml?.attributes.some((a) => a.jit)));
  expectLabel('Identity Management', Boolean(m.scim?.users));
});

export type CatalogManifest = z.infer<typeof manifestSchema>;

/** Every manifest value that may name placeholders, with its path (SAML values, constants, URLs). */
export function templateFields(m: Pick<CatalogManifest, 'saml' | 'scim' | 'bookmark'>): [string, string][] {
  const out: [string, string][] = [];
  if (m.saml) {
    out.push(['saml.spEntityId', m.saml.spEntityId], ['saml.loginUrl', m.saml.loginUrl], ['saml.defaultRelayState', m.saml.defaultRelayState]);
    m.saml.acsUrls.forEach((url, i) => out.push([`saml.acsUrls.${i}`, url]));
    m.saml.attributes.forEach((a, i) => { if (a.value) out.push([`saml.attributes.${i}.value`, a.value]); });
  }
  if (m.scim?.baseUrlTemplate) out.push(['scim.baseUrlTemplate', m.scim.baseUrlTemplate]);
  if (m.bookmark) out.push(['bookmark.urlTemplate', m.bookmark.urlTemplate]);
  return out;
}
export type CatalogAttribute = z.infer<typeof catalogAttributeSchema>;
export type CatalogPlaceholder = z.infer<typeof placeholderSchema>;
