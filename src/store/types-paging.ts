/**
 * Paging for the directory lists (users, groups, applications, a group's members).
 *
 * Keyset paging: a page is "the rows after (or before) this sort key", so page 400 costs what
 * page 1 costs and a row added or removed meanwhile never shifts a row into two pages or out of
 * both. Each list has one total order (users: username; groups: name; both ignoring ASCII case;
 * applications: display label, then creation time, then id) and its sort key is the values of
 * that order for one row. `offset` still skips rows (the API took it before keysets); the API
 * bounds it.
 */
export type SortKey = readonly string[];

export interface Page {
  limit: number;
  offset?: number;
  /** Search; what it matches is each list's own (see UserRepository.list, GroupRepository.list). */
  q?: string;
  /** Rows after this sort key (a previous page's `next`). */
  after?: SortKey;
  /** Rows before this sort key (a page's `prev`), in the same ascending order. */
  before?: SortKey;
}

export interface PageOf<T> {
  items: T[];
  /** Every match, not only this page's, counted up to COUNT_CAP. */
  total: number;
  /** More than COUNT_CAP match: `total` is COUNT_CAP and the list says "1,000+". */
  totalCapped: boolean;
  /** The sort key to ask for the next page with (`after`), or null on the last page. */
  next: SortKey | null;
  /** The sort key to ask for the previous page with (`before`), or null on the first page. */
  prev: SortKey | null;
}

/**
 * Lists count at most this many matches (and look at one more to know there are more): a count
 * of 100,000 users costs a scan of all of them on every page, and "1,000+" says as much.
 */
export const COUNT_CAP = 1000;

/** `total` and `totalCapped` from a count of at most COUNT_CAP + 1 rows. */
export function cappedTotal(counted: number): Pick<PageOf<unknown>, 'total' | 'totalCapped'> {
  return { total: Math.min(counted, COUNT_CAP), totalCapped: counted > COUNT_CAP };
}

/**
 * Cut a page from rows a driver fetched with LIMIT `limit + 1`: ascending after `after` (or from
 * the start), or descending before `before`. The extra row says whether there is more in the
 * direction read; the other direction has rows whenever the page starts at a key or an offset.
 */
export function keysetPage<R>(rows: R[], page: Page, keyOf: (row: R) => SortKey): { items: R[]; next: SortKey | null; prev: SortKey | null } {
  const more = rows.length > page.limit;
  const kept = rows.slice(0, page.limit);
  if (page.before) {
    const items = kept.reverse();
    return { items, prev: more && items.length ? keyOf(items[0]) : null, next: items.length ? keyOf(items[items.length - 1]) : null };
  }
  const startsLater = Boolean(page.after) || (page.offset ?? 0) > 0;
  return {
    items: kept,
    next: more ? keyOf(kept[kept.length - 1]) : null,
    prev: startsLater && kept.length ? keyOf(kept[0]) : null,
  };
}

/**
 * The words a user search looks for: the query cut at every ASCII character that is not a letter
 * or digit, ASCII letters folded to lower case (letters beyond ASCII are kept as typed, as
 * SQLite's NOCASE and the `ascii` FTS5 tokenizer do), repeated words once. Each word must be the
 * start of a word of the user's username, e-mail, first, last or display name. Punctuation
 * therefore never reaches a query language: `"`, `*`, `:`, `(`, `OR`-as-syntax cannot be
 * injected, they separate words as they do in the data.
 */
export const SEARCH_MAX_WORDS = 10;
export const SEARCH_SEPARATOR = /[\u0000-\u002f\u003a-\u0040\u005b-\u0060\u007b-\u007f]+/;

export function searchWords(q: string | undefined): string[] {
  if (!q) return [];
  const words = q.split(SEARCH_SEPARATOR).filter(Boolean).map((w) => w.replace(/[A-Z]+/g, (s) => s.toLowerCase()).slice(0, 64));
  return [...new Set(words)].slice(0, SEARCH_MAX_WORDS);
}
