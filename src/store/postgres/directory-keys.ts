import type { SigningKey, SigningKeyRepository } from '../types';
import type { PgDatabase, Row } from './db';

interface KeyRow extends Row {
  id: string; label: string; encrypted_private_key: string; certificate_pem: string;
  fingerprint_sha256: string; not_before: string; not_after: string; status: SigningKey['status'];
  is_default: boolean; created_at: string;
}

const KEY_COLUMNS = `id, label, encrypted_private_key, certificate_pem, fingerprint_sha256, not_before, not_after,
  status, is_default, created_at`;

const toKey = (row: KeyRow): SigningKey => ({
  id: row.id, label: row.label, encryptedPrivateKey: row.encrypted_private_key,
  certificatePem: row.certificate_pem, fingerprintSha256: row.fingerprint_sha256,
  notBefore: row.not_before, notAfter: row.not_after, status: row.status,
  isDefault: row.is_default, createdAt: row.created_at,
});

/**
 * Signing keys. At most one is the default (the one_default_signing_key index): when two
 * instances start on an empty database together, the second default key is refused with a
 * StoreConstraintError on `signing_keys.is_default`, as in SQLite.
 */
export function createPgSigningKeyRepository(db: PgDatabase): SigningKeyRepository {
  return {
    async create(key) {
      await db.query(`INSERT INTO signing_keys (${KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [key.id, key.label, key.encryptedPrivateKey, key.certificatePem, key.fingerprintSha256,
          key.notBefore, key.notAfter, key.status, key.isDefault, key.createdAt]);
    },
    async findById(id) {
      const row = await db.one<KeyRow>(`SELECT ${KEY_COLUMNS} FROM signing_keys WHERE id = $1`, [id]);
      return row && toKey(row);
    },
    async findDefault() {
      const row = await db.one<KeyRow>(`SELECT ${KEY_COLUMNS} FROM signing_keys WHERE is_default`);
      return row && toKey(row);
    },
    async list() {
      // SQLite: ORDER BY created_at, ties in insertion order; here ties fall back to the id.
      return (await db.many<KeyRow>(`SELECT ${KEY_COLUMNS} FROM signing_keys ORDER BY created_at, id`)).map(toKey);
    },
  };
}
