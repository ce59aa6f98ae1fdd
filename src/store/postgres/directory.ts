// NOTE for the engineers porting this driver: read /work/wt/prompts/pg-note.md first. (Remove this line when done.)
import type { Store } from '../types';
import type { PgDatabase } from './db';

/** Constraint name → store field name (`users.username`), as the SQLite driver reports them. */
export const DIRECTORY_FIELDS: Readonly<Record<string, string>> = {};

export function createPgDirectoryRepositories(db: PgDatabase): Pick<Store, 'users' | 'groups' | 'applications' | 'signingKeys'> {
  throw new Error(`PostgreSQL directory repositories are not written yet (${typeof db})`);
}
