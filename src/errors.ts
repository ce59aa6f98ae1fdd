/**
 * One error family for the whole app. Every failure a person can see is an AppError with:
 * - status: the HTTP status the error middleware answers with (4xx for bad input, never 500),
 * - code: a stable dotted code (`saml.acs_url_mismatch`) that tests, events and support use,
 * - message: a public sentence a person can act on (rendered escaped, never a stack trace),
 * - detail: internal context for logs only (never rendered, never holds secrets).
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail?: string;

  constructor(status: number, code: string, message: string, detail?: string) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

/**
 * 429 Too Many Requests with the wait the client must honour; answered with `Retry-After` in
 * seconds (RFC 6585 §4, RFC 9110 §10.2.3) by the error handler and by re-rendered forms.
 */
export class RetryLaterError extends AppError {
  constructor(code: string, message: string, readonly retryAfterSeconds: number, status = 429) {
    super(status, code, message);
    this.name = 'RetryLaterError';
  }
}

export const badRequest = (code: string, message: string, detail?: string) =>
  new AppError(400, code, message, detail);
export const unauthorized = (code: string, message: string) => new AppError(401, code, message);
export const forbidden = (code: string, message: string) => new AppError(403, code, message);
export const notFound = (code: string, message: string) => new AppError(404, code, message);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const unprocessable = (code: string, message: string, detail?: string) =>
  new AppError(422, code, message, detail);
export const tooLarge = (code: string, message: string) => new AppError(413, code, message);

/** Throw `error` unless `condition` holds; narrows the type like an assertion. */
export function assertThat(condition: unknown, error: () => AppError): asserts condition {
  if (!condition) throw error();
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
