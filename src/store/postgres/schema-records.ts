/** PostgreSQL DDL for the records tables (see migrations.ts); filled in by the driver port. */
export const RECORD_TABLES = '';
