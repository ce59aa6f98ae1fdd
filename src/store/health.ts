import type { StoreHealth } from './types';

/**
 * The shared half of `Store.health()`: the last answer is kept for HEALTH_CACHE_MS, so /healthz
 * probes, the background check and the SQLite write guard cost one stat (or one `SELECT 1`) per
 * second at most, and a change of state (healthy → not, one failure → another, and back) is
 * reported once, not on every probe.
 */
export const HEALTH_CACHE_MS = 1000;

export const HEALTHY: StoreHealth = { ok: true };

export interface HealthOptions {
  /** Milliseconds since the epoch; the context's clock, so tests move it instead of waiting. */
  now?: () => number;
  /** Called once per change of state (the first answer counts as a change only when unhealthy). */
  onHealthChange?: (health: StoreHealth) => void;
}

export interface HealthState {
  /** The last answer while it is fresh, else undefined: time to probe again. */
  fresh(): StoreHealth | undefined;
  /** Keep a new answer, reporting it when the state changed; returns it. */
  record(health: StoreHealth): StoreHealth;
  /** The last answer, fresh or not. */
  readonly last: StoreHealth;
}

const key = (h: StoreHealth) => (h.ok ? 'ok' : h.code);

export function createHealthState(options: HealthOptions = {}): HealthState {
  const now = options.now ?? Date.now;
  let last: StoreHealth = HEALTHY;
  let at = Number.NEGATIVE_INFINITY;
  return {
    fresh() {
      const t = now();
      // A clock that went backwards (or a test clock reset) counts as stale, never as fresh forever.
      return t >= at && t - at < HEALTH_CACHE_MS ? last : undefined;
    },
    record(health) {
      at = now();
      const changed = key(health) !== key(last);
      last = health;
      if (changed) options.onHealthChange?.(health);
      return health;
    },
    get last() { return last; },
  };
}
