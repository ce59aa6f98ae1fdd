/** Store types for sign-in protection (throttle, MFA) and Identity Management (SCIM). */

/** Failed sign-ins counted per key (account, account + address, address) within a window. */
export interface ThrottleState {
  key: string;
  failures: number;
  windowStart: string;
  blockedUntil: string | null;
}

export interface ThrottleRepository {
  find(key: string): Promise<ThrottleState | undefined>;
  /**
   * Count one failure in one atomic statement (instances record at the same moment): the first
   * failure, or one after a window that started before `freshAfter`, starts a window at `now`
   * with count 1 and no wait; otherwise the count goes up by one. Returns the state after it.
   */
  recordFailure(key: string, now: string, freshAfter: string): Promise<{ failures: number; windowStart: string }>;
  /** Make the wait last at least until `until`; a longer wait another instance set stays. */
  blockUntil(key: string, until: string): Promise<void>;
  put(state: ThrottleState): Promise<void>;
  delete(key: string): Promise<void>;
  purgeBefore(time: string): Promise<number>;
}

/** A user's TOTP enrolment: the secret sealed at rest, recovery codes as SHA-256 hashes. */
export interface MfaEnrolment {
  userId: string;
  sealedSecret: string;
  /** False while the user has scanned the code but not yet confirmed it. */
  confirmed: boolean;
  recoveryCodeHashes: string[];
  lastUsedStep: number | null;
  createdAt: string;
}

export interface MfaRepository {
  find(userId: string): Promise<MfaEnrolment | undefined>;
  /** Record a used TOTP step if it is newer than the last one (compare-and-set); false: already used. */
  useStep(userId: string, step: number): Promise<boolean>;
  /** Remove a recovery code's hash if it is still there (compare-and-set), noting the step; false: not there. */
  useRecoveryCode(userId: string, hash: string, step: number): Promise<boolean>;
  put(enrolment: MfaEnrolment): Promise<void>;
  delete(userId: string): Promise<boolean>;
}

/** An application's Identity Management (SCIM) connection; the token sealed at rest. */
export interface IdmConnection {
  appId: string;
  baseUrl: string;
  sealedToken: string;
  /** The token's last four characters, to show it masked. */
  tokenHint: string;
  active: boolean;
  groupsEnabled: boolean;
  /** Optional catalog mappings the admin excluded (by SCIM attribute). */
  excludedMappings: string[];
  /** The role sent with every user, when the SP reads one; null: the catalog's default. */
  role: { attribute: string; value: string } | null;
  activatedAt: string | null;
  updatedAt: string;
}

export interface IdmRepository {
  find(appId: string): Promise<IdmConnection | undefined>;
  put(connection: IdmConnection): Promise<void>;
  delete(appId: string): Promise<boolean>;
  /** Applications whose connection is active (the only ones provisioning looks at). */
  activeAppIds(): Promise<string[]>;
}

/**
 * A durable provisioning job: "bring this user's account in this app in line with Gatehouse".
 * Jobs reconcile state at run time, so the newest pending job for a user stands for all of them.
 */
export interface ProvisioningJob {
  id: number;
  appId: string;
  /** A user id, or `group:<id>` for a group's remote counterpart. */
  userId: string;
  status: 'pending' | 'done' | 'failed';
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
}

export interface RemoteUserLink {
  appId: string;
  userId: string;
  remoteId: string;
  active: boolean;
  /** The User resource as last sent (to skip writes that change nothing); null or absent: unknown. */
  sent?: Record<string, unknown> | null;
}

/** A group's remote counterpart, with what was last sent: its name and the members Gatehouse manages. */
export interface RemoteGroupLink {
  remoteId: string;
  sent: { displayName: string; members: string[] } | null;
}

export interface ProvisioningRepository {
  enqueue(appId: string, userId: string, now: string): Promise<void>;
  /** Pending jobs due now, oldest first, at most one per (app, user). */
  due(now: string, limit: number): Promise<ProvisioningJob[]>;
  /**
   * Take up to `limit` due jobs (as `due` picks them) for `owner`, each leased until now +
   * leaseSeconds: one lease per (app, user), so a job whose (app, user) has a live lease is not
   * given, two claimers at once never get the same job, and an expired lease (its worker died)
   * can be taken over. Oldest first.
   */
  claim(now: string, limit: number, leaseSeconds: number, owner: string): Promise<ProvisioningJob[]>;
  /** Extend the lease while the job runs; false: the lease is no longer this owner's. */
  renew(job: ProvisioningJob, owner: string, until: string): Promise<boolean>;
  /**
   * Finish a job and every older pending job for the same user in the same app, releasing the
   * lease. With `owner`, only while the lease on this job is still that owner's (an expired lease
   * another worker took over is that worker's to finish); without, as before leases (tests, tools).
   */
  complete(job: ProvisioningJob, status: 'done' | 'failed', error: string | null, now: string, owner?: string): Promise<void>;
  /** Put the job off until `at`, releasing the lease; `owner` as in complete. */
  retryLater(job: ProvisioningJob, at: string, error: string, now: string, owner?: string): Promise<void>;
  list(appId: string, limit: number): Promise<ProvisioningJob[]>;
  findLink(appId: string, userId: string): Promise<RemoteUserLink | undefined>;
  putLink(link: RemoteUserLink, now: string): Promise<void>;
  deleteLink(appId: string, userId: string): Promise<void>;
  linkedUserIds(appId: string): Promise<string[]>;
  /** The remote ids of every user linked in this app (the members Gatehouse manages in its groups). */
  linkedRemoteIds(appId: string): Promise<string[]>;
  findGroupLink(appId: string, groupId: string): Promise<RemoteGroupLink | undefined>;
  putGroupLink(appId: string, groupId: string, remoteId: string, now: string, sent?: RemoteGroupLink['sent']): Promise<void>;
  deleteGroupLink(appId: string, groupId: string): Promise<void>;
}

/** A user import from an application's SCIM service, with its progress. */
export interface UserImport {
  id: string;
  appId: string;
  total: number;
  done: number;
  failed: number;
  status: 'running' | 'finished';
  createdAt: string;
}

/** What is left of an import: the chosen users not yet run, in order, and the counts so far. */
export interface ImportRemainder {
  groupId: string | null;
  done: number;
  failed: number;
  items: { position: number; user: Record<string, unknown> }[];
}

export interface ImportRepository {
  create(entry: UserImport): Promise<void>;
  /** Record an import with its chosen remote users in order, leased to `owner` until `until`. */
  start(entry: UserImport, groupId: string, users: Record<string, unknown>[], owner: string, until: string): Promise<void>;
  /**
   * Take over the running imports whose lease has expired (their process died, or they predate
   * leases) for `owner`, in one statement each driver, so one instance resumes each; their ids.
   */
  claimStale(now: string, owner: string, until: string): Promise<string[]>;
  /** Extend the lease; false: no longer this owner's. */
  renew(id: string, owner: string, until: string): Promise<boolean>;
  remaining(id: string): Promise<ImportRemainder>;
  recordItem(id: string, position: number, outcome: 'done' | 'failed'): Promise<void>;
  progress(id: string, done: number, failed: number, status: UserImport['status'], now: string): Promise<void>;
  find(id: string): Promise<UserImport | undefined>;
}
