import crypto from 'node:crypto';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../../context';
import { AppError, RetryLaterError, isAppError } from '../../errors';
import { StoreConstraintError, StoreTimeoutError, StoreUnavailableError } from '../../store';

/** JSON for the API and for clients that ask for it; an HTML page for browsers. */
export function wantsJson(req: Request): boolean {
  if (req.path.startsWith('/api/')) return true;
  return req.accepts(['html', 'json']) === 'json';
}

const FIELD_NAMES: Record<string, string> = {
  'users.username': 'username', 'users.email': 'email', 'groups.name': 'group name', 'applications.slug': 'slug',
};

/** Map anything thrown to an AppError: 4xx for what the client can fix, 500 (with a trace id) otherwise. */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (error instanceof StoreUnavailableError) {
    // Nothing was written: a unit of work that cannot reach the database rolls back whole.
    return new RetryLaterError('store.unavailable', 'Gatehouse cannot reach its database right now, so nothing was changed. Try again in a minute.', 30, 503);
  }
  if (error instanceof StoreTimeoutError) {
    // Long admin reads have a budget so they cannot hold the database (or, on SQLite, a reader) for long.
    return new AppError(503, 'store.query_timeout',
      `This query took longer than ${Math.round(error.budgetMs / 1000)} s and was stopped. Narrow it (a shorter time range, a type, an application or a user) and try again.`);
  }
  if (error instanceof StoreConstraintError) {
    if (error.kind === 'unique') {
      const field = FIELD_NAMES[error.field] ?? error.field;
      return new AppError(409, 'conflict.duplicate', `That ${field} is already taken.`);
    }
    if (error.kind === 'reference') return new AppError(409, 'conflict.reference', 'A referenced record does not exist or is still in use.');
    return new AppError(422, 'request.invalid', 'The request breaks a rule of the store.', error.message);
  }
  const e = error as { type?: string; status?: number };
  if (e?.type === 'entity.parse.failed') return new AppError(400, 'request.invalid_json', 'The request body is not valid JSON.');
  if (e?.type === 'entity.too.large') return new AppError(413, 'request.too_large', 'The request body is too large.');
  if (e?.type === 'parameters.too.many') return new AppError(413, 'request.too_large', 'The request has too many parameters.');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new AppError(e.status, 'request.invalid', 'The request could not be read.');
  }
  return new AppError(500, 'internal_error', 'Something went wrong on our side. Quote the trace id if you contact support.');
}

/** Headers that belong to a refusal whatever renders it: the wait of a 429 (RFC 9110 §10.2.3). */
export function setRefusalHeaders(res: Response, error: AppError): void {
  if (error instanceof RetryLaterError) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
}

export function errorHandler(ctx: AppContext): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const appError = toAppError(error);
    const traceId = crypto.randomBytes(6).toString('hex');
    if (appError.code === 'store.unavailable') ctx.log.warn('Database unreachable', { traceId, path: req.path, error: (error as Error).message });
    else if (appError.status >= 500) ctx.log.error('Unhandled error', { traceId, path: req.path, error });
    else ctx.log.info('Request refused', { traceId, path: req.path, code: appError.code, detail: appError.detail });
    if (res.headersSent) return;
    res.status(appError.status).setHeader('Cache-Control', 'no-store');
    setRefusalHeaders(res, appError);
    if (wantsJson(req)) {
      res.json({ code: appError.code, message: appError.message, traceId });
      return;
    }
    res.render('errors/error', { title: titleFor(appError.status), error: appError, traceId });
  };
}

function titleFor(status: number): string {
  if (status === 403) return 'No access';
  if (status === 404) return 'Not found';
  if (status === 503) return 'Temporarily unavailable';
  if (status >= 500) return 'Something went wrong';
  return 'This request cannot be completed';
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new AppError(404, 'not_found', 'There is nothing at this address.'));
};
