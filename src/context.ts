import type { Catalog } from './catalog/loader';
import type { Config } from './config';
import type { SecretBox } from './crypto/secret-box';
import type { Logger } from './log';
import type { HostResolver } from './net/outbound-guard';
import type { Store } from './store';
import type { Insights } from './insights/recorder';
import type { KeyService } from './services/keys';

/** Time comes from here, never from `new Date()` in rules, so tests can move the clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Everything a request handler or service needs, passed explicitly (no module singletons), so a
 * test builds an app on a throwaway store and a fake clock.
 */
export interface AppContext {
  config: Readonly<Config>;
  store: Store;
  /** The application catalog, loaded and checked at start. */
  catalog: Catalog;
  keys: KeyService;
  /** Seals secrets at rest (TOTP secrets; SCIM tokens later) under the key-encryption key. */
  secrets: SecretBox;
  clock: Clock;
  log: Logger;
  insights: Insights;
  /** Secret that signs session cookies (configured, or generated and kept in the store in development). */
  sessionSecret: string;
  /** Resolves host names for outbound calls (the SSRF guard); unset: the system resolver. */
  resolveHost?: HostResolver;
}
