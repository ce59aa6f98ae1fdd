import { z } from 'zod';
import type { Page, PageOf, SortKey } from '../store';
import { parseInput } from './validation';

/**
 * Paging input and output shared by the API and the portal (store/types-paging.ts has the
 * rules). A cursor is a page's sort key as base64url JSON: opaque to clients, checked here so a
 * crafted one is a 422 with a message, never a store error.
 */
export interface ListPage<T> {
  items: T[];
  total: number;
  totalCapped: boolean;
  next: string | null;
  prev: string | null;
}

export const encodeCursor = (key: SortKey) => Buffer.from(JSON.stringify(key)).toString('base64url');

const CURSOR_MESSAGE = 'is not a cursor this list gave out: start again from the first page';

function cursor(keySize: number) {
  return z.string().max(2000, CURSOR_MESSAGE).transform((text, context) => {
    try {
      const key: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
      // A key's values are a row's own (a username, a label, a time): text a store can hold.
      if (Array.isArray(key) && key.length === keySize && key.every((v) => typeof v === 'string' && v.length <= 300 && !v.includes('\u0000'))) {
        return key as string[];
      }
    } catch { /* not base64url JSON: refused below */ }
    context.addIssue({ code: 'custom', message: CURSOR_MESSAGE });
    return z.NEVER;
  });
}

export const OFFSET_MAX = 10_000;

/** `limit`, `offset` (bounded: deep offsets read every skipped row), `q`, `after` or `before`. */
export function listQuery(keySize: number, q: z.ZodType<string | undefined> = z.string().max(200).optional()) {
  return z.object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(OFFSET_MAX, `must be at most ${OFFSET_MAX}: page further with after=<next>`).default(0),
    q,
    after: cursor(keySize).optional(),
    before: cursor(keySize).optional(),
  }).refine((v) => !(v.after && v.before), { message: 'give after= or before=, not both', path: ['before'] });
}

/** Validate list input (query string or the portal's fields) into a store Page. */
export function parsePage(input: unknown, keySize: number, q?: z.ZodType<string | undefined>): Page {
  const parsed = parseInput(listQuery(keySize, q), input);
  return { limit: parsed.limit, offset: parsed.offset, q: parsed.q?.trim() || undefined, after: parsed.after, before: parsed.before };
}

export function toListPage<T, U = T>(page: PageOf<T>, map: (item: T) => U = (item) => item as unknown as U): ListPage<U> {
  return {
    items: page.items.map(map), total: page.total, totalCapped: page.totalCapped,
    next: page.next && encodeCursor(page.next), prev: page.prev && encodeCursor(page.prev),
  };
}

/** "624" or "1,000+": how many match, as the capped count knows it. */
export const totalLabel = (page: Pick<ListPage<unknown>, 'total' | 'totalCapped'>) =>
  `${page.total.toLocaleString('en')}${page.totalCapped ? '+' : ''}`;
