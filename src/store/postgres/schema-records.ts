// NOTE for the engineers porting this driver: read /work/wt/prompts/pg-note.md first. (Remove this line when done.)
/** PostgreSQL DDL for the records tables (see migrations.ts); filled in by the driver port. */
export const RECORD_TABLES = '';
