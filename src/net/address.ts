/**
 * Is an IP address one Gatehouse may call from the public internet side? Every address is first
 * parsed into its bytes (IPv6 with `::`, hex groups and a dotted IPv4 tail, RFC 4291 §2.2), so
 * spellings such as `::ffff:7f00:1` and `::ffff:127.0.0.1` are judged alike, and IPv6 forms that
 * carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are judged by that address.
 * Pure code: no DNS, no sockets (see outbound-guard.ts for those).
 */
type Range = [bytes: number[], prefixBits: number, name: string];

/** IANA special-purpose IPv4 registry (RFC 6890) entries that are not globally reachable. */
const SPECIAL_V4: Range[] = [
  [[0, 0, 0, 0], 8, 'this network'], [[10, 0, 0, 0], 8, 'private'], [[100, 64, 0, 0], 10, 'shared (CGNAT)'],
  [[127, 0, 0, 0], 8, 'loopback'], [[169, 254, 0, 0], 16, 'link-local'], [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'IETF protocol assignments'], [[192, 0, 2, 0], 24, 'documentation'], [[192, 88, 99, 0], 24, '6to4 relay'],
  [[192, 168, 0, 0], 16, 'private'], [[198, 18, 0, 0], 15, 'benchmarking'], [[198, 51, 100, 0], 24, 'documentation'],
  [[203, 0, 113, 0], 24, 'documentation'], [[224, 0, 0, 0], 4, 'multicast'], [[240, 0, 0, 0], 4, 'reserved'],
];

/** IANA special-purpose IPv6 registry (RFC 6890 and successors) entries that are not globally reachable. */
const SPECIAL_V6: Range[] = [
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'discard-only'], [[0x20, 0x01, 0x00, 0x02, 0, 0], 48, 'benchmarking'],
  [[0x20, 0x01, 0x00, 0x10], 28, 'ORCHID'], [[0x20, 0x01, 0x00, 0x20], 28, 'ORCHIDv2'], [[0x20, 0x01, 0x0d, 0xb8], 32, 'documentation'],
  [[0x3f, 0xff], 20, 'documentation'], [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'local-use NAT64'],
  [[0xfc], 7, 'unique-local'], [[0xfe, 0x80], 10, 'link-local'], [[0xfe, 0xc0], 10, 'site-local'], [[0xff], 8, 'multicast'],
];

function inRange(bytes: Uint8Array, [base, bits]: Range): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((bytes[i] & mask) !== ((base[i] ?? 0) & mask)) return false;
  }
  return true;
}

function parseV4(text: string): Uint8Array | undefined {
  // Strict dotted quad: no leading zeros (octal in some resolvers), no hex, no short forms.
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return Uint8Array.from(parts.map(Number));
}

function parseV6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseV4(piece);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return undefined;
  // A dotted tail is only allowed at the very end of the address.
  if (halves.length === 2 && halves[0].includes('.')) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 0xff]));
}

export type ParsedAddress = { version: 4 | 6; bytes: Uint8Array };

/** The bytes of an IPv4 or IPv6 address (brackets and a `%zone` suffix allowed), or undefined. */
export function parseAddress(text: string): ParsedAddress | undefined {
  const bare = text.trim().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const v4 = parseV4(bare);
  if (v4) return { version: 4, bytes: v4 };
  const v6 = bare.includes(':') ? parseV6(bare) : undefined;
  return v6 ? { version: 6, bytes: v6 } : undefined;
}

const allZero = (bytes: Uint8Array, from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);

/** The IPv4 address an IPv6 address stands for or tunnels to, when it has one. */
function embeddedV4(b: Uint8Array): { v4: Uint8Array[]; form: string } | undefined {
  const last4 = b.subarray(12, 16);
  if (allZero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return { v4: [last4], form: 'IPv4-mapped' }; // ::ffff:0:0/96, RFC 4291 §2.5.5.2
  if (allZero(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && allZero(b, 10, 12)) return { v4: [last4], form: 'IPv4-translated' }; // ::ffff:0:0:0/96, RFC 2765
  if (allZero(b, 0, 12)) return { v4: [last4], form: 'IPv4-compatible' }; // ::/96 (:: and ::1 are judged first), RFC 4291 §2.5.5.1
  if (inRange(b, [[0x00, 0x64, 0xff, 0x9b], 96, ''])) return { v4: [last4], form: 'NAT64' }; // 64:ff9b::/96, RFC 6052
  if (b[0] === 0x20 && b[1] === 0x02) return { v4: [b.subarray(2, 6)], form: '6to4' }; // 2002::/16, RFC 3056
  if (inRange(b, [[0x20, 0x01, 0x00, 0x00], 32, ''])) {
    // Teredo (RFC 4380 §4): the server's IPv4 follows the prefix; the client's is stored inverted.
    return { v4: [b.subarray(4, 8), last4.map((x) => x ^ 0xff)], form: 'Teredo' };
  }
  return undefined;
}

/**
 * Why an address is not a public internet address ("loopback", "IPv4-mapped private", …), or
 * undefined when it is one. Anything that does not parse is refused as "not an IP address".
 */
export function nonPublicReason(text: string): string | undefined {
  const parsed = parseAddress(text);
  if (!parsed) return 'not an IP address';
  const { version, bytes } = parsed;
  if (version === 4) return SPECIAL_V4.find((r) => inRange(bytes, r))?.[2];
  if (allZero(bytes, 0, 16)) return 'unspecified';
  if (allZero(bytes, 0, 15) && bytes[15] === 1) return 'loopback';
  const embedded = embeddedV4(bytes);
  if (embedded) {
    for (const v4 of embedded.v4) {
      const inner = SPECIAL_V4.find((r) => inRange(v4, r))?.[2];
      if (inner) return `${embedded.form} ${inner}`;
    }
    return undefined;
  }
  return SPECIAL_V6.find((r) => inRange(bytes, r))?.[2];
}

/** True when Gatehouse must not call this address unless private targets are allowed. */
export function isPrivateAddress(text: string): boolean {
  return nonPublicReason(text) !== undefined;
}
