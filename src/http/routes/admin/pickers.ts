import type { Request } from 'express';
import type { AppContext } from '../../../context';
import { listApplications, listGroupMembers, listGroups, listUsers } from '../../../services/directory-lists';
import type { ListPage } from '../../../services/paging';
import type { Group } from '../../../store';
import { listInput, listState, pagerOf, type Pager } from './paging';

/**
 * View models of the portal's pickers (views/admin/picker.ejs): a page of the groups,
 * applications or users to choose from, searchable, each row checked when it is chosen now. The
 * directory may hold 5,000 groups and 100,000 users, so a picker never lists them all.
 */
export interface PickerRow { id: string; label: string; sub?: string; badge?: string; checked: boolean }

export interface Picker {
  id: string;
  title: string;
  intro?: string;
  /** What is chosen now, in a sentence (the rows show one page only). */
  selected?: string;
  search: { action: string; param: string; value: string; label: string; hidden: Record<string, string> };
  action: string;
  name: string;
  list: string;
  rows: PickerRow[];
  pager: Pager;
  empty: string;
  submit: string;
  login?: boolean;
}

interface PickerOptions {
  id: string;
  prefix: string;
  title: string;
  intro: string;
  action: string;
  /** GET parameters the search keeps (the tab it lives on). */
  hidden?: Record<string, string>;
}

function picker<T>(req: Request, options: PickerOptions, page: ListPage<T>, rest: Pick<Picker, 'name' | 'rows' | 'empty' | 'submit' | 'selected'> & { noun: readonly [string, string]; label: string }): Picker {
  const input = listInput(req, options.prefix);
  return {
    id: options.id, title: options.title, intro: options.intro, selected: rest.selected, action: options.action, name: rest.name,
    search: { action: `${req.baseUrl}${req.path}`, param: `${options.prefix}q`, value: input.q ?? '', label: rest.label, hidden: options.hidden ?? {} },
    list: listState(req), rows: rest.rows, empty: rest.empty, submit: rest.submit,
    pager: pagerOf(req, page, { noun: rest.noun, prefix: options.prefix, anchor: options.id }),
  };
}

/** "Admins, Design and 3 more" of what is chosen now, or `none`. */
export function chosenSentence(label: string, names: string[], none: string): string {
  if (names.length === 0) return none;
  const shown = names.slice(0, 8);
  return `${label}: ${shown.join(', ')}${names.length > shown.length ? ` and ${names.length - shown.length} more` : ''}.`;
}

export async function groupsPicker(ctx: AppContext, req: Request, options: PickerOptions & { chosen: Group[]; none: string }): Promise<Picker> {
  const page = await listGroups(ctx, listInput(req, options.prefix));
  const chosen = new Set(options.chosen.map((g) => g.id));
  return picker(req, options, page, {
    name: 'groupId', noun: ['group', 'groups'], label: 'Search groups',
    rows: page.items.map((g) => ({ id: g.id, label: g.name, sub: g.description, checked: chosen.has(g.id) })),
    empty: listInput(req, options.prefix).q ? 'No group matches this search.' : 'There are no user groups yet.',
    submit: 'Save groups', selected: chosenSentence('Checked now', options.chosen.map((g) => g.name), options.none),
  });
}

export async function applicationsPicker(ctx: AppContext, req: Request, options: PickerOptions & { chosen: { id: string; displayLabel: string }[] }): Promise<Picker> {
  const page = await listApplications(ctx, listInput(req, options.prefix));
  const chosen = new Set(options.chosen.map((a) => a.id));
  return picker(req, options, page, {
    name: 'appId', noun: ['application', 'applications'], label: 'Search applications',
    rows: page.items.map((a) => ({
      id: a.id, label: a.displayLabel, sub: a.bookmarkUrl !== null ? 'Bookmark' : `/saml2/${a.slug}`, badge: a.ssoActive ? undefined : 'Inactive', checked: chosen.has(a.id),
    })),
    empty: listInput(req, options.prefix).q ? 'No application matches this search.' : 'No applications yet.',
    submit: 'Save applications', selected: chosenSentence('Checked now', options.chosen.map((a) => a.displayLabel), 'None checked yet.'),
  });
}

/**
 * A group's members, or (with a search) the users that match it, each checked when a member:
 * uncheck to remove, check to add; and a field to add someone by username or e-mail.
 */
export async function membersPicker(ctx: AppContext, req: Request, group: Group, options: PickerOptions): Promise<Picker> {
  const input = listInput(req, options.prefix);
  const searching = Boolean(input.q);
  const page = searching ? await listUsers(ctx, input) : await listGroupMembers(ctx, group.id, input);
  const members = new Set(searching ? await ctx.store.groups.membersAmong(group.id, page.items.map((u) => u.id)) : page.items.map((u) => u.id));
  return {
    ...picker(req, { ...options, intro: searching ? 'Users who match: check to add, uncheck to remove.' : options.intro }, page, {
      name: 'userId', noun: searching ? ['user matches', 'users match'] : ['member', 'members'], label: 'Find users by username, e-mail or name',
      rows: page.items.map((u) => ({ id: u.id, label: u.displayName || u.username, sub: `${u.username} · ${u.email}`, checked: members.has(u.id) })),
      empty: searching ? 'No user matches this search.' : 'No members yet.', submit: 'Save members',
    }),
    login: true,
  };
}
