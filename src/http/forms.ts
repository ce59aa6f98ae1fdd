import type { Response } from 'express';
import type { AppError } from '../errors';
import { setRefusalHeaders, toAppError } from './middleware/errors';

/** Small helpers for server-rendered forms (urlencoded bodies, repeated fields, refusals). */

/**
 * Run a form action; a 4xx AppError re-renders the form with the message and what was typed, so
 * nothing the admin entered is lost. Anything else goes to the error handler.
 */
export async function formAction(res: Response, action: () => Promise<void>, onRefused: (error: AppError) => Promise<void> | void): Promise<void> {
  try {
    await action();
  } catch (error) {
    const appError = toAppError(error);
    if (appError.status >= 500) throw error;
    setRefusalHeaders(res, appError);
    await onRefused(appError);
  }
}

/** A form field as one string ('' when absent); repeated fields take the last value. */
export function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (Array.isArray(value)) return String(value[value.length - 1] ?? '');
  return typeof value === 'string' ? value : '';
}

/** A repeated form field (checkbox groups) as a list. */
export function fields(body: Record<string, unknown>, name: string): string[] {
  const value = body[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export const checked = (body: Record<string, unknown>, name: string) => field(body, name) === 'on';
