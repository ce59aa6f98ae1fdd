import Database from 'better-sqlite3';
import pg from 'pg';
import type { Store } from '../../../src/store';

/**
 * Write straight into a store's database, beside the store, as an operator's import or a restored
 * dump would: `url` is a DriverRig.sharedUrl(). The SQL must read the same on both drivers.
 */
export async function rawSql(kind: Store['kind'], url: string, work: (run: (sql: string) => Promise<void>) => Promise<void>): Promise<void> {
  if (kind === 'sqlite') {
    const db = new Database(url.slice('sqlite:'.length));
    try {
      await work(async (sql) => { db.exec(sql); });
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(async (sql) => { await client.query(sql); });
  } finally {
    await client.end();
  }
}
