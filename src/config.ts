import os from 'node:os';

/**
 * Configuration from environment variables: every option is declared once in OPTIONS (name,
 * default, meaning), parsed and validated at start-up, then frozen. README's table shows the same
 * list, and a test fails when an option is missing from README.
 */
export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string;
  databasePoolSize: number;
  /** Budget of one long read (admin lists, insights, export pages), in ms. */
  adminQueryTimeoutMs: number;
  /** Processes that serve requests (node:cluster); 1 keeps a single process with no primary. */
  workers: number;
  /** Undefined in development when unset: a generated secret is kept in the store instead. */
  sessionSecret?: string;
  sessionMaxAgeHours: number;
  sessionIdleMinutes: number;
  adminEmail: string;
  /** Undefined when unset: a password is generated and printed once on first start. */
  adminPassword?: string;
  /** Undefined when unset: the admin API then refuses every request. */
  adminToken?: string;
  /** 32-byte key that encrypts private keys at rest; undefined in development when unset. */
  keyEncryptionKey?: Buffer;
  certsDir: string;
  /** GATEHOUSE_INIT or `--init`: start-up may create a new, empty store where one is recorded. */
  init: boolean;
  certValidityDays: number;
  samlClockSkewSeconds: number;
  samlMessageLifetimeSeconds: number;
  samlAssertionLifetimeSeconds: number;
  trustProxy: boolean;
  scimTimeoutSeconds: number;
  scimAllowPrivateTargets: boolean;
  provisioningLeaseSeconds: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

interface OptionDoc { env: string; default: string; meaning: string }

/** The documentation table, in README order. */
export const OPTIONS: OptionDoc[] = [
  { env: 'NODE_ENV', default: 'development', meaning: '`production` refuses development defaults (generated secrets, http PUBLIC_URL); `test` is for the test suite.' },
  { env: 'PORT', default: '8080', meaning: 'TCP port to listen on.' },
  { env: 'HOST', default: '0.0.0.0', meaning: 'Address to listen on.' },
  { env: 'PUBLIC_URL', default: 'http://localhost:$PORT', meaning: 'Base URL that browsers and SPs use; IdP entity IDs, SSO URLs and metadata are built from it. Must be https in production.' },
  { env: 'DATABASE_URL', default: 'sqlite:./data/gatehouse.db', meaning: 'Store location. `sqlite:<path>` (the directory is created), `sqlite::memory:` for a throwaway store, or `postgres://user:password@host:5432/db` (node-postgres connection string; TLS with `?sslmode=require` or `verify-full`, see README) for several instances on one database.' },
  { env: 'DATABASE_POOL_SIZE', default: '10', meaning: 'PostgreSQL only: the most connections one Gatehouse process opens (a bounded pool).' },
  { env: 'ADMIN_QUERY_TIMEOUT_SECONDS', default: '10', meaning: 'Time budget of one long read (the Directory Insights event scans, each page of an export). A read past it is stopped and answered with a 503 that says how to narrow it. Long reads run beside sign-ins, never in their way: on worker threads with read-only connections for SQLite, on their own small pool for PostgreSQL.' },
  { env: 'WORKERS', default: '1', meaning: 'Processes that serve the port (node:cluster): a number, or `auto` for one per core (`os.availableParallelism()`). A primary process migrates the store and creates the first-start records once, then forks the workers and replaces one that dies. Not with `sqlite::memory:`.' },
  { env: 'SESSION_SECRET', default: '(generated, kept in the store)', meaning: 'Secret that signs session cookies; at least 32 characters. Required in production.' },
  { env: 'SESSION_MAX_AGE_HOURS', default: '12', meaning: 'Absolute lifetime of a sign-in session.' },
  { env: 'SESSION_IDLE_MINUTES', default: '60', meaning: 'A session unused for this long is signed out (idle timeout).' },
  { env: 'GATEHOUSE_ADMIN_EMAIL', default: 'admin@gatehouse.local', meaning: 'E-mail (and username) of the bootstrap admin created on first start when no admin exists.' },
  { env: 'GATEHOUSE_ADMIN_PASSWORD', default: '(generated, printed once)', meaning: 'Password of the bootstrap admin. When unset a random one is generated and printed once on first start. Required in production for the first start.' },
  { env: 'GATEHOUSE_ADMIN_TOKEN', default: '(unset: API disabled)', meaning: 'Bearer token for the admin REST API (`Authorization: Bearer …`), at least 32 characters.' },
  { env: 'GATEHOUSE_KEY_ENCRYPTION_KEY', default: '(generated into certs/master.key, mode 0600)', meaning: '32 bytes as 64 hex characters or base64; encrypts signing private keys at rest (AES-256-GCM). Required in production.' },
  { env: 'GATEHOUSE_CERTS_DIR', default: './certs', meaning: 'Directory for the development key-encryption key (0600), the store marker `stores.json` (see "Data directory"; keep it outside the database\'s directory) and exported certificates.' },
  { env: 'GATEHOUSE_INIT', default: 'false', meaning: '`true` (or `1`, or starting with `--init`) lets start-up create a new, empty store where the store marker records one that is now missing or empty; without it start-up refuses (see "Data directory"). Not needed on the very first run; unset it again afterwards.' },
  { env: 'CERT_VALIDITY_DAYS', default: '3650', meaning: 'Validity of generated signing certificates.' },
  { env: 'SAML_CLOCK_SKEW_SECONDS', default: '180', meaning: 'Allowed clock difference for AuthnRequest IssueInstant and assertion NotBefore.' },
  { env: 'SAML_MESSAGE_LIFETIME_SECONDS', default: '180', meaning: 'How old an AuthnRequest may be (plus skew); also how long its ID is remembered for replay detection.' },
  { env: 'SAML_ASSERTION_LIFETIME_SECONDS', default: '300', meaning: 'Assertion validity (Conditions and SubjectConfirmationData NotOnOrAfter).' },
  { env: 'SCIM_TIMEOUT_SECONDS', default: '10', meaning: 'How long a SCIM service may take to answer one request.' },
  { env: 'SCIM_ALLOW_PRIVATE_TARGETS', default: 'false in production', meaning: '`true` lets SCIM base URLs point at loopback or private addresses (an on-premises SP); production refuses them otherwise (SSRF), when saved and at every connect.' },
  { env: 'PROVISIONING_LEASE_SECONDS', default: '60', meaning: 'How long a claimed provisioning job stays with its worker without a renewal (renewed every third of it while the job runs); after a crash, another instance takes the job over once this has passed.' },
  { env: 'TRUST_PROXY', default: 'false', meaning: '`true` when behind a reverse proxy: client addresses are taken from X-Forwarded-For.' },
  { env: 'LOG_LEVEL', default: 'info', meaning: '`debug`, `info`, `warn`, `error` or `silent`.' },
];

type Env = Record<string, string | undefined>;

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function readEnum<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function readPublicUrl(env: Env, port: number): string {
  const raw = env.PUBLIC_URL || `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('PUBLIC_URL', `must be an absolute URL such as https://sso.example.com, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('PUBLIC_URL', 'must use http or https');
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError('PUBLIC_URL', 'must not contain credentials, a query or a fragment');
  }
  return url.toString().replace(/\/+$/, '');
}

function readDatabaseUrl(env: Env): string {
  const raw = env.DATABASE_URL || 'sqlite:./data/gatehouse.db';
  if (/^sqlite:.+/.test(raw)) return raw;
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a readable postgres:// URL (percent-encode special characters in the password)');
    }
    return raw;
  }
  // The value may hold a password: name the scheme only.
  throw new ConfigError('DATABASE_URL', `must look like sqlite:<path> or postgres://…, got a "${raw.split(':')[0].slice(0, 20)}:" URL`);
}

/** WORKERS=<n>|auto; `auto` is one worker per core the process may use (Node's availableParallelism). */
function readWorkers(env: Env, databaseUrl: string): number {
  const raw = env.WORKERS;
  if (raw && raw !== 'auto' && !/^\d+$/.test(raw)) throw new ConfigError('WORKERS', `must be a whole number or auto, got "${raw}"`);
  const workers = raw === 'auto' ? os.availableParallelism() : readInt(env, 'WORKERS', 1, 1, 64);
  // Each process would open its own private in-memory database: the workers would not share state.
  if (workers > 1 && databaseUrl === 'sqlite::memory:') {
    throw new ConfigError('WORKERS', 'must be 1 with DATABASE_URL=sqlite::memory: (every process would get its own empty store)');
  }
  return workers;
}

function readKey(env: Env): Buffer | undefined {
  const raw = env.GATEHOUSE_KEY_ENCRYPTION_KEY;
  if (!raw) return undefined;
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) {
    throw new ConfigError('GATEHOUSE_KEY_ENCRYPTION_KEY', 'must be 32 bytes, written as 64 hex characters or base64');
  }
  return key;
}

function readSecret(env: Env, name: string, minLength: number): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < minLength) throw new ConfigError(name, `must be at least ${minLength} characters long`);
  return raw;
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const nodeEnv = readEnum(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const port = readInt(env, 'PORT', 8080, 0, 65535);
  const adminEmail = env.GATEHOUSE_ADMIN_EMAIL || 'admin@gatehouse.local';
  if (!/^[^\s@]+@[^\s@]+$/.test(adminEmail)) throw new ConfigError('GATEHOUSE_ADMIN_EMAIL', 'must be an e-mail address');
  const adminPassword = readSecret(env, 'GATEHOUSE_ADMIN_PASSWORD', 12);
  const trustProxy = readEnum(env, 'TRUST_PROXY', ['true', 'false'] as const, 'false') === 'true';
  const databaseUrl = readDatabaseUrl(env);

  const config: Config = {
    nodeEnv,
    port,
    host: env.HOST || '0.0.0.0',
    publicUrl: readPublicUrl(env, port),
    databaseUrl,
    databasePoolSize: readInt(env, 'DATABASE_POOL_SIZE', 10, 1, 500),
    adminQueryTimeoutMs: readInt(env, 'ADMIN_QUERY_TIMEOUT_SECONDS', 10, 1, 300) * 1000,
    workers: readWorkers(env, databaseUrl),
    sessionSecret: readSecret(env, 'SESSION_SECRET', 32),
    sessionMaxAgeHours: readInt(env, 'SESSION_MAX_AGE_HOURS', 12, 1, 24 * 30),
    sessionIdleMinutes: readInt(env, 'SESSION_IDLE_MINUTES', 60, 1, 24 * 60 * 30),
    adminEmail,
    adminPassword,
    adminToken: readSecret(env, 'GATEHOUSE_ADMIN_TOKEN', 32),
    keyEncryptionKey: readKey(env),
    certsDir: env.GATEHOUSE_CERTS_DIR || './certs',
    init: ['true', '1'].includes(readEnum(env, 'GATEHOUSE_INIT', ['true', 'false', '1', '0'] as const, 'false')),
    certValidityDays: readInt(env, 'CERT_VALIDITY_DAYS', 3650, 1, 36500),
    samlClockSkewSeconds: readInt(env, 'SAML_CLOCK_SKEW_SECONDS', 180, 0, 3600),
    samlMessageLifetimeSeconds: readInt(env, 'SAML_MESSAGE_LIFETIME_SECONDS', 180, 10, 3600),
    samlAssertionLifetimeSeconds: readInt(env, 'SAML_ASSERTION_LIFETIME_SECONDS', 300, 30, 3600),
    trustProxy,
    scimTimeoutSeconds: readInt(env, 'SCIM_TIMEOUT_SECONDS', 10, 1, 120),
    provisioningLeaseSeconds: readInt(env, 'PROVISIONING_LEASE_SECONDS', 60, 1, 3600),
    scimAllowPrivateTargets: readEnum(env, 'SCIM_ALLOW_PRIVATE_TARGETS', ['true', 'false'] as const, nodeEnv === 'production' ? 'false' : 'true') === 'true',
    logLevel: readEnum(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, nodeEnv === 'test' ? 'silent' : 'info'),
  };

  if (nodeEnv === 'production') refuseDevelopmentDefaults(config);
  return Object.freeze(config);
}

/** Production refuses every default that is only safe on a developer's machine. */
function refuseDevelopmentDefaults(config: Config): void {
  if (!config.sessionSecret) throw new ConfigError('SESSION_SECRET', 'is required when NODE_ENV=production');
  if (!config.keyEncryptionKey) {
    throw new ConfigError('GATEHOUSE_KEY_ENCRYPTION_KEY', 'is required when NODE_ENV=production');
  }
  if (!config.publicUrl.startsWith('https://')) {
    throw new ConfigError('PUBLIC_URL', 'must be an https URL when NODE_ENV=production');
  }
  if (config.databaseUrl === 'sqlite::memory:') {
    throw new ConfigError('DATABASE_URL', 'must not be an in-memory store when NODE_ENV=production');
  }
}

/** True when ACS URLs on loopback over plain http are acceptable (development and tests). */
export function allowsInsecureLoopback(config: Config): boolean {
  return config.nodeEnv !== 'production';
}
