import { OutboundError, type OutboundGuard } from '../net/outbound-guard';
import { outboundRequest, type OutboundResponse } from '../net/outbound-request';
import { answerProblems, scimListResponse, scimResource } from './answers';
import { retryAfterSeconds } from './retry-after';

/**
 * An outbound SCIM 2.0 client (RFC 7644) for one service provider: bearer token, JSON, a hard
 * timeout, the SSRF guard at connect time (src/net), answers capped in size and checked in shape
 * (answers.ts), and failures turned into a small set of reasons a person can act on. Knows nothing of Express or the store; the provisioning service
 * decides what to do with each outcome.
 */
export type ScimFailureReason =
  | 'token_refused' | 'not_found' | 'unreachable' | 'tls' | 'timeout' | 'not_scim' | 'rate_limited' | 'server_error' | 'rejected'
  | 'target_refused' | 'too_large';

export class ScimError extends Error {
  constructor(readonly reason: ScimFailureReason, message: string, readonly status?: number, readonly retryAfterSeconds?: number) {
    super(message);
    this.name = 'ScimError';
  }

  /** Worth trying again later (RFC 7644 §3.12: 5xx and 429 are transient; a 4xx will not change). */
  get retryable(): boolean {
    return ['unreachable', 'timeout', 'rate_limited', 'server_error'].includes(this.reason);
  }
}

export interface ScimClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs?: number;
  /** Which addresses may be called (every connect is checked, see src/net/outbound-guard.ts). */
  guard: OutboundGuard;
  /** The largest answer read (default MAX_ANSWER_BYTES); a larger one fails the call. */
  maxAnswerBytes?: number;
}

const SCIM_JSON = 'application/scim+json';
/**
 * No SCIM answer Gatehouse asks for comes near this (a page is at most 100 users): a larger one is
 * a broken or hostile service, cut off while it streams instead of read whole (README, Identity
 * Management).
 */
export const MAX_ANSWER_BYTES = 5 * 1024 * 1024;

function networkFailure(error: unknown): ScimError {
  const failure = error instanceof OutboundError ? error : new OutboundError('network', String(error));
  switch (failure.kind) {
    case 'timeout': return new ScimError('timeout', 'The SCIM service did not answer in time.');
    case 'tls': return new ScimError('tls', `The SCIM service's TLS certificate was not accepted (${failure.code ?? 'TLS'}).`);
    case 'private_target': return new ScimError('target_refused', `Gatehouse did not connect to the SCIM service: ${failure.message}`);
    case 'too_large': return new ScimError('too_large', `The SCIM service's answer was not used: ${failure.message} Check the base URL.`);
    default: return new ScimError('unreachable', `The SCIM service could not be reached${failure.code ? ` (${failure.code})` : ''}. Check the base URL.`);
  }
}

function jsonOf(response: OutboundResponse): unknown {
  return JSON.parse(response.body.toString('utf8'));
}

/** The SP's own error text (RFC 7644 §3.12 `detail`), shortened, for the admin and the event. */
function detailOf(response: OutboundResponse): string {
  try {
    const body = jsonOf(response) as { detail?: unknown };
    return typeof body?.detail === 'string' ? body.detail.slice(0, 300) : '';
  } catch {
    return '';
  }
}

/**
 * Every answer has the shape its request promises (RFC 7644 §3.4.2 lists for a query of a
 * resource type, §3.3/§3.5 a resource with its id otherwise), or the call fails as not_scim.
 */
function checkShape(method: string, path: string, json: unknown, status: number): void {
  const endpoint = path.split('?')[0];
  const isList = method === 'GET' && /^\/[A-Za-z]+$/.test(endpoint);
  const problems = answerProblems(isList ? scimListResponse : scimResource, json);
  if (problems) throw unusableAnswer(`${method} ${endpoint}`, `${isList ? 'not a SCIM list' : 'not a SCIM resource'}: ${problems}`, status);
}

/** The refusal of an answer whose shape is wrong; `problems` names the fields. */
export function unusableAnswer(request: string, problems: string, status?: number): ScimError {
  return new ScimError('not_scim', `The SCIM service answered ${request} with data Gatehouse cannot use (${problems}).`, status);
}

export function createScimClient(options: ScimClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let response: OutboundResponse;
    try {
      response = await outboundRequest(`${base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${options.token}`, Accept: SCIM_JSON, ...(body === undefined ? {} : { 'Content-Type': SCIM_JSON }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs, maxBodyBytes: options.maxAnswerBytes ?? MAX_ANSWER_BYTES, guard: options.guard,
      });
    } catch (error) {
      throw networkFailure(error);
    }
    if (response.status >= 300 && response.status < 400) {
      // Redirects are not followed (the token must not travel to another address).
      throw new ScimError('rejected', `The SCIM service answered with a redirect (${response.status}), which Gatehouse does not follow. Use the final URL as the base URL.`, response.status);
    }
    if (response.status === 401 || response.status === 403) {
      throw new ScimError('token_refused', 'The SCIM service refused the token. Copy a new token from the application and try again.', response.status);
    }
    if (response.status === 404 && path.startsWith('/Users?')) {
      throw new ScimError('not_found', 'The SCIM service has no Users endpoint at this base URL. Check the base URL.', 404);
    }
    if (response.status === 429) {
      const header = response.headers['retry-after'];
      throw new ScimError('rate_limited', 'The SCIM service asked to slow down.', 429, retryAfterSeconds(typeof header === 'string' ? header : null));
    }
    if (response.status >= 500) throw new ScimError('server_error', `The SCIM service failed (${response.status}). ${detailOf(response)}`.trim(), response.status);
    if (response.status >= 400) throw new ScimError('rejected', `The SCIM service refused the request (${response.status}). ${detailOf(response)}`.trim(), response.status);
    if (response.status === 204 || method === 'DELETE') return { status: response.status, json: undefined };
    let json: unknown;
    try {
      json = jsonOf(response);
    } catch {
      throw new ScimError('not_scim', 'The base URL answered, but not with SCIM JSON. Check the base URL.', response.status);
    }
    checkShape(method, path, json, response.status);
    return { status: response.status, json };
  }

  return {
    /** Activation check: the token works and the base URL is a SCIM Users endpoint (RFC 7644 §3.4.2). */
    async verify(): Promise<void> {
      const { json } = await call('GET', '/Users?startIndex=1&count=1');
      const schemas = (json as { schemas?: unknown })?.schemas;
      if (!Array.isArray(schemas) || !schemas.includes('urn:ietf:params:scim:api:messages:2.0:ListResponse')) {
        throw new ScimError('not_scim', 'The base URL answered, but not with a SCIM list of users. Check the base URL.');
      }
    },
    call,
  };
}

export type ScimClient = ReturnType<typeof createScimClient>;
