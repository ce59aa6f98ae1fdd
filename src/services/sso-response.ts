import type { AppContext } from '../context';
import { AppError } from '../errors';
import { buildResponseAsync, buildStatusResponseAsync } from '../saml/response';
import { newSamlId } from '../saml/xml';
import { STATUS, type ResponseAttribute } from '../saml/types';
import type { SamlApplication, AttributeMapping, Group, User } from '../store';

/** The signed-in session as the SSO service sees it. */
export interface SignedInSession {
  /** The user as loaded for this request (passport's deserializeUser already refuses suspended ones). */
  user: User;
  /** ISO time of the last interactive sign-in (AuthnInstant, ForceAuthn). */
  authnInstant: string;
  sessionIndex: string;
  /** How the user proved who they are at that sign-in: 'password', and 'totp' with MFA. */
  authnMethods: string[];
}

/** What the HTTP layer renders as the auto-submitting form (bindings §3.5.4). */
export interface PostToAcs {
  kind: 'post';
  acsUrl: string;
  samlResponse: string;
  relayState?: string;
  appLabel: string;
}

function userValue(user: User, source: Exclude<AttributeMapping['source'], 'groups' | undefined>): string {
  return user[source];
}

/** The AttributeStatement from the app's mappings: user properties, group names or constants. */
export function resolveAttributes(app: SamlApplication, user: User, groups: Group[]): ResponseAttribute[] {
  const out: ResponseAttribute[] = [];
  for (const mapping of app.attributes) {
    let values: string[];
    if (mapping.value !== undefined) values = [mapping.value];
    else if (mapping.source === 'groups') values = groups.map((g) => g.name);
    else if (mapping.source) values = [userValue(user, mapping.source)].filter((v) => v !== '');
    else values = [];
    if (values.length > 0) out.push({ name: mapping.name, nameFormat: mapping.nameFormat, values });
  }
  return out;
}

/** The NameID this app sends for the user (its configured source), or a 422 when the user lacks it. */
export function nameIdValue(app: SamlApplication, user: User): string {
  const value = user[app.sso.nameIdSource];
  if (!value) {
    throw new AppError(422, 'sso.nameid_missing', `Your account has no ${app.sso.nameIdSource}, which ${app.displayLabel} uses to identify you. Ask your administrator to fill it in.`);
  }
  return value;
}


export async function buildSuccessPost(ctx: AppContext, args: {
  app: SamlApplication; user: User; session: SignedInSession; acsUrl: string; inResponseTo?: string;
  relayState?: string; authnContextClassRef: string;
  /** The user's groups, as groups.accessOf read them for the access check. */
  groups: Group[];
}): Promise<PostToAcs> {
  const { app, user, session, groups } = args;
  // Signed on the thread pool: the event loop serves other requests during the RSA operation.
  const xml = await buildResponseAsync({
    responseId: newSamlId(),
    assertionId: newSamlId(),
    issuer: app.sso.idpEntityId,
    destination: args.acsUrl,
    inResponseTo: args.inResponseTo,
    audience: app.sso.spEntityId,
    nameId: { value: nameIdValue(app, user), format: app.sso.nameIdFormat },
    now: ctx.clock.now(),
    assertionLifetimeSeconds: ctx.config.samlAssertionLifetimeSeconds,
    clockSkewSeconds: ctx.config.samlClockSkewSeconds,
    authnInstant: new Date(session.authnInstant),
    sessionIndex: session.sessionIndex,
    authnContextClassRef: args.authnContextClassRef,
    attributes: resolveAttributes(app, user, groups),
    signAssertion: app.sso.signAssertion,
    signResponse: app.sso.signResponse,
    algorithm: app.sso.signatureAlgorithm,
    credential: await ctx.keys.credentialFor(app.signingKeyId),
  });
  return {
    kind: 'post', acsUrl: args.acsUrl, appLabel: app.displayLabel,
    samlResponse: Buffer.from(xml, 'utf8').toString('base64'), relayState: args.relayState,
  };
}

/** A signed error Response to an ACS that has already been verified (security.md §2 contract (b)). */
export async function buildErrorPost(ctx: AppContext, args: {
  app: SamlApplication; acsUrl: string; inResponseTo?: string; relayState?: string; topStatus: string; subStatus?: string; message: string;
}): Promise<PostToAcs> {
  const xml = await buildStatusResponseAsync({
    responseId: newSamlId(),
    issuer: args.app.sso.idpEntityId,
    destination: args.acsUrl,
    inResponseTo: args.inResponseTo,
    now: ctx.clock.now(),
    topStatus: args.topStatus,
    subStatus: args.subStatus,
    statusMessage: args.message,
    algorithm: args.app.sso.signatureAlgorithm,
    credential: await ctx.keys.credentialFor(args.app.signingKeyId),
  });
  return {
    kind: 'post', acsUrl: args.acsUrl, appLabel: args.app.displayLabel,
    samlResponse: Buffer.from(xml, 'utf8').toString('base64'), relayState: args.relayState,
  };
}
