// NOTE for the engineers porting this driver: read /work/wt/prompts/pg-note.md first. (Remove this line when done.)
import type { Store } from '../types';
import type { PgDatabase } from './db';

export const RECORD_FIELDS: Readonly<Record<string, string>> = {};

export function createPgRecordRepositories(db: PgDatabase): Pick<Store, 'events' | 'sessions' | 'ssoState' | 'settings'> {
  throw new Error(`PostgreSQL record repositories are not written yet (${typeof db})`);
}
