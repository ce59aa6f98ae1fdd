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

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * The attribute paths (RFC 7644 §3.10) a resource sets: top-level attributes, sub-attributes of
 * complex ones (`name.givenName`) and of extensions (`urn:…:User:customRoleId`).
 */
export function attributePaths(resource: Record<string, unknown>): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'schemas' || value === undefined) continue;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const sub of Object.keys(value)) paths.push(key.startsWith('urn:') ? `${key}:${sub}` : `${key}.${sub}`);
    } else {
      paths.push(key);
    }
  }
  return paths;
}

/**
 * A PATCH (RFC 7644 §3.5.2) that brings the remote user to `resource`: one `replace` with the
 * values, and a `remove` (§3.5.2.2) for each attribute that was sent before and has no value
 * now: a `replace` without it leaves the old value standing. When what was sent before is not
 * known, every mapped attribute without a value is removed. Excluded mappings are left alone.
 */
export function userPatch(
  resource: Record<string, unknown>, previous: Record<string, unknown> | null, mappedPaths: readonly string[], excluded: readonly string[],
): { schemas: string[]; Operations: Record<string, unknown>[] } {
  const { schemas: _schemas, ...value } = resource;
  const now = new Set(attributePaths(resource));
  const candidates = previous ? attributePaths(previous) : mappedPaths;
  const removed = candidates.filter((path) => !now.has(path) && !excluded.includes(path));
  return { schemas: [PATCH_OP], Operations: [{ op: 'replace', value }, ...removed.map((path) => ({ op: 'remove', path }))] };
}
