import { renderTemplate, unreplaced } from '../catalog/template';
import type { AppContext } from '../context';
import { conflict } from '../errors';
import { createScimClient, type ScimClient } from '../scim/client';
import type { Application, IdmConnection } from '../store';
import { outboundGuardFor } from './outbound';

/**
 * The one way to reach an application's SCIM service: its base URL, its token opened from the
 * seal (bound to the application), the configured timeout and the SSRF guard.
 */
export const idmTokenAad = (appId: string) => `idm:${appId}`;

export function scimClientFor(ctx: AppContext, connection: IdmConnection): ScimClient {
  return createScimClient({
    baseUrl: connection.baseUrl,
    token: ctx.secrets.open(connection.sealedToken, idmTokenAad(connection.appId)),
    timeoutMs: ctx.config.scimTimeoutSeconds * 1000,
    guard: outboundGuardFor(ctx),
  });
}

/** The base URL an entry's template gives for these placeholder values, as connections store it. */
export function renderedBaseUrl(template: string, values: Record<string, string>): string {
  return renderTemplate(template, values).replace(/\/+$/, '');
}

/**
 * Issue 9 #24: a stored SCIM base URL that still holds what the template rendered follows a
 * changed placeholder like every other templated field (one typed by hand stays). An active
 * connection is not moved behind the admin's back: its token would go to an address nobody
 * verified, so the change waits until Identity Management is deactivated (then Activate checks
 * the new address, as configureIdm's base-URL rule already asks).
 */
export async function connectionFollowingPlaceholders(
  ctx: AppContext, app: Pick<Application, 'id' | 'displayLabel'>, template: string | null | undefined,
  before: Record<string, string>, after: Record<string, string>,
): Promise<IdmConnection | undefined> {
  if (!template) return undefined;
  const connection = await ctx.store.idm.find(app.id);
  const was = renderedBaseUrl(template, before);
  const now = renderedBaseUrl(template, after);
  if (!connection || connection.baseUrl !== was || now === was || unreplaced([now]).length > 0) return undefined;
  if (connection.active) {
    throw conflict('idm.base_url_locked', `This change moves the SCIM base URL of ${app.displayLabel} to ${now}. Deactivate Identity Management first, then activate it again so Gatehouse verifies the new address.`);
  }
  return { ...connection, baseUrl: now, updatedAt: ctx.clock.now().toISOString() };
}
