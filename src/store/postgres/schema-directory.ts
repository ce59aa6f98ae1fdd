/** PostgreSQL DDL for the directory tables (see migrations.ts); filled in by the driver port. */
export const DIRECTORY_TABLES = '';
