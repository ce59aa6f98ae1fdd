// NOTE for the engineers porting this driver: read /work/wt/prompts/pg-note.md first. (Remove this line when done.)
/** PostgreSQL DDL for the directory tables (see migrations.ts); filled in by the driver port. */
export const DIRECTORY_TABLES = '';
