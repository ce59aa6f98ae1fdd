import crypto from 'node:crypto';
import { allowsInsecureLoopback } from '../config';
import type { AppContext } from '../context';
import { assertThat, conflict, notFound, unprocessable } from '../errors';
import type { RequestMeta } from '../insights/recorder';
import { buildIdpMetadata } from '../saml/metadata';
import { checkSpCertificate } from '../saml/sp-certificate';
import type { CatalogEntry } from '../catalog/loader';
import { renderTemplate, unreplaced } from '../catalog/template';
import { StoreConstraintError, type Application, type Group, type SamlApplication } from '../store';
import {
  acsUrlProblem, createApplicationSchema, slugFromLabel, ssoInputSchema, type SsoInput, updateApplicationSchema,
} from './application-input';
import { checkPlaceholderValues, followTemplates, templateAttributes, templateSso, unreplacedPlaceholders } from './catalog-apps';
import { ssoInputOf, toSsoSettings } from './sso-settings';
import { getGroup, groupTarget } from './groups';
import { enqueueForApp } from './provisioning';
import { connectionFollowingPlaceholders } from './scim-connection';
import { enqueueGroup } from './provisioning-groups';
import { parseInput } from './validation';


/** The public URLs of an application (ARCHITECTURE.md: a contract SPs depend on). */
export function applicationUrls(ctx: AppContext, slug: string) {
  const sso = `${ctx.config.publicUrl}/saml2/${slug}`;
  return { ssoUrl: sso, metadataUrl: `${sso}/metadata`, certificateUrl: `${sso}/certificate.pem` };
}

async function resolveSigningKey(ctx: AppContext, label: string, choice: unknown): Promise<string | undefined> {
  if (choice === 'default') return undefined;
  if (choice === 'generate') return (await ctx.keys.generate(`${label} signing key`)).id;
  const pem = choice as { privateKeyPem: string; certificatePem: string };
  return (await ctx.keys.importPem(`${label} signing key`, pem.privateKeyPem, pem.certificatePem)).id;
}

/** `monday-com`, or `monday-com-2`, `-3`… when taken: the default IdP URL for a new app. */
export async function freeSlug(ctx: AppContext, base: string): Promise<string> {
  for (let n = 1; n < 1000; n++) {
    const candidate = n === 1 ? base : `${base.slice(0, 60).replace(/-+$/, '')}-${n}`;
    if (!(await ctx.store.applications.findBySlug(candidate))) return candidate;
  }
  return `${base.slice(0, 50)}-${crypto.randomBytes(4).toString('hex')}`;
}

function catalogEntryOf(ctx: AppContext, catalogId: string): CatalogEntry {
  const entry = ctx.catalog.get(catalogId);
  if (!entry) {
    throw unprocessable('applications.catalog_unknown', `The request is not valid. catalogId "${catalogId}" is not in the catalog; GET /api/v1/catalog lists the entries.`);
  }
  return entry;
}

/** Only the fields present in the request body count as overrides: zod defaults must not. */
function sentSsoFields(input: unknown, parsed: Partial<SsoInput> | undefined): Partial<SsoInput> {
  const sent = (input as { sso?: Record<string, unknown> }).sso ?? {};
  return Object.fromEntries(Object.entries(parsed ?? {}).filter(([k]) => k in sent)) as Partial<SsoInput>;
}

function bookmarkUrlOf(ctx: AppContext, url: string): string {
  if (unreplaced([url]).length === 0) {
    const problem = acsUrlProblem(url, allowsInsecureLoopback(ctx.config));
    if (problem) throw unprocessable('applications.bookmark_url_invalid', `The request is not valid. bookmarkUrl ${problem}.`);
  }
  return url;
}

function spEntityIdTaken(ctx: AppContext, spEntityId: string, other: Application) {
  return conflict('applications.sp_entity_id_taken', `The SP entity ID ${spEntityId} is already used by ${other.displayLabel} (${applicationUrls(ctx, other.slug).ssoUrl}); each application needs its own SP entity ID. Change it, or configure the service provider in ${other.displayLabel}.`);
}

/**
 * One application per SP entity ID (SAML metadata §2.3.2: the entity ID names the SP), as the
 * vendors' own IdP settings refuse a second connection with the same one. A value still holding
 * a placeholder is not a real ID yet. Checked on create and whenever the ID changes; the store's
 * unique index (migration 11) catches a race and is answered with the same 409.
 */
async function saveWithUniqueSpEntityId(ctx: AppContext, app: Application, previous: string | undefined, save: () => Promise<void>): Promise<void> {
  const spEntityId = app.sso?.spEntityId;
  const checked = spEntityId && unreplaced([spEntityId]).length === 0 && spEntityId !== previous ? spEntityId : undefined;
  if (checked) {
    const other = await ctx.store.applications.findBySpEntityId(checked, app.id);
    if (other) throw spEntityIdTaken(ctx, checked, other);
  }
  try {
    await save();
  } catch (error) {
    const other = checked && error instanceof StoreConstraintError && error.field.includes('sp_entity_id')
      ? await ctx.store.applications.findBySpEntityId(checked, app.id) : undefined;
    if (checked && other) throw spEntityIdTaken(ctx, checked, other);
    throw error;
  }
}

/** An app with placeholders left cannot be switched on: say which, so the admin can fill them in. */
function checkActivation(app: Application): void {
  const left = unreplacedPlaceholders(app);
  if (app.ssoActive && left.length > 0 && !app.sso) {
    throw unprocessable('applications.placeholders_unreplaced', `${app.displayLabel} cannot be activated without its Bookmark URL: enter the address the tile opens.`);
  }
  if (app.ssoActive && left.length > 0) {
    throw unprocessable('applications.placeholders_unreplaced', `${app.displayLabel} cannot be activated until every placeholder is replaced: ${left.join(', ')}.`);
  }
}

export async function createApplication(ctx: AppContext, meta: RequestMeta, input: unknown): Promise<Application> {
  const data = parseInput(createApplicationSchema, input);
  const entry = catalogEntryOf(ctx, data.catalogId);
  const values = checkPlaceholderValues(entry, data.placeholders);
  const displayLabel = data.displayLabel ?? entry.name;
  // A slug the admin chose must be free; one derived from the label takes the next free suffix.
  const slug = data.slug ?? (await freeSlug(ctx, slugFromLabel(displayLabel)));
  if (await ctx.store.applications.findBySlug(slug)) {
    throw conflict('applications.slug_taken', `Another application already uses the IdP URL …/saml2/${slug}; choose another slug.`);
  }
  const saml = entry.ssoType === 'saml';
  const ssoInput = saml ? parseInput(ssoInputSchema, { ...templateSso(entry, values), ...sentSsoFields(input, data.sso) }) : undefined;
  const now = ctx.clock.now().toISOString();
  const app: Application = {
    id: crypto.randomUUID(), catalogId: entry.id, slug, displayLabel, description: data.description,
    showInPortal: data.showInPortal, ssoActive: false,
    signingKeyId: saml ? await resolveSigningKey(ctx, displayLabel, data.signingKey) : undefined,
    sso: ssoInput ? toSsoSettings(ctx, applicationUrls(ctx, slug).ssoUrl, ssoInput) : null,
    attributes: saml ? data.attributes ?? templateAttributes(entry, values) : [],
    placeholders: values,
    portal: data.portal ?? { image: 'logo', color: entry.color },
    bookmarkUrl: entry.bookmark ? bookmarkUrlOf(ctx, data.bookmarkUrl ?? renderTemplate(entry.bookmark.urlTemplate, values)) : null,
    createdAt: now, updatedAt: now,
  };
  app.ssoActive = data.ssoActive ?? unreplacedPlaceholders(app).length === 0;
  checkActivation(app);
  await saveWithUniqueSpEntityId(ctx, app, undefined, () => ctx.store.applications.create(app));
  await ctx.insights.record(meta, { type: 'application_create', outcome: 'success', target: appTarget(app), appId: app.id });
  return app;
}

export async function getApplication(ctx: AppContext, id: string): Promise<Application> {
  const app = await ctx.store.applications.findById(id);
  assertThat(app, () => notFound('applications.not_found', 'No application has this id.'));
  return app;
}

export async function updateApplication(ctx: AppContext, meta: RequestMeta, id: string, input: unknown): Promise<Application> {
  const data = parseInput(updateApplicationSchema, input);
  const before = await getApplication(ctx, id);
  if (data.slug !== undefined && data.slug !== before.slug) {
    throw conflict('applications.slug_immutable', `The IdP URL (…/saml2/${before.slug}) cannot change after the application is created; delete and recreate the application to use another URL.`);
  }
  const entry = catalogEntryOf(ctx, before.catalogId);
  const values = data.placeholders ? { ...before.placeholders, ...checkPlaceholderValues(entry, data.placeholders) } : before.placeholders;
  // Explicitly emptied placeholders are removed, so the template text comes back.
  for (const [name, value] of Object.entries(data.placeholders ?? {})) if (value.trim() === '') delete values[name];
  // Only the SSO fields present in the request are sent; zod defaults must not reset the others.
  const rendered = followTemplates(entry, before, { sso: sentSsoFields(input, data.sso), attributes: data.attributes, bookmarkUrl: data.bookmarkUrl },
    before.placeholders, values, data.rerender);
  if (!before.sso && (data.sso || data.attributes || data.signingKey)) {
    throw unprocessable('applications.bookmark_has_no_sso', `${before.displayLabel} is a bookmark: it has no SAML settings.`);
  }
  if (before.sso && data.bookmarkUrl !== undefined) {
    throw unprocessable('applications.not_a_bookmark', `${before.displayLabel} is a SAML application: it has no bookmark URL.`);
  }
  const app: Application = {
    ...before,
    displayLabel: data.displayLabel ?? before.displayLabel,
    description: data.description ?? before.description,
    showInPortal: data.showInPortal ?? before.showInPortal,
    ssoActive: data.ssoActive ?? before.ssoActive,
    signingKeyId: data.signingKey ? await resolveSigningKey(ctx, before.displayLabel, data.signingKey) : before.signingKeyId,
    sso: before.sso ? toSsoSettings(ctx, applicationUrls(ctx, before.slug).ssoUrl, parseInput(ssoInputSchema, { ...ssoInputOf(before.sso), ...rendered.sso })) : null,
    attributes: rendered.attributes,
    placeholders: values,
    portal: data.portal ?? before.portal,
    bookmarkUrl: rendered.bookmarkUrl === null ? null : bookmarkUrlOf(ctx, rendered.bookmarkUrl),
    updatedAt: ctx.clock.now().toISOString(),
  };
  checkActivation(app);
  const movedConnection = await connectionFollowingPlaceholders(ctx, app, entry.scim?.baseUrlTemplate, before.placeholders, values);
  await ctx.store.transaction(async () => {
    await saveWithUniqueSpEntityId(ctx, app, before.sso?.spEntityId, () => ctx.store.applications.update(app));
    if (movedConnection) await ctx.store.idm.put(movedConnection);
  });
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
  await ctx.store.transaction(async () => {
    if (await ctx.store.applications.bindGroup(appId, groupId, ctx.clock.now().toISOString())) {
      await ctx.insights.record(meta, { type: 'group_bind', outcome: 'success', target: appTarget(app), appId, detail: { group: groupTarget(group) } });
      await enqueueForApp(ctx, appId);
      await enqueueGroup(ctx, appId, groupId);
    }
  });
}

export async function unbindGroup(ctx: AppContext, meta: RequestMeta, appId: string, groupId: string): Promise<void> {
  const app = await getApplication(ctx, appId);
  const group = await getGroup(ctx, groupId);
  await ctx.store.transaction(async () => {
    const removed = await ctx.store.applications.unbindGroup(appId, groupId);
    assertThat(removed, () => notFound('applications.group_not_bound', 'This group is not bound to the application.'));
    await ctx.insights.record(meta, { type: 'group_unbind', outcome: 'success', target: appTarget(app), appId, detail: { group: groupTarget(group) } });
    // Members not covered by another bound group are deactivated in the app by the jobs; the
    // group itself stops syncing and stays as it is remotely.
    await enqueueForApp(ctx, appId);
    await enqueueGroup(ctx, appId, groupId);
  });
}

export async function listBoundGroups(ctx: AppContext, appId: string): Promise<Group[]> {
  await getApplication(ctx, appId);
  return ctx.store.applications.listBoundGroups(appId);
}

/** Per-app IdP metadata (SAML metadata §2.4.3): entity ID, signing certificate, SSO endpoints. */
export async function applicationMetadata(ctx: AppContext, app: SamlApplication): Promise<string> {
  const key = await ctx.keys.keyFor(app.signingKeyId);
  return buildIdpMetadata({
    entityId: app.sso.idpEntityId,
    ssoUrl: applicationUrls(ctx, app.slug).ssoUrl,
    certificatesPem: [key.certificatePem],
    nameIdFormats: [app.sso.nameIdFormat],
    wantAuthnRequestsSigned: app.sso.requireSignedRequests,
  });
}

/** What the admin should know about a saved app that is not an error (a SHA-1-signed SP certificate). */
export function applicationWarnings(app: Application): string[] {
  return app.sso?.spCertificatePem ? checkSpCertificate(app.sso.spCertificatePem).warnings : [];
}

export function appTarget(app: Application) {
  return { type: 'application', id: app.id, label: app.displayLabel };
}
