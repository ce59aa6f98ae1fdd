import { z } from 'zod';
import { unreplaced } from '../catalog/template';
import { allowsInsecureLoopback } from '../config';
import type { AppContext } from '../context';
import { conflict, unprocessable } from '../errors';
import type { RequestMeta } from '../insights/recorder';
import { ScimError } from '../scim/client';
import { checkTarget, OutboundError } from '../net/outbound-guard';
import { sameResource } from '../scim/patch';
import type { Application, IdmConnection } from '../store';
import { acsUrlProblem } from './application-input';
import { enqueueForApp } from './provisioning';
import { outboundGuardFor } from './outbound';
import { idmTokenAad, renderedBaseUrl, scimClientFor } from './scim-connection';
import { enqueueGroup } from './provisioning-groups';
import { appTarget, getApplication } from './applications';
import { parseInput } from './validation';

/**
 * The Identity Management (SCIM) connection of an application, as the seeds run it: a base URL
 * (prefilled from the catalog) and a token; **Activate** checks both against the SCIM service
 * before anything is saved as active; the token can change only while the connection is off;
 * tokens are sealed at rest and shown masked. Events use the seeds' names.
 */
const configureSchema = z.strictObject({
  baseUrl: z.string().trim().min(1, 'is required').max(2048).optional(),
  /**
   * Sent as `Authorization: Bearer <token>`: a bearer token is visible ASCII without spaces
   * (RFC 6750 §2.1 b64token is a subset), so line breaks, NUL, tabs, C1 controls, DEL, U+2028 and
   * anything else a header cannot carry as typed are refused, never stored. Only surrounding
   * spaces from a paste are dropped.
   */
  token: z.string().overwrite((value) => value.replace(/^ +| +$/g, '')).min(8, 'must be the token the application gave you').max(4096)
    .regex(/^[\x21-\x7e]*$/, 'must be printable characters only (no spaces, line breaks, tabs or control characters); copy it again from the application').optional(),
  groupsEnabled: z.boolean().optional(),
  /** Optional catalog mappings not to send (the monday.com seed's "exclude user attributes"). */
  excludedMappings: z.array(z.string().max(200)).max(50).optional(),
  restoreDefaultMappings: z.literal(true).optional(),
  /** ClickUp-style custom role: which attribute, and the value every provisioned user gets. */
  role: z.strictObject({ attribute: z.string().max(100), value: z.string().trim().min(1).max(200) }).nullable().optional(),
});

export interface IdmView {
  supported: boolean;
  groupsSupported: boolean | null;
  baseUrl: string;
  tokenMasked: string | null;
  active: boolean;
  groupsEnabled: boolean;
  activatedAt: string | null;
  /** The catalog's mappings, each with whether it is sent. */
  mappings: { scim: string; source: string; required: boolean; sent: boolean }[];
  /** The role every user is sent with (the catalog's default unless set), or null when the SP reads none. */
  role: { attribute: string; value: string; attributes: string[] } | null;
}

function catalogScim(ctx: AppContext, app: Application) {
  return ctx.catalog.get(app.catalogId)?.scim ?? null;
}


/** What the Identity Management tab and `GET …/idm` show; never the token itself. */
export async function idmView(ctx: AppContext, app: Application): Promise<IdmView> {
  const scim = catalogScim(ctx, app);
  const connection = await ctx.store.idm.find(app.id);
  return {
    supported: Boolean(scim?.users), groupsSupported: scim?.groups ?? null,
    baseUrl: connection?.baseUrl ?? (scim?.baseUrlTemplate ? renderedBaseUrl(scim.baseUrlTemplate, app.placeholders) : ''),
    tokenMasked: connection ? `••••••••${connection.tokenHint}` : null,
    active: connection?.active ?? false, groupsEnabled: connection?.groupsEnabled ?? false, activatedAt: connection?.activatedAt ?? null,
    mappings: (scim?.mappings ?? []).map((m) => ({ ...m, sent: m.required || !(connection?.excludedMappings ?? []).includes(m.scim) })),
    role: scim?.role ? { ...(connection?.role ?? { attribute: scim.role.attributes[0], value: scim.role.defaultValue }), attributes: scim.role.attributes } : null,
  };
}

/**
 * SSRF guard (src/net/outbound-guard.ts): refuse a base URL that reaches the server's own network
 * when it is saved, with a clear message. Every later connect is checked again.
 */
async function assertReachableTarget(ctx: AppContext, url: string): Promise<void> {
  try {
    await checkTarget(outboundGuardFor(ctx), url);
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    if (error.kind === 'private_target') {
      throw unprocessable('idm.base_url_private', `The base URL points at a loopback or private network address, which Gatehouse does not call: ${error.message}`);
    }
    throw unprocessable('idm.base_url_unresolved', `The host of the base URL (${new URL(url).hostname}) could not be resolved.`);
  }
}

function checkBaseUrl(ctx: AppContext, url: string): string {
  const left = unreplaced([url]);
  if (left.length) throw unprocessable('idm.base_url_placeholder', `Replace ${left.join(', ')} in the base URL with your account's value.`);
  const problem = acsUrlProblem(url, allowsInsecureLoopback(ctx.config));
  if (problem) throw unprocessable('idm.base_url_invalid', `The request is not valid. baseUrl ${problem}.`);
  return url.replace(/\/+$/, '');
}

/** The connection this input asks for, with every rule checked (the SSRF guard too); nothing is stored. */
async function candidateConnection(ctx: AppContext, app: Application, input: unknown) {
  const scim = catalogScim(ctx, app);
  if (!scim?.users) throw unprocessable('idm.not_supported', `${app.displayLabel} has no Identity Management (SCIM) integration in the catalog.`);
  const data = parseInput(configureSchema, input);
  const before = await ctx.store.idm.find(app.id);
  if (before?.active && data.token) {
    throw conflict('idm.token_locked', 'Deactivate the Identity Management connection before you change its token, then activate it again.');
  }
  if (before?.active && data.baseUrl && checkBaseUrl(ctx, data.baseUrl) !== before.baseUrl) {
    throw conflict('idm.base_url_locked', 'Deactivate the Identity Management connection before you change its base URL.');
  }
  if (!before && !data.token) throw unprocessable('idm.token_required', 'Enter the token the application gave you.');
  if (data.groupsEnabled && !scim.groups) throw unprocessable('idm.groups_not_supported', `${app.displayLabel} does not support group management over SCIM.`);
  const optional = new Set(scim.mappings.filter((m) => !m.required).map((m) => m.scim));
  for (const name of data.excludedMappings ?? []) {
    if (!optional.has(name)) {
      throw unprocessable('idm.mapping_not_optional', `${name} is not an optional mapping of ${app.displayLabel}; required mappings are always sent.`);
    }
  }
  if (data.role && !scim.role?.attributes.includes(data.role.attribute)) {
    throw unprocessable('idm.role_attribute_unknown', `${app.displayLabel} reads no role attribute named ${data.role.attribute}${scim.role ? ` (it reads ${scim.role.attributes.join(' or ')})` : ''}.`);
  }
  const view = await idmView(ctx, app);
  if (data.baseUrl) await assertReachableTarget(ctx, checkBaseUrl(ctx, data.baseUrl));
  const connection: IdmConnection = {
    appId: app.id,
    baseUrl: checkBaseUrl(ctx, data.baseUrl ?? before?.baseUrl ?? view.baseUrl),
    sealedToken: data.token ? ctx.secrets.seal(data.token, idmTokenAad(app.id)) : before!.sealedToken,
    tokenHint: data.token ? data.token.slice(-4) : before!.tokenHint,
    active: before?.active ?? false,
    groupsEnabled: data.groupsEnabled ?? before?.groupsEnabled ?? false,
    excludedMappings: data.restoreDefaultMappings ? [] : data.excludedMappings ?? before?.excludedMappings ?? [],
    role: data.role !== undefined ? data.role : before?.role ?? null,
    activatedAt: before?.activatedAt ?? null,
    updatedAt: ctx.clock.now().toISOString(),
  };
  return { data, before, connection };
}

type Candidate = Awaited<ReturnType<typeof candidateConnection>>;

const configuredEvent = (app: Application, { data, before, connection }: Candidate) => ({
  type: before && data.token ? 'idm_integration_reauth' : 'idm_integration_update', outcome: 'success' as const, target: appTarget(app), appId: app.id,
  detail: { fields: Object.keys(data).filter((k) => k !== 'token'), tokenChanged: Boolean(data.token), excludedMappings: connection.excludedMappings },
});

/** Save the base URL, token and group setting; the token can change only while the connection is off. */
export async function configureIdm(ctx: AppContext, meta: RequestMeta, appId: string, input: unknown): Promise<IdmView> {
  const app = await getApplication(ctx, appId);
  const candidate = await candidateConnection(ctx, app, input);
  const { before, connection } = candidate;
  await ctx.store.transaction(async () => {
    await ctx.store.idm.put(connection);
    // Group management switched on for a live connection: the bound groups sync now. Switched
    // off, remote groups are left as they are.
    if (connection.active && connection.groupsEnabled && !before?.groupsEnabled) {
      for (const group of await ctx.store.applications.listBoundGroups(app.id)) await enqueueGroup(ctx, app.id, group.id);
    }
    // What every user is sent with changed (role, mappings): every provisioned user is updated,
    // in the same transaction (role updates are what the Okta ClickUp guide says is pushed).
    if (connection.active && before && !sameResource([before.role, before.excludedMappings], [connection.role, connection.excludedMappings])) {
      await enqueueForApp(ctx, app.id);
    }
  });
  await ctx.insights.record(meta, configuredEvent(app, candidate));
  return idmView(ctx, app);
}

async function activationRefused(ctx: AppContext, meta: RequestMeta, app: Application, reason: string, status: number | null): Promise<void> {
  await ctx.insights.record(meta, { type: 'idm_integration_activate', outcome: 'failure', reason, target: appTarget(app), appId: app.id, detail: { status } });
}

/**
 * The Okta ClickUp guide: "SSO is required to use SCIM". Users pushed to an app they cannot sign
 * in to would be stranded, so a connection is activated only while the app's SSO is active.
 */
async function assertSsoActive(ctx: AppContext, meta: RequestMeta, app: Application): Promise<void> {
  if (app.ssoActive) return;
  await activationRefused(ctx, meta, app, 'idm.sso_inactive', null);
  throw conflict('idm.sso_inactive', `Activate SSO for ${app.displayLabel} first: Identity Management (SCIM) needs the application's SSO to be active.`);
}

/** The SCIM service must accept this connection's token at its base URL (nothing is stored). */
async function verifyConnection(ctx: AppContext, meta: RequestMeta, app: Application, connection: IdmConnection): Promise<void> {
  await assertReachableTarget(ctx, connection.baseUrl);
  try {
    await scimClientFor(ctx, connection).verify();
  } catch (error) {
    const reason = error instanceof ScimError ? error.reason : 'unreachable';
    await activationRefused(ctx, meta, app, `idm.${reason}`, error instanceof ScimError ? error.status ?? null : null);
    throw unprocessable(`idm.${reason}`, `The connection was not activated: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Store the verified connection as active and start the first push, in one transaction. */
async function commitActivation(ctx: AppContext, meta: RequestMeta, app: Application, connection: IdmConnection, alsoSaved?: Candidate): Promise<void> {
  const now = ctx.clock.now().toISOString();
  await ctx.store.transaction(async () => {
    await ctx.store.idm.put({ ...connection, active: true, activatedAt: now, updatedAt: now });
    if (alsoSaved) await ctx.insights.record(meta, configuredEvent(app, alsoSaved));
    await ctx.insights.record(meta, { type: 'idm_integration_activate', outcome: 'success', target: appTarget(app), appId: app.id });
    // The first push: every member of the app's groups, then the groups themselves.
    await enqueueForApp(ctx, app.id);
    for (const group of await ctx.store.applications.listBoundGroups(app.id)) await enqueueGroup(ctx, app.id, group.id);
  });
}

/** Activate: the SCIM service must accept the token at this base URL before the connection is on. */
export async function activateIdm(ctx: AppContext, meta: RequestMeta, appId: string): Promise<IdmView> {
  const app = await getApplication(ctx, appId);
  const connection = await ctx.store.idm.find(app.id);
  if (!connection) throw unprocessable('idm.not_configured', 'Enter the base URL and token first.');
  await assertSsoActive(ctx, meta, app);
  await verifyConnection(ctx, meta, app, connection);
  await commitActivation(ctx, meta, app, connection);
  return idmView(ctx, app);
}

/**
 * The portal's Activate button: the settings typed are verified as a candidate first, then saved
 * and activated together; a refused activation stores nothing (the previous token stays).
 */
export async function saveAndActivateIdm(ctx: AppContext, meta: RequestMeta, appId: string, input: unknown): Promise<IdmView> {
  const app = await getApplication(ctx, appId);
  await assertSsoActive(ctx, meta, app);
  const candidate = await candidateConnection(ctx, app, input);
  await verifyConnection(ctx, meta, app, candidate.connection);
  await commitActivation(ctx, meta, app, candidate.connection, candidate);
  return idmView(ctx, app);
}

/** Deactivate IdM connection: pushes stop; the configuration stays so it can be re-activated. */
export async function deactivateIdm(ctx: AppContext, meta: RequestMeta, appId: string): Promise<IdmView> {
  const app = await getApplication(ctx, appId);
  const connection = await ctx.store.idm.find(app.id);
  if (connection?.active) {
    await ctx.store.idm.put({ ...connection, active: false, updatedAt: ctx.clock.now().toISOString() });
    await ctx.insights.record(meta, { type: 'idm_integration_delete', outcome: 'success', target: appTarget(app), appId: app.id });
  }
  return idmView(ctx, app);
}
