import crypto from 'node:crypto';

/**
 * Random bytes for identifiers (SAML IDs, CSP nonces), taken from a CSPRNG pool refilled 4 KB at
 * a time: one getrandom call per ~200 IDs instead of one per ID, which showed up at ~2% of a
 * launch's CPU. The bytes are the same CSPRNG output either way; Node pools randomUUID likewise.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

export function randomBytesPooled(size: number): Buffer {
  if (size > POOL_BYTES / 4) return crypto.randomBytes(size);
  if (offset + size > pool.length) {
    pool = crypto.randomBytes(POOL_BYTES);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + size));
  // Each byte is handed out once.
  pool.fill(0, offset, offset + size);
  offset += size;
  return out;
}
