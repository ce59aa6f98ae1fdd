import crypto from 'node:crypto';
import type { AppContext } from '../context';
import { assertThat, conflict, notFound, unprocessable } from '../errors';
import type { RequestMeta } from '../insights/recorder';
import { buildIdpMetadata } from '../saml/metadata';
import { NAMEID_FORMAT } from '../saml/types';
import type { AcsEndpoint, Application, Group, SsoSettings } from '../store';
import {
  acsUrlProblem, createApplicationSchema, slugFromLabel, type SsoInput, updateApplicationSchema,
} from './application-input';
import { getGroup, groupTarget } from './groups';
import { parseInput } from './validation';

/** Catalog entries this build can instantiate; the full catalog arrives with the catalog issue. */
const KNOWN_CATALOG_IDS = new Set(['custom-saml']);

/** The public URLs of an application (ARCHITECTURE.md: a contract SPs depend on). */
export function applicationUrls(ctx: AppContext, slug: string) {
  const sso = `${ctx.config.publicUrl}/saml2/${slug}`;
  return { ssoUrl: sso, metadataUrl: `${sso}/metadata`, certificateUrl: `${sso}/certificate.pem` };
}

function toAcsEndpoints(input: Pick<SsoInput, 'acsUrls' | 'defaultAcsUrl'>, allowLoopbackHttp: boolean): AcsEndpoint[] {
  input.acsUrls.forEach((url, i) => {
    const problem = acsUrlProblem(url, allowLoopbackHttp);
    if (problem) throw unprocessable('applications.acs_url_invalid', `The request is not valid. sso.acsUrls.${i}: ${problem}.`);
  });
  if (new Set(input.acsUrls).size !== input.acsUrls.length) {
    throw unprocessable('applications.acs_url_duplicate', 'The request is not valid. sso.acsUrls: each ACS URL may appear once.');
  }
  const defaultUrl = input.defaultAcsUrl ?? input.acsUrls[0];
  assertThat(input.acsUrls.includes(defaultUrl), () =>
    unprocessable('applications.default_acs_unknown', 'The request is not valid. sso.defaultAcsUrl must be one of sso.acsUrls.'));
  // Indexes follow list order from 0, as AssertionConsumerServiceIndex in the SP's metadata would.
  return input.acsUrls.map((url, index) => ({ url, index, isDefault: url === defaultUrl }));
}

function toSsoSettings(ctx: AppContext, slug: string, input: SsoInput): SsoSettings {
  if (!input.signAssertion && !input.signResponse) {
    throw unprocessable('applications.unsigned', 'The request is not valid. Sign the assertion, the response or both: an SP cannot trust an unsigned Response.');
  }
  if (input.requireSignedRequests && !input.spCertificate) {
    throw unprocessable('applications.sp_certificate_required', 'The request is not valid. Requiring signed requests needs the SP certificate (sso.spCertificate) to verify them with.');
  }
  if (input.nameIdFormat === NAMEID_FORMAT.emailAddress && input.nameIdSource !== 'email') {
    throw unprocessable('applications.nameid_mismatch', 'The request is not valid. The emailAddress NameID format needs nameIdSource "email".');
  }
  return {
    idpEntityId: input.idpEntityId ?? applicationUrls(ctx, slug).ssoUrl,
    spEntityId: input.spEntityId,
    acsEndpoints: toAcsEndpoints(input, ctx.config.nodeEnv !== 'production'),
    loginUrl: input.loginUrl,
    nameIdFormat: input.nameIdFormat,
    nameIdSource: input.nameIdSource,
    signAssertion: input.signAssertion,
    signResponse: input.signResponse,
    signatureAlgorithm: input.signatureAlgorithm,
    defaultRelayState: input.defaultRelayState,
    spCertificatePem: input.spCertificate,
    requireSignedRequests: input.requireSignedRequests,
  };
}

async function resolveSigningKey(ctx: AppContext, label: string, choice: unknown): Promise<string | undefined> {
  if (choice === 'default') return undefined;
  if (choice === 'generate') return (await ctx.keys.generate(`${label} signing key`)).id;
  const pem = choice as { privateKeyPem: string; certificatePem: string };
  return (await ctx.keys.importPem(`${label} signing key`, pem.privateKeyPem, pem.certificatePem)).id;
}

export async function createApplication(ctx: AppContext, meta: RequestMeta, input: unknown): Promise<Application> {
  const data = parseInput(createApplicationSchema, input);
  if (!KNOWN_CATALOG_IDS.has(data.catalogId)) {
    throw unprocessable('applications.catalog_unknown', `The request is not valid. catalogId "${data.catalogId}" is not in the catalog; use "custom-saml".`);
  }
  const slug = data.slug ?? slugFromLabel(data.displayLabel);
  if (await ctx.store.applications.findBySlug(slug)) {
    throw conflict('applications.slug_taken', `Another application already uses the IdP URL …/saml2/${slug}; choose another slug.`);
  }
  const sso = toSsoSettings(ctx, slug, data.sso);
  const now = ctx.clock.now().toISOString();
  const app: Application = {
    id: crypto.randomUUID(), catalogId: data.catalogId, slug, displayLabel: data.displayLabel,
    description: data.description, showInPortal: data.showInPortal, ssoActive: data.ssoActive,
    signingKeyId: await resolveSigningKey(ctx, data.displayLabel, data.signingKey),
    sso, attributes: data.attributes, createdAt: now, updatedAt: now,
  };
  await ctx.store.applications.create(app);
  await ctx.insights.record(meta, { type: 'application_create', outcome: 'success', target: appTarget(app), appId: app.id });
  return app;
}

export async function getApplication(ctx: AppContext, id: string): Promise<Application> {
  const app = await ctx.store.applications.findById(id);
  assertThat(app, () => notFound('applications.not_found', 'No application has this id.'));
  return app;
}

/** Rebuild the SSO input from stored settings so a partial update can be validated as a whole. */
function ssoInputOf(sso: SsoSettings): SsoInput {
  return {
    idpEntityId: sso.idpEntityId, spEntityId: sso.spEntityId,
    acsUrls: sso.acsEndpoints.map((e) => e.url), defaultAcsUrl: sso.acsEndpoints.find((e) => e.isDefault)?.url,
    loginUrl: sso.loginUrl, nameIdFormat: sso.nameIdFormat as SsoInput['nameIdFormat'], nameIdSource: sso.nameIdSource,
    signAssertion: sso.signAssertion, signResponse: sso.signResponse, signatureAlgorithm: sso.signatureAlgorithm,
    defaultRelayState: sso.defaultRelayState, spCertificate: sso.spCertificatePem, requireSignedRequests: sso.requireSignedRequests,
  };
}

export async function updateApplication(ctx: AppContext, meta: RequestMeta, id: string, input: unknown): Promise<Application> {
  const data = parseInput(updateApplicationSchema, input);
  const before = await getApplication(ctx, id);
  if (data.slug !== undefined && data.slug !== before.slug) {
    throw conflict('applications.slug_immutable', `The IdP URL (…/saml2/${before.slug}) cannot change after the application is created; delete and recreate the application to use another URL.`);
  }
  // Only the SSO fields present in the request change; zod defaults must not reset the others.
  const sentSso = (input as { sso?: Record<string, unknown> }).sso ?? {};
  const ssoChanges: Record<string, unknown> = Object.fromEntries(Object.entries(data.sso ?? {}).filter(([k]) => k in sentSso));
  if (ssoChanges.acsUrls && !('defaultAcsUrl' in ssoChanges)) {
    const currentDefault = before.sso.acsEndpoints.find((e) => e.isDefault)?.url;
    ssoChanges.defaultAcsUrl = (ssoChanges.acsUrls as string[]).includes(currentDefault ?? '') ? currentDefault : undefined;
  }
  const app: Application = {
    ...before,
    catalogId: data.catalogId ?? before.catalogId,
    displayLabel: data.displayLabel ?? before.displayLabel,
    description: data.description ?? before.description,
    showInPortal: data.showInPortal ?? before.showInPortal,
    ssoActive: data.ssoActive ?? before.ssoActive,
    signingKeyId: data.signingKey ? await resolveSigningKey(ctx, before.displayLabel, data.signingKey) : before.signingKeyId,
    sso: toSsoSettings(ctx, before.slug, { ...ssoInputOf(before.sso), ...ssoChanges } as SsoInput),
    attributes: data.attributes ?? before.attributes,
    updatedAt: ctx.clock.now().toISOString(),
  };
  await ctx.store.applications.update(app);
  await ctx.insights.record(meta, {
    type: 'application_update', outcome: 'success', target: appTarget(app), appId: app.id,
    detail: { fields: Object.keys(input as object) },
  });
  if (before.ssoActive !== app.ssoActive) {
    await ctx.insights.record(meta, { type: app.ssoActive ? 'sso_activate' : 'sso_deactivate', outcome: 'success', target: appTarget(app), appId: app.id });
  }
  return app;
}

export async function deleteApplication(ctx: AppContext, meta: RequestMeta, id: string): Promise<void> {
  const app = await getApplication(ctx, id);
  await ctx.store.applications.delete(id);
  await ctx.insights.record(meta, { type: 'application_delete', outcome: 'success', target: appTarget(app), appId: app.id });
}

export async function bindGroup(ctx: AppContext, meta: RequestMeta, appId: string, groupId: string): Promise<void> {
  const app = await getApplication(ctx, appId);
  const group = await getGroup(ctx, groupId);
  if (await ctx.store.applications.bindGroup(appId, groupId, ctx.clock.now().toISOString())) {
    await ctx.insights.record(meta, { type: 'group_bind', outcome: 'success', target: appTarget(app), appId, detail: { group: groupTarget(group) } });
  }
}

export async function unbindGroup(ctx: AppContext, meta: RequestMeta, appId: string, groupId: string): Promise<void> {
  const app = await getApplication(ctx, appId);
  const group = await getGroup(ctx, groupId);
  const removed = await ctx.store.applications.unbindGroup(appId, groupId);
  assertThat(removed, () => notFound('applications.group_not_bound', 'This group is not bound to the application.'));
  await ctx.insights.record(meta, { type: 'group_unbind', outcome: 'success', target: appTarget(app), appId, detail: { group: groupTarget(group) } });
}

export async function listBoundGroups(ctx: AppContext, appId: string): Promise<Group[]> {
  await getApplication(ctx, appId);
  return ctx.store.applications.listBoundGroups(appId);
}

/** Per-app IdP metadata (SAML metadata §2.4.3): entity ID, signing certificate, SSO endpoints. */
export async function applicationMetadata(ctx: AppContext, app: Application): Promise<string> {
  const key = await ctx.keys.keyFor(app.signingKeyId);
  return buildIdpMetadata({
    entityId: app.sso.idpEntityId,
    ssoUrl: applicationUrls(ctx, app.slug).ssoUrl,
    certificatesPem: [key.certificatePem],
    nameIdFormats: [app.sso.nameIdFormat],
    wantAuthnRequestsSigned: app.sso.requireSignedRequests,
  });
}

export function appTarget(app: Application) {
  return { type: 'application', id: app.id, label: app.displayLabel };
}
