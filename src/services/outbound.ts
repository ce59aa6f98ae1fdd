import type { AppContext } from '../context';
import { systemResolver, type OutboundGuard } from '../net/outbound-guard';

/**
 * The SSRF guard every outbound call of Gatehouse uses (SCIM now; SP metadata URLs later):
 * private targets only with SCIM_ALLOW_PRIVATE_TARGETS (src/config.ts defaults it to true outside
 * production), names resolved by the context's resolver when a test sets one.
 */
export function outboundGuardFor(ctx: AppContext): OutboundGuard {
  return { allowPrivate: ctx.config.scimAllowPrivateTargets, resolve: ctx.resolveHost ?? systemResolver };
}
