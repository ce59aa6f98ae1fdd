import type { AppContext } from '../context';
import { createScimClient, type ScimClient } from '../scim/client';
import type { IdmConnection } from '../store';
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
