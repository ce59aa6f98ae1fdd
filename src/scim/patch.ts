/**
 * Comparing what Gatehouse would send with what it sent last, so a write goes out only when the
 * remote resource would differ (README "Durable delivery": nothing is sent twice).
 */

/** JSON with object keys sorted: two resources are the same when they say the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sameResource(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
