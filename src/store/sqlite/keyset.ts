import type { Page } from '../types';

/**
 * The keyset half of a page's SQL (types-paging.ts): a condition "after (or before) the key" and
 * the ORDER BY, ascending or, before a key, descending (keysetPage turns those rows around).
 * `compare` are the key's column expressions as the condition should read them (a `+column`
 * keeps the column's collation but stops SQLite from driving the query by its index); `order`
 * the same columns for ORDER BY. Named parameters @k0, @k1, … go into `params`.
 */
export function keyset(page: Page, compare: readonly string[], order: readonly string[], params: Record<string, unknown>): { where: string; orderBy: string } {
  const key = page.before ?? page.after;
  const descending = Boolean(page.before);
  const orderBy = order.map((c) => `${c}${descending ? ' DESC' : ''}`).join(', ');
  if (!key) return { where: '', orderBy };
  if (key.length !== compare.length) throw new Error(`A sort key of this list has ${compare.length} values, not ${key.length}`);
  key.forEach((value, i) => { params[`k${i}`] = value; });
  const names = key.map((_, i) => `@k${i}`);
  // Row values (sqlite.org/rowvalue.html) compare column by column, each with its own collation.
  const where = compare.length === 1
    ? `${compare[0]} ${descending ? '<' : '>'} ${names[0]}`
    : `(${compare.join(', ')}) ${descending ? '<' : '>'} (${names.join(', ')})`;
  return { where, orderBy };
}

/** Join conditions with AND into a WHERE clause ('' when there are none). */
export const whereOf = (...conditions: string[]) => {
  const kept = conditions.filter(Boolean);
  return kept.length ? `WHERE ${kept.join(' AND ')}` : '';
};
