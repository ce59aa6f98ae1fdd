/** PostgreSQL DDL for the accounts tables (see migrations.ts); filled in by the driver port. */
export const ACCOUNT_TABLES = '';
