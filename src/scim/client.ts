/**
 * An outbound SCIM 2.0 client (RFC 7644) for one service provider: bearer token, JSON, a hard
 * timeout, and failures turned into a small set of reasons a person can act on. Knows nothing of
 * Express or the store; the provisioning service decides what to do with each outcome.
 */
import { retryAfterSeconds } from './retry-after';

export type ScimFailureReason =
  | 'token_refused' | 'not_found' | 'unreachable' | 'tls' | 'timeout' | 'not_scim' | 'rate_limited' | 'server_error' | 'rejected';

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
}

const SCIM_JSON = 'application/scim+json';

function networkReason(error: unknown): { reason: ScimFailureReason; message: string } {
  const cause = (error as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code ?? '';
  if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') {
    return { reason: 'timeout', message: 'The SCIM service did not answer in time.' };
  }
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return { reason: 'tls', message: `The SCIM service's TLS certificate was not accepted (${code}).` };
  }
  return { reason: 'unreachable', message: `The SCIM service could not be reached${code ? ` (${code})` : ''}. Check the base URL.` };
}

/** The SP's own error text (RFC 7644 §3.12 `detail`), shortened, for the admin and the event. */
async function detailOf(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { detail?: unknown };
    return typeof body.detail === 'string' ? body.detail.slice(0, 300) : '';
  } catch {
    return '';
  }
}

export function createScimClient(options: ScimClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${options.token}`, Accept: SCIM_JSON, ...(body === undefined ? {} : { 'Content-Type': SCIM_JSON }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const { reason, message } = networkReason(error);
      throw new ScimError(reason, message);
    }
    if (response.status === 401 || response.status === 403) {
      throw new ScimError('token_refused', 'The SCIM service refused the token. Copy a new token from the application and try again.', response.status);
    }
    if (response.status === 404 && path.startsWith('/Users?')) {
      throw new ScimError('not_found', 'The SCIM service has no Users endpoint at this base URL. Check the base URL.', 404);
    }
    if (response.status === 429) {
      throw new ScimError('rate_limited', 'The SCIM service asked to slow down.', 429, retryAfterSeconds(response.headers.get('retry-after')));
    }
    if (response.status >= 500) throw new ScimError('server_error', `The SCIM service failed (${response.status}). ${await detailOf(response)}`.trim(), response.status);
    if (response.status >= 400) throw new ScimError('rejected', `The SCIM service refused the request (${response.status}). ${await detailOf(response)}`.trim(), response.status);
    if (response.status === 204) return { status: 204, json: undefined };
    try {
      return { status: response.status, json: await response.json() };
    } catch {
      throw new ScimError('not_scim', 'The base URL answered, but not with SCIM JSON. Check the base URL.', response.status);
    }
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
