import type { IdmRepository, ImportRepository, MfaRepository, ProvisioningRepository, ThrottleRepository } from './types-accounts';
import type { Page, PageOf } from './types-paging';

/**
 * The Store: repository interfaces that take and return plain objects. Nothing here names a
 * database: the SQLite driver (embedded default) implements it today, PostgreSQL later. Methods
 * are async so a networked driver fits the same shape; `find*` returns undefined when missing.
 * Uniqueness and reference violations surface as StoreConstraintError, which the HTTP layer maps
 * to 409 in one place.
 */

export type UserState = 'active' | 'suspended';

export interface UserProfile {
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  displayName: string;
  employeeId: string;
  title: string;
}

export interface User extends UserProfile {
  id: string;
  state: UserState;
  isAdmin: boolean;
  /** An admin requires this user to sign in with a second factor. */
  mfaRequired: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Group {
  id: string;
  name: string;
  description: string;
  createdAt: string;
  updatedAt: string;
}

export type NameIdSource = 'email' | 'username' | 'id' | 'employeeId';
export type UserAttributeSource =
  | 'email' | 'username' | 'firstName' | 'lastName' | 'displayName' | 'employeeId' | 'title' | 'id' | 'groups';

/** One attribute of the AttributeStatement: from a user property, the user's groups, or a constant. */
export interface AttributeMapping {
  name: string;
  source?: UserAttributeSource;
  value?: string;
  nameFormat?: string;
}

export interface AcsEndpoint {
  url: string;
  index: number;
  isDefault: boolean;
}

export interface SsoSettings {
  idpEntityId: string;
  spEntityId: string;
  acsEndpoints: AcsEndpoint[];
  loginUrl: string;
  nameIdFormat: string;
  nameIdSource: NameIdSource;
  signAssertion: boolean;
  signResponse: boolean;
  signatureAlgorithm: 'rsa-sha256' | 'rsa-sha512';
  defaultRelayState: string;
  spCertificatePem: string | null;
  requireSignedRequests: boolean;
}

/** How the app's tile looks in the user portal: the catalog logo, or a colour indicator. */
export interface PortalImage {
  image: 'logo' | 'color';
  color: string;
}

export interface Application {
  id: string;
  catalogId: string;
  slug: string;
  displayLabel: string;
  description: string;
  showInPortal: boolean;
  /** SSO (or, for a bookmark, its tile) is on; off keeps the configuration. */
  ssoActive: boolean;
  /** Own signing key, or undefined to use the default key. */
  signingKeyId?: string;
  /** SAML settings; null for a bookmark. */
  sso: SsoSettings | null;
  attributes: AttributeMapping[];
  /** Values the admin gave for the catalog entry's placeholders (`YOUR_SUBDOMAIN` → `acme`). */
  placeholders: Record<string, string>;
  portal: PortalImage;
  /** The address a bookmark tile opens; null for SAML apps. */
  bookmarkUrl: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A SAML application: the only kind the SSO endpoints serve. */
export type SamlApplication = Application & { sso: SsoSettings };

export const isSamlApplication = (app: Application): app is SamlApplication => app.sso !== null;

export type SigningKeyStatus = 'next' | 'active' | 'retired';

export interface SigningKey {
  id: string;
  label: string;
  /** Private key PEM, encrypted by the key service before it reaches the store. */
  encryptedPrivateKey: string;
  certificatePem: string;
  fingerprintSha256: string;
  notBefore: string;
  notAfter: string;
  status: SigningKeyStatus;
  isDefault: boolean;
  createdAt: string;
}

export type Outcome = 'success' | 'failure';

export interface EventRecord {
  id: number;
  time: string;
  type: string;
  outcome: Outcome;
  reason: string | null;
  actorType: 'user' | 'admin' | 'api' | 'system' | 'anonymous';
  actorId: string | null;
  actorLabel: string | null;
  targetType: string | null;
  targetId: string | null;
  targetLabel: string | null;
  appId: string | null;
  clientIp: string | null;
  detail: Record<string, unknown>;
}

export type NewEvent = Omit<EventRecord, 'id'>;

export interface EventFilter {
  type?: string;
  outcome?: Outcome;
  actorId?: string;
  targetId?: string;
  appId?: string;
  /** The user as actor or as target. */
  userId?: string;
  since?: string;
  until?: string;
  /** Return events with id below this (paging newest first). */
  before?: number;
  limit: number;
}

/** Events per time bucket, for the Directory Insights chart. */
export interface EventBucket {
  start: string;
  success: number;
  failure: number;
}

/** An AuthnRequest (or IdP-initiated launch) waiting for the user to sign in, kept server-side. */
export interface PendingSso {
  id: string;
  appId: string;
  createdAt: string;
  expiresAt: string;
  /** Serialized, already-validated request: ACS, RelayState, request ID, ForceAuthn, … */
  payload: Record<string, unknown>;
}

/**
 * Whether the store can serve: on SQLite the file Gatehouse opened is still the one at the
 * configured path and can be written; on PostgreSQL the server answers. `reason` is a public
 * sentence (no paths or URLs: /healthz is unauthenticated); `detail` is for the log.
 */
export type StoreHealth =
  | { ok: true }
  | { ok: false; code: 'store.file_missing' | 'store.file_replaced' | 'store.not_writable' | 'store.unreachable'; reason: string; detail: string };

/** The database cannot be reached (down, restarting, refusing connections): worth trying again later. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** A long read stopped at its time budget (the SQLite read pool, PostgreSQL's statement_timeout). */
export class StoreTimeoutError extends Error {
  constructor(readonly budgetMs: number) {
    super(`The query ran longer than its budget of ${budgetMs} ms and was stopped.`);
    this.name = 'StoreTimeoutError';
  }
}

export class StoreConstraintError extends Error {
  constructor(readonly kind: 'unique' | 'reference' | 'check', readonly field: string, message: string) {
    super(message);
    this.name = 'StoreConstraintError';
  }
}

export interface UserRepository {
  create(user: User, passwordHash: string | null): Promise<void>;
  update(id: string, changes: Partial<UserProfile & { state: UserState; isAdmin: boolean; mfaRequired: boolean }>, now: string): Promise<void>;
  delete(id: string): Promise<boolean>;
  findById(id: string): Promise<User | undefined>;
  /** Match on username or e-mail, case-insensitively. */
  findByLogin(login: string): Promise<User | undefined>;
  /**
   * Users by username (ASCII case ignored), a page at a time. `q` finds users for whom every word
   * of `q` (see searchWords) starts a word of their username, e-mail, first, last or display
   * name, through a word index (SQLite FTS5, PostgreSQL a tsvector column), not a scan.
   */
  list(page: Page): Promise<PageOf<User>>;
  /**
   * Rebuild the search index from the users table (a restored or imported store). Triggers keep
   * it current otherwise; PostgreSQL derives it in the row itself and has nothing to do.
   */
  rebuildSearchIndex(): Promise<void>;
  getPasswordHash(id: string): Promise<string | null | undefined>;
  setPasswordHash(id: string, hash: string, now: string): Promise<void>;
  countAdmins(): Promise<number>;
  /**
   * The ids of the active admins, in id order: a suspended admin cannot sign in, so it does not
   * count as one that remains. Inside `store.transaction` it holds every admin row until
   * commit, so "another admin remains" stays true until the change that relies on it commits: an
   * instance asking at the same moment waits, then sees the admins as that change left them.
   * Outside a transaction it only reads.
   */
  lockAdmins(): Promise<string[]>;
}

export interface GroupRepository {
  create(group: Group): Promise<void>;
  update(id: string, changes: Partial<Pick<Group, 'name' | 'description'>>, now: string): Promise<void>;
  delete(id: string): Promise<boolean>;
  findById(id: string): Promise<Group | undefined>;
  /** Groups by name (ASCII case ignored); `q` is a part of the name, `%` and `_` literal. */
  list(page: Page): Promise<PageOf<Group>>;
  addMember(groupId: string, userId: string): Promise<boolean>;
  removeMember(groupId: string, userId: string): Promise<boolean>;
  /** Every member, by username: for provisioning, which needs all of them. */
  listMembers(groupId: string): Promise<User[]>;
  /** A page of the members, by username as in UserRepository.list (`q` is not used). */
  pageMembers(groupId: string, page: Page): Promise<PageOf<User>>;
  /** Which of these users are members of the group. */
  membersAmong(groupId: string, userIds: readonly string[]): Promise<string[]>;
  listGroupsOfUser(userId: string): Promise<Group[]>;
  /**
   * What a launch needs in one read: the user's groups (as listGroupsOfUser) and whether one of
   * them is bound to the app (implicit deny, as applications.isUserAuthorized).
   */
  accessOf(userId: string, appId: string): Promise<{ authorized: boolean; groups: Group[] }>;
}

export interface ApplicationRepository {
  create(app: Application): Promise<void>;
  update(app: Application): Promise<void>;
  delete(id: string): Promise<boolean>;
  findById(id: string): Promise<Application | undefined>;
  findBySlug(slug: string): Promise<Application | undefined>;
  /** Another application (not `exceptId`) registered with this SP entity ID, if any. */
  findBySpEntityId(spEntityId: string, exceptId?: string): Promise<Application | undefined>;
  /**
   * Applications by display label, a page at a time; `q` is a part of the label or slug (`%` and
   * `_` literal), `ssoActive` keeps the active (true) or inactive (false) ones only.
   */
  list(page: Page & { ssoActive?: boolean }): Promise<PageOf<Application>>;
  bindGroup(appId: string, groupId: string, now: string): Promise<boolean>;
  unbindGroup(appId: string, groupId: string): Promise<boolean>;
  listBoundGroups(appId: string): Promise<Group[]>;
  /** The applications a group is bound to, by display label. */
  listForGroup(groupId: string): Promise<Application[]>;
  /** Implicit deny: true only when the user is a member of a group bound to the app. */
  isUserAuthorized(appId: string, userId: string): Promise<boolean>;
  listForUser(userId: string): Promise<Application[]>;
}

export interface SigningKeyRepository {
  create(key: SigningKey): Promise<void>;
  findById(id: string): Promise<SigningKey | undefined>;
  findDefault(): Promise<SigningKey | undefined>;
  list(): Promise<SigningKey[]>;
}












export interface EventRepository {
  /**
   * The new event's id once it is committed. Inside store.transaction the event joins the unit of
   * work; a driver that numbers events at commit (PostgreSQL, so ids follow commit order across
   * instances) resolves null there.
   */
  append(event: NewEvent): Promise<number | null>;
  /** Commit appends still waiting for a group commit (drivers that batch them). */
  flush?(): Promise<void> | void;
  list(filter: EventFilter): Promise<EventRecord[]>;
  /** Counts by outcome per `bucketSeconds`, from `since` to `until` (both required). */
  histogram(filter: Omit<EventFilter, 'limit' | 'before'> & { since: string; until: string }, bucketSeconds: number): Promise<EventBucket[]>;
  /**
   * Recompute the derived data (the per-hour roll-ups) from the events table, from scratch, in
   * short transactions, newest ids first: safe while the store is in use (appends go on, and
   * queries read the ids not yet redone from the events table). `onProgress` after each batch.
   */
  rebuildDerived(onProgress?: (progress: DerivedProgress) => void, options?: { batchSize?: number }): Promise<DerivedProgress>;
  /**
   * How many event ids the roll-ups do not cover yet (0: current). Events found beyond the
   * roll-ups (imported straight into the table) are recorded as not covered, so queries read them
   * from the events table until a rebuild: the answer stays exact, only slower.
   */
  derivedBehind(): Promise<number>;
}

/** Event ids rolled up so far, of `total` to do. */
export interface DerivedProgress { done: number; total: number }

export interface SessionRepository {
  get(sid: string, now: string): Promise<string | undefined>;
  /** `userId`: who is signed in with this session (null while anonymous). */
  set(sid: string, data: string, expiresAt: string, userId?: string | null): Promise<void>;
  touch(sid: string, expiresAt: string): Promise<void>;
  /** End the session for good: a later `set` of the same sid (a request still running) is ignored. */
  destroy(sid: string): Promise<void>;
  /** End every session of a user except `exceptSid`, for good like `destroy`; returns how many ended. */
  destroyForUser(userId: string, exceptSid?: string): Promise<number>;
  purgeExpired(now: string): Promise<number>;
}

export interface SsoStateRepository {
  /** Record an AuthnRequest ID; false when it was already seen and is not yet expired (replay). */
  rememberRequestId(spEntityId: string, requestId: string, expiresAt: string, now: string): Promise<boolean>;
  putPending(pending: PendingSso): Promise<void>;
  findPending(id: string, now: string): Promise<PendingSso | undefined>;
  deletePending(id: string): Promise<boolean>;
  purgeExpired(now: string): Promise<number>;
}

export interface SettingsRepository {
  get(key: string): Promise<string | undefined>;
  /** Set only when absent; returns the value now stored (first writer wins). */
  setIfAbsent(key: string, value: string): Promise<string>;
  /**
   * Periodic work that must run once, not once per instance: take the turn stored under `key`
   * when it was last taken before `notAfter` (or never), recording `now`; one atomic statement,
   * so of several instances asking at once exactly one gets true.
   */
  claimTurn(key: string, now: string, notAfter: string): Promise<boolean>;
  set(key: string, value: string): Promise<void>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  users: UserRepository;
  groups: GroupRepository;
  applications: ApplicationRepository;
  signingKeys: SigningKeyRepository;
  events: EventRepository;
  sessions: SessionRepository;
  ssoState: SsoStateRepository;
  settings: SettingsRepository;
  throttle: ThrottleRepository;
  mfa: MfaRepository;
  idm: IdmRepository;
  provisioning: ProvisioningRepository;
  imports: ImportRepository;
  /**
   * Bring the query planner's statistics up to date (SQLite: PRAGMA optimize). Housekeeping
   * calls it once an hour; PostgreSQL's autovacuum runs ANALYZE by itself.
   */
  refreshStatistics(): Promise<void>;
  /** Run `work` atomically: everything it writes commits together or not at all. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Cheap enough for every /healthz probe: the answer is kept for HEALTH_CACHE_MS
   * (src/store/health.ts), and each change of state is reported once to `onHealthChange`.
   */
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

export * from './types-accounts';
export * from './types-paging';
