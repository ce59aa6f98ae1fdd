// NOTE for the engineers porting this driver: read /work/wt/prompts/pg-note.md first. (Remove this line when done.)
import type { Store } from '../types';
import type { PgDatabase } from './db';

export const ACCOUNT_FIELDS: Readonly<Record<string, string>> = {};

export function createPgAccountRepositories(db: PgDatabase): Pick<Store, 'throttle' | 'mfa' | 'idm' | 'provisioning' | 'imports'> {
  throw new Error(`PostgreSQL account repositories are not written yet (${typeof db})`);
}
