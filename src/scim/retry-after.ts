/**
 * Retry-After (RFC 9110 §10.2.3) is either delay-seconds or an HTTP-date. Returns the wait in
 * seconds, or undefined when the header is missing or unreadable (the caller then uses its own
 * backoff: `Number(null)` is 0, which would mean "retry at once").
 */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
