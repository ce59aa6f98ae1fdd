import crypto from 'node:crypto';
import type { AppContext } from '../context';
import { AppError, forbidden, notFound } from '../errors';
import type { RequestMeta } from '../insights/recorder';
import { chooseAuthnContext, type AuthnContextComparison } from '../saml/authn-context';
import {
  defaultAcs, firstStatusProblem, runAuthnRequestChecks, statusProblem, type SpRegistration, type StatusProblem,
} from '../saml/authn-checks';
import { parseAuthnRequest } from '../saml/authn-request';
import { classifySsoMessage, decodePost, decodeRedirect } from '../saml/bindings';
import { AUTHN_CONTEXT, NAMEID_FORMAT, STATUS, type DecodeLimits } from '../saml/types';
import { isSamlApplication, type PendingSso, type SamlApplication } from '../store';
import { appTarget, applicationUrls } from './applications';
import { buildErrorPost, buildSuccessPost, nameIdValue, type PostToAcs, type SignedInSession } from './sso-response';

/**
 * Web Browser SSO (SAML profiles §4.1): SP-initiated over HTTP-Redirect or HTTP-POST, and
 * IdP-initiated. Returns data for the HTTP layer: post a Response, send the browser to sign in,
 * or continue on a same-site URL. Every attempt is an `sso_auth` event.
 */
export type SsoOutcome =
  | PostToAcs
  | { kind: 'login'; pendingId: string; reason: 'signin' | 'force_authn' }
  | { kind: 'continue'; url: string };

/** Security.md §2 #9: Redirect ≤ 64 KB encoded, inflated XML ≤ 256 KB, RelayState ≤ 1 KB. */
export const DECODE_LIMITS: DecodeLimits = { maxEncodedBytes: 64 * 1024, maxXmlBytes: 256 * 1024, maxRelayStateBytes: 1024 };
const PENDING_LIFETIME_MS = 15 * 60 * 1000;

/** A request that passed every check, kept server-side while the user signs in. */
interface ValidatedRequest {
  initiatedBy: 'sp' | 'idp';
  requestId?: string;
  acsUrl: string;
  relayState?: string;
  forceAuthn: boolean;
  isPassive: boolean;
  binding: 'redirect' | 'post' | 'idp';
  /** RequestedAuthnContext, matched against how the user signed in once the session is known. */
  requestedAuthnContext: { classRefs: string[]; comparison: AuthnContextComparison };
  /** The principal the SP asked about (core §3.4.1.4): only that user may get an assertion. */
  subject?: { nameId: string; format?: string };
}

/**
 * The authentication contexts that truthfully describe this sign-in, weakest first: a password,
 * which over TLS is PasswordProtectedTransport (SAML authn context §3.4.13–14), and with a TOTP
 * code TimeSyncToken (§3.4.22).
 */
function offeredAuthnContexts(ctx: AppContext, session: SignedInSession): string[] {
  const offered: string[] = [AUTHN_CONTEXT.password];
  if (ctx.config.publicUrl.startsWith('https:')) offered.push(AUTHN_CONTEXT.passwordProtectedTransport);
  if (session.authnMethods.includes('totp')) offered.push(AUTHN_CONTEXT.timeSyncToken);
  return offered;
}

export interface SsoRequest {
  slug: string;
  method: 'GET' | 'POST';
  rawQuery: string;
  body: Record<string, unknown>;
  session?: SignedInSession;
  meta: RequestMeta;
}

function spOf(app: SamlApplication): SpRegistration {
  return {
    entityId: app.sso.spEntityId, acsEndpoints: app.sso.acsEndpoints,
    certificatePem: app.sso.spCertificatePem, requireSignedRequests: app.sso.requireSignedRequests,
  };
}

async function activeApplication(ctx: AppContext, slug: string): Promise<SamlApplication> {
  const app = await ctx.store.applications.findBySlug(slug);
  if (!app) throw notFound('sso.unknown_application', 'There is no application at this address. Check the link or ask your administrator.');
  if (!isSamlApplication(app)) throw notFound('sso.bookmark', `${app.displayLabel} is a bookmark: it has no single sign-on address.`);
  if (!app.ssoActive) throw forbidden('sso.application_inactive', `Single sign-on to ${app.displayLabel} is switched off. Ask your administrator.`);
  return app;
}

/** `GET|POST /saml2/<slug>`: SP-initiated when a SAMLRequest is present, IdP-initiated otherwise. */
export async function startSso(ctx: AppContext, req: SsoRequest): Promise<SsoOutcome> {
  let app: SamlApplication | undefined;
  try {
    app = await activeApplication(ctx, req.slug);
    const kind = classifySsoMessage(req.method, req.rawQuery, req.body);
    const validated = kind === 'request' ? await validateAuthnRequest(ctx, app, req) : idpInitiated(ctx, app, req);
    // HTTP-POST arrives cross-site, so SameSite=Lax session cookies are absent: keep the request
    // server-side and continue on a same-site GET, where the cookie is sent (security.md §2 #17).
    if (validated.binding === 'post') {
      const pendingId = await savePending(ctx, app, validated);
      return { kind: 'continue', url: `${applicationUrls(ctx, app.slug).ssoUrl}/continue/${pendingId}` };
    }
    return await respond(ctx, app, validated, req.session, req.meta, undefined);
  } catch (error) {
    await recordFailure(ctx, req.meta, app, error);
    if (app && error instanceof SamlStatusError) return errorPost(ctx, app, error);
    throw error;
  }
}

/** `GET /saml2/<slug>/continue/<id>`: resume a pending request after sign-in or a POST hop. */
export async function continueSso(ctx: AppContext, req: { slug: string; pendingId: string; session?: SignedInSession; meta: RequestMeta }): Promise<SsoOutcome> {
  let app: SamlApplication | undefined;
  try {
    app = await activeApplication(ctx, req.slug);
    const pending = await ctx.store.ssoState.findPending(req.pendingId, ctx.clock.now().toISOString());
    if (!pending || pending.appId !== app.id) {
      throw new AppError(400, 'sso.pending_unknown', 'This sign-in has expired or was already used. Go back to the application and start again.');
    }
    return await respond(ctx, app, pending.payload as unknown as ValidatedRequest, req.session, req.meta, pending);
  } catch (error) {
    await recordFailure(ctx, req.meta, app, error);
    if (app && error instanceof SamlStatusError) return errorPost(ctx, app, error);
    throw error;
  }
}

async function validateAuthnRequest(ctx: AppContext, app: SamlApplication, req: SsoRequest): Promise<ValidatedRequest> {
  const message = req.method === 'POST' ? decodePost(req.body, DECODE_LIMITS) : decodeRedirect(req.rawQuery, DECODE_LIMITS);
  const { data, document } = parseAuthnRequest(message.xml);
  const now = ctx.clock.now();
  const acs = runAuthnRequestChecks({
    request: data, document, message, sp: spOf(app), endpointUrl: applicationUrls(ctx, app.slug).ssoUrl, now,
    clockSkewSeconds: ctx.config.samlClockSkewSeconds, messageLifetimeSeconds: ctx.config.samlMessageLifetimeSeconds,
  });
  // Replay: the ID is remembered for as long as the request could still pass the freshness check.
  const windowMs = (ctx.config.samlMessageLifetimeSeconds + 2 * ctx.config.samlClockSkewSeconds) * 1000;
  const fresh = await ctx.store.ssoState.rememberRequestId(app.sso.spEntityId, data.id,
    new Date(now.getTime() + windowMs).toISOString(), now.toISOString());
  if (!fresh) throw new AppError(400, 'saml.request_replayed', 'This sign-in request was already used. Go back to the application and start again.');

  const validated: ValidatedRequest = {
    initiatedBy: 'sp', requestId: data.id, acsUrl: acs.url, relayState: message.relayState,
    forceAuthn: data.forceAuthn, isPassive: data.isPassive, binding: message.binding,
    requestedAuthnContext: { classRefs: data.requestedAuthnContextClassRefs, comparison: data.requestedAuthnContextComparison },
    subject: data.subject?.nameId !== undefined ? { nameId: data.subject.nameId, format: data.subject.format } : undefined,
  };
  // The ACS is trusted from here on: what cannot be satisfied is told to the SP there.
  const problem = firstStatusProblem(data, app.sso);
  if (problem) throw new SamlStatusError(validated, problem);
  return validated;
}

function idpInitiated(ctx: AppContext, app: SamlApplication, req: SsoRequest): ValidatedRequest {
  if (req.method === 'POST') {
    throw new AppError(400, 'saml.missing_request', 'This address expects a SAMLRequest from the application.');
  }
  // Only the admin-configured RelayState is sent unsolicited (security.md §2 #8), never one from the URL.
  const acs = defaultAcs(spOf(app));
  return {
    initiatedBy: 'idp', acsUrl: acs.url, relayState: app.sso.defaultRelayState || undefined,
    forceAuthn: false, isPassive: false, binding: 'idp', requestedAuthnContext: { classRefs: [], comparison: 'exact' },
  };
}

/** A request whose ACS is trusted but which cannot be satisfied: answered with a SAML status. */
class SamlStatusError extends Error {
  constructor(readonly request: ValidatedRequest, readonly problem: StatusProblem) {
    super(problem.message);
  }

  /** `saml.status.NoPassive`: the event reason, from the most specific status code. */
  get reason(): string {
    return `saml.status.${(this.problem.subStatus ?? this.problem.topStatus).split(':').pop()}`;
  }
}

/**
 * Core §3.4.1.4: with a <Subject>, the assertion must be about that principal. The signed-in user
 * matches when the NameID this app would send for them is the one asked about, in a compatible
 * format; anyone else gets RequestDenied, never an assertion about themselves.
 */
function subjectProblem(app: SamlApplication, request: ValidatedRequest, user: SignedInSession['user']): StatusProblem | undefined {
  const asked = request.subject;
  if (!asked) return undefined;
  const formatFits = !asked.format || asked.format === NAMEID_FORMAT.unspecified || asked.format === app.sso.nameIdFormat;
  if (formatFits && asked.nameId === nameIdValue(app, user)) return undefined;
  return statusProblem(STATUS.requestDenied, 'The request names another user than the one signed in at Gatehouse.');
}

async function savePending(ctx: AppContext, app: SamlApplication, request: ValidatedRequest): Promise<string> {
  const now = ctx.clock.now();
  const pending: PendingSso = {
    id: crypto.randomBytes(24).toString('base64url'), appId: app.id, createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + PENDING_LIFETIME_MS).toISOString(),
    payload: request as unknown as Record<string, unknown>,
  };
  await ctx.store.ssoState.putPending(pending);
  return pending.id;
}

async function respond(
  ctx: AppContext, app: SamlApplication, request: ValidatedRequest, session: SignedInSession | undefined,
  meta: RequestMeta, pending: PendingSso | undefined,
): Promise<SsoOutcome> {
  // ForceAuthn (core §3.4.1): a sign-in from before this request does not count.
  const since = pending?.createdAt;
  const needsSignIn = !session || (request.forceAuthn && (!since || session.authnInstant < since));
  if (needsSignIn && request.isPassive && request.requestId) {
    if (pending) await ctx.store.ssoState.deletePending(pending.id);
    throw new SamlStatusError(request, statusProblem(STATUS.noPassive, 'The user is not signed in and the request did not allow a prompt.'));
  }
  if (needsSignIn) {
    const pendingId = pending?.id ?? (await savePending(ctx, app, request));
    return { kind: 'login', pendingId, reason: session ? 'force_authn' : 'signin' };
  }
  // The request already loaded the user (one read per launch, not two).
  const user = session!.user;
  if (user.state !== 'active') {
    throw forbidden('sso.user_inactive', 'Your account is suspended. Ask your administrator.');
  }
  // Implicit deny (security.md §2 #14): checked at every launch, the SP gets nothing otherwise.
  // One read gives the check and the groups the `groups` attribute may send.
  const access = await ctx.store.groups.accessOf(user.id, app.id);
  if (!access.authorized) {
    throw forbidden('sso.not_authorized', `You do not have access to ${app.displayLabel}. Ask your administrator to add you to a group that uses it.`);
  }
  if (pending) await ctx.store.ssoState.deletePending(pending.id);
  const wrongSubject = subjectProblem(app, request, user);
  if (wrongSubject) throw new SamlStatusError(request, wrongSubject);
  // Core §3.3.2.2.1: state the requested class only when it is true of this sign-in.
  const offered = offeredAuthnContexts(ctx, session!);
  const authnContextClassRef = chooseAuthnContext(request.requestedAuthnContext ?? { classRefs: [], comparison: 'exact' }, offered);
  if (!authnContextClassRef) {
    const wanted = request.requestedAuthnContext;
    throw new SamlStatusError(request, statusProblem(STATUS.noAuthnContext,
      `Gatehouse cannot state the requested authentication context (${wanted.comparison} ${wanted.classRefs.join(', ')}) for this sign-in; it can state ${offered.join(', ')}.`));
  }
  const post = await buildSuccessPost(ctx, {
    app, user, groups: access.groups, session: session!, acsUrl: request.acsUrl, inResponseTo: request.requestId,
    relayState: request.relayState, authnContextClassRef,
  });
  await ctx.insights.record({ ...meta, actor: { type: 'user', id: user.id, label: user.username } }, {
    type: 'sso_auth', outcome: 'success', target: appTarget(app), appId: app.id,
    detail: { initiatedBy: request.initiatedBy, binding: request.binding, requestId: request.requestId, acsUrl: request.acsUrl },
  });
  return post;
}

/** The signed error Response for a request whose ACS is trusted (security.md §2 contract (b)). */
function errorPost(ctx: AppContext, app: SamlApplication, error: SamlStatusError): Promise<PostToAcs> {
  return buildErrorPost(ctx, {
    app, acsUrl: error.request.acsUrl, inResponseTo: error.request.requestId, relayState: error.request.relayState,
    topStatus: error.problem.topStatus, subStatus: error.problem.subStatus, message: error.message,
  });
}

async function recordFailure(ctx: AppContext, meta: RequestMeta, app: SamlApplication | undefined, error: unknown): Promise<void> {
  const reason = error instanceof AppError ? error.code
    : error instanceof SamlStatusError ? error.reason : 'internal_error';
  await ctx.insights.record(meta, {
    type: 'sso_auth', outcome: 'failure', reason, appId: app?.id,
    target: app ? appTarget(app) : undefined,
  });
}
