import type { Request } from 'express';
import { unprocessable } from '../../../errors';
import { totalLabel, type ListPage } from '../../../services/paging';
import { fields } from '../../forms';

/**
 * Paged lists and pickers in the admin portal, without JavaScript: a list's search and page are
 * plain GET parameters (`q`, `after`, `before`; a page with two pickers gives each a prefix), the
 * pager is two links, and a picker's checkboxes change only the rows that were on the page.
 */
export const PORTAL_PAGE = 50;

/** A list's input from the query string, under `prefix`. */
export function listInput(req: Request, prefix = '', limit = PORTAL_PAGE) {
  const get = (name: string) => (typeof req.query[`${prefix}${name}`] === 'string' ? req.query[`${prefix}${name}`] as string : undefined);
  return { limit, q: get('q')?.trim().slice(0, 200), after: get('after'), before: get('before') };
}

export interface Pager {
  summary: string;
  first?: string;
  prev?: string;
  next?: string;
}

/** This page's query string without the one-off notice: where a picker's form comes back to. */
export function listState(req: Request): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(req.query)) if (typeof value === 'string' && key !== 'notice') params.set(key, value);
  return params.toString();
}

/** Links to the first, previous and next page, keeping every other parameter of this page. */
export function pagerOf(req: Request, page: ListPage<unknown>, options: { noun: readonly [one: string, many: string]; prefix?: string; anchor?: string }): Pager {
  const prefix = options.prefix ?? '';
  const link = (key?: 'after' | 'before', cursor?: string) => {
    const params = new URLSearchParams(listState(req));
    params.delete(`${prefix}after`);
    params.delete(`${prefix}before`);
    if (key && cursor) params.set(`${prefix}${key}`, cursor);
    const query = params.toString();
    return `${req.baseUrl}${req.path}${query ? `?${query}` : ''}${options.anchor ? `#${options.anchor}` : ''}`;
  };
  const paged = typeof req.query[`${prefix}after`] === 'string' || typeof req.query[`${prefix}before`] === 'string';
  return {
    summary: `${totalLabel(page)} ${page.total === 1 && !page.totalCapped ? options.noun[0] : options.noun[1]}`,
    ...(paged && page.prev ? { first: link() } : {}),
    ...(page.prev ? { prev: link('before', page.prev) } : {}),
    ...(page.next ? { next: link('after', page.next) } : {}),
  };
}

/**
 * Where a picker's form returns to: its page with the search and page it was posted from. Only
 * the parameters `keep` names survive (nothing else from the form reaches the redirect).
 */
export function backTo(path: string, body: Record<string, unknown>, keep: readonly string[], notice: string, anchor?: string, defaults: Record<string, string> = {}): string {
  const posted = new URLSearchParams(typeof body.list === 'string' ? body.list.slice(0, 4000) : '');
  const params = new URLSearchParams(defaults);
  for (const key of keep) {
    const value = posted.get(key);
    if (value) params.set(key, value);
  }
  params.set('notice', notice);
  return `${path}?${params.toString()}${anchor ? `#${anchor}` : ''}`;
}

export const MAX_SHOWN = 200;

/**
 * Make the checkboxes of the rows a page showed true, and touch nothing else: checked and not
 * selected is added, unchecked and selected is removed (`shown` says which rows the page had).
 * Every checked id must be a row the page showed and must still exist; otherwise nothing changes.
 */
export async function syncShown(
  body: Record<string, unknown>, name: string,
  options: { selected: (shown: string[]) => Promise<Iterable<string>>; exists: (id: string) => Promise<boolean>; add: (id: string) => Promise<void>; remove: (id: string) => Promise<void> },
): Promise<void> {
  const shown = [...new Set(fields(body, 'shown'))];
  if (shown.length > MAX_SHOWN) throw unprocessable('request.too_many_choices', `A form may show at most ${MAX_SHOWN} choices. Reload the page and try again.`);
  const want = new Set(fields(body, name));
  const offered = new Set(shown);
  const have = new Set(await options.selected(shown));
  const adding = [...want].filter((id) => !have.has(id));
  const gone = [...want].some((id) => !offered.has(id)) || (await Promise.all(adding.map(options.exists))).includes(false);
  if (gone) throw unprocessable('request.unknown_choice', 'One of the checked items no longer exists. Reload the page and try again.');
  for (const id of adding) await options.add(id);
  for (const id of shown) if (have.has(id) && !want.has(id)) await options.remove(id);
}
