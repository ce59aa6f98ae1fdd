import { z } from 'zod';
import type { AppContext } from '../context';
import { SEARCH_MAX_WORDS, SEARCH_SEPARATOR, type Application, type Group, type User } from '../store';
import { getGroup } from './groups';
import { parsePage, toListPage, type ListPage } from './paging';
import { parseInput } from './validation';

/**
 * The directory's lists for the API and the portal, a page at a time (paging.ts): users (with
 * the word search of UserRepository.list), groups, a group's members and applications; and the
 * choices of the Directory Insights filters.
 */
const userQuery = z.string().max(200).optional()
  .refine((q) => !q || q.split(SEARCH_SEPARATOR).filter(Boolean).length <= SEARCH_MAX_WORDS, `may hold at most ${SEARCH_MAX_WORDS} words`);

export async function listUsers(ctx: AppContext, input: unknown): Promise<ListPage<User>> {
  return toListPage(await ctx.store.users.list(parsePage(input, 1, userQuery)));
}

export async function listGroups(ctx: AppContext, input: unknown): Promise<ListPage<Group>> {
  return toListPage(await ctx.store.groups.list(parsePage(input, 1)));
}

export async function listGroupMembers(ctx: AppContext, groupId: string, input: unknown): Promise<ListPage<User>> {
  await getGroup(ctx, groupId);
  return toListPage(await ctx.store.groups.pageMembers(groupId, parsePage(input, 1)));
}

const statusQuery = z.object({ status: z.enum(['', 'active', 'inactive']).optional() });

/** `status`: active or inactive SSO only. The sort key is (display label, creation time, id). */
export async function listApplications(ctx: AppContext, input: unknown): Promise<ListPage<Application>> {
  const { status } = parseInput(statusQuery, input);
  const page = parsePage(input, 3);
  return toListPage(await ctx.store.applications.list({ ...page, ...(status ? { ssoActive: status === 'active' } : {}) }));
}

/** Every application, a page of 200 at a time: for a choice that must offer all of them. */
export async function allApplications(ctx: AppContext): Promise<Application[]> {
  const all: Application[] = [];
  let page = await ctx.store.applications.list({ limit: 200 });
  for (;;) {
    all.push(...page.items);
    if (!page.next) return all;
    page = await ctx.store.applications.list({ limit: 200, after: page.next });
  }
}

export const USER_CHOICES = 20;

/** The users to offer, with the search they answer and whether more users match it. */
export type UserChoices = User[] & { search: string; found: number; more: boolean };

/**
 * The users a "pick a user" control offers: the one picked (`selectedId`, kept even when the
 * search no longer finds them) and the first USER_CHOICES matches of `search`; nothing else, so
 * a directory of 100,000 users is never listed. A search the list refuses offers the picked user.
 */
export async function userChoices(ctx: AppContext, selectedId: string | undefined, search: unknown): Promise<UserChoices> {
  const selected = selectedId ? await ctx.store.users.findById(selectedId) : undefined;
  const q = typeof search === 'string' ? search.trim().slice(0, 200) : '';
  const found = q ? await ctx.store.users.list({ limit: USER_CHOICES, q }) : undefined;
  const users = [...(selected ? [selected] : []), ...(found?.items ?? []).filter((u) => u.id !== selected?.id)];
  return Object.assign(users, { search: q, found: found?.items.length ?? 0, more: Boolean(found?.next) });
}
