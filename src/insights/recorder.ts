import type { Clock } from '../context';
import type { Logger } from '../log';
import { redact } from '../log';
import type { EventRecord, Outcome, Store } from '../store';

/** Who did something, for the audit trail. */
export interface Actor {
  type: EventRecord['actorType'];
  id?: string;
  label?: string;
}

/** Request facts every service call carries for its events. */
export interface RequestMeta {
  actor: Actor;
  clientIp: string | null;
}

export const SYSTEM: RequestMeta = { actor: { type: 'system', label: 'Gatehouse' }, clientIp: null };

export interface EventInput {
  type: string;
  outcome: Outcome;
  reason?: string;
  target?: { type: string; id?: string; label?: string };
  appId?: string;
  detail?: Record<string, unknown>;
}

export interface Insights {
  record(meta: RequestMeta, event: EventInput): Promise<void>;
}

/**
 * Directory Insights recorder. Details pass through the same redaction as logs, so a secret or a
 * raw SAML message handed in by mistake is never stored. A failure to record is logged, never
 * turned into a failed request.
 */
export function createInsights(store: Store, clock: Clock, log: Logger): Insights {
  return {
    async record(meta, event) {
      try {
        await store.events.append({
          time: clock.now().toISOString(),
          type: event.type,
          outcome: event.outcome,
          reason: event.reason ?? null,
          actorType: meta.actor.type,
          actorId: meta.actor.id ?? null,
          actorLabel: meta.actor.label ?? null,
          targetType: event.target?.type ?? null,
          targetId: event.target?.id ?? null,
          targetLabel: event.target?.label ?? null,
          appId: event.appId ?? null,
          clientIp: meta.clientIp,
          detail: (redact(event.detail ?? {}) as Record<string, unknown>),
        });
      } catch (error) {
        log.error('Could not record an event', { type: event.type, error });
      }
    },
  };
}
