import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../../context';
import { notFound } from '../../../errors';
import * as apps from '../../../services/applications';
import { listGroups, listUsers } from '../../../services/directory-lists';
import * as groups from '../../../services/groups';
import * as mfa from '../../../services/mfa';
import * as users from '../../../services/users';
import type { Group, User } from '../../../store';
import { requestMeta } from '../../middleware/auth';
import { verifyCsrf } from '../../middleware/csrf';
import { checked, field, formAction, renderAdmin } from './common';
import { backTo, listInput, pagerOf, syncShown } from './paging';
import { applicationsPicker, groupsPicker, membersPicker } from './pickers';

/**
 * Users and User Groups in the admin portal: create, edit, suspend, reset passwords, manage
 * membership, and authorize applications from a group's page (the seeds name the application's,
 * the user's and the group's pages as places to give access).
 */
const PROFILE = ['username', 'email', 'firstName', 'lastName', 'displayName', 'employeeId', 'title'] as const;

function profileFrom(body: Record<string, unknown>) {
  return Object.fromEntries(PROFILE.map((k) => [k, field(body, k).trim()]));
}

/** The group page's two pickers keep their search and page across a save. */
const GROUP_PAGE_STATE = ['mq', 'mafter', 'mbefore', 'aq', 'aafter', 'abefore'];

export function adminDirectory(ctx: AppContext): Router {
  const router = Router();
  const csrf = verifyCsrf(ctx);
  const body = (req: Request) => req.body as Record<string, unknown>;

  router.get('/users', async (req, res) => {
    const input = listInput(req);
    const page = await listUsers(ctx, input);
    renderAdmin(ctx, req, res, 'users/list', 'users', {
      title: 'Users', q: input.q ?? '', users: page.items, pager: pagerOf(req, page, { noun: input.q ? ['user matches', 'users match'] : ['user', 'users'] }),
      mfaForEveryone: await mfa.mfaRequiredForEveryone(ctx),
    });
  });

  // Before /users/:id, which would take "mfa-policy" for an id.
  router.post('/users/mfa-policy', csrf, async (req, res) => {
    await mfa.setMfaRequiredForEveryone(ctx, requestMeta(req), checked(req.body as Record<string, unknown>, 'required'));
    res.redirect(303, '/admin/users?notice=saved');
  });

  const renderNewUser = (req: Request, res: Response, form: Record<string, unknown>, error?: string, status = 200) =>
    renderAdmin(ctx, req, res, 'users/new', 'users', { title: 'New user', form, error }, status);
  router.get('/users/new', (req, res) => renderNewUser(req, res, {}));
  router.post('/users/new', csrf, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const form = { ...profileFrom(body), isAdmin: checked(body, 'isAdmin') };
    await formAction(res, async () => {
      const password = field(body, 'password');
      const user = await users.createUser(ctx, requestMeta(req), { ...form, ...(password ? { password } : {}) });
      res.redirect(303, `/admin/users/${user.id}?notice=user-created`);
    }, (error) => renderNewUser(req, res, form, error.message, error.status));
  });

  async function renderUser(req: Request, res: Response, user: User, extra: { error?: string; form?: Record<string, unknown>; status?: number } = {}) {
    const picker = await groupsPicker(ctx, req, {
      id: 'groups', prefix: 'g', title: 'User groups', action: `/admin/users/${user.id}/groups`, chosen: await ctx.store.groups.listGroupsOfUser(user.id),
      intro: 'Applications are authorized through groups: membership here gives access to the groups\' applications.', none: 'Not in any group yet.',
    });
    const launchable = await ctx.store.applications.listForUser(user.id);
    const enrolled = Boolean(await mfa.confirmedEnrolment(ctx, user.id));
    renderAdmin(ctx, req, res, 'users/edit', 'users', {
      title: user.displayName || user.username, user, form: extra.form ?? user, picker, launchable, error: extra.error, enrolled,
    }, extra.status ?? 200);
  }
  const loadUser = (req: Request) => users.getUser(ctx, String(req.params.id)).catch(() => {
    throw notFound('users.not_found', 'There is no such user. They may have been deleted.');
  });

  router.get('/users/:id', async (req, res) => renderUser(req, res, await loadUser(req)));
  router.post('/users/:id', csrf, async (req, res) => {
    const user = await loadUser(req);
    const body = req.body as Record<string, unknown>;
    const form = {
      ...profileFrom(body), state: field(body, 'state') === 'suspended' ? 'suspended' : 'active', isAdmin: checked(body, 'isAdmin'),
      mfaRequired: checked(body, 'mfaRequired'),
    };
    await formAction(res, async () => {
      await users.updateUser(ctx, requestMeta(req), user.id, form);
      res.redirect(303, `/admin/users/${user.id}?notice=saved`);
    }, (error) => renderUser(req, res, user, { error: error.message, form: { ...user, ...form }, status: error.status }));
  });
  router.post('/users/:id/mfa-reset', csrf, async (req, res) => {
    const user = await loadUser(req);
    await mfa.removeEnrolment(ctx, requestMeta(req), user, 'admin');
    res.redirect(303, `/admin/users/${user.id}?notice=saved`);
  });
  router.post('/users/:id/password', csrf, async (req, res) => {
    const user = await loadUser(req);
    await formAction(res, async () => {
      // The admin's own current session survives a reset of their own password; every other ends.
      await users.setPassword(ctx, requestMeta(req), user.id, { password: field(req.body as Record<string, unknown>, 'password') }, req.sessionID);
      res.redirect(303, `/admin/users/${user.id}?notice=password-set`);
    }, (error) => renderUser(req, res, user, { error: error.message, status: error.status }));
  });
  router.post('/users/:id/groups', csrf, async (req, res) => {
    const user = await loadUser(req);
    await formAction(res, async () => {
      await syncShown(body(req), 'groupId', {
        selected: async () => (await ctx.store.groups.listGroupsOfUser(user.id)).map((g) => g.id),
        exists: async (id) => Boolean(await ctx.store.groups.findById(id)),
        add: (id) => groups.addMember(ctx, requestMeta(req), id, user.id), remove: (id) => groups.removeMember(ctx, requestMeta(req), id, user.id),
      });
      res.redirect(303, backTo(`/admin/users/${user.id}`, body(req), ['gq', 'gafter', 'gbefore'], 'saved', 'groups'));
    }, (error) => renderUser(req, res, user, { error: error.message, status: error.status }));
  });
  router.post('/users/:id/delete', csrf, async (req, res) => {
    const user = await loadUser(req);
    await formAction(res, async () => {
      await users.deleteUser(ctx, requestMeta(req), user.id);
      res.redirect(303, '/admin/users?notice=deleted');
    }, (error) => renderUser(req, res, user, { error: error.message, status: error.status }));
  });

  async function renderGroups(req: Request, res: Response, extra: { form?: Record<string, unknown>; error?: string; status?: number } = {}) {
    const input = listInput(req);
    const page = await listGroups(ctx, input);
    renderAdmin(ctx, req, res, 'groups/list', 'groups', {
      title: 'User Groups', q: input.q ?? '', groups: page.items, pager: pagerOf(req, page, { noun: input.q ? ['group matches', 'groups match'] : ['group', 'groups'] }),
      form: extra.form ?? {}, error: extra.error,
    }, extra.status ?? 200);
  }
  router.get('/groups', (req, res) => renderGroups(req, res));
  router.post('/groups', csrf, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const form = { name: field(body, 'name').trim(), description: field(body, 'description').trim() };
    await formAction(res, async () => {
      const group = await groups.createGroup(ctx, requestMeta(req), form);
      res.redirect(303, `/admin/groups/${group.id}?notice=group-created`);
    }, (error) => renderGroups(req, res, { form, error: error.message, status: error.status }));
  });

  async function renderGroup(req: Request, res: Response, group: Group, extra: { error?: string; status?: number } = {}) {
    const members = await membersPicker(ctx, req, group, {
      id: 'members', prefix: 'm', title: 'Members', action: `/admin/groups/${group.id}/members`,
      intro: 'Uncheck to remove a member; search to find users to add.',
    });
    const applications = await applicationsPicker(ctx, req, {
      id: 'applications', prefix: 'a', title: 'Applications', action: `/admin/groups/${group.id}/applications`,
      intro: `Members of ${group.name} may use the applications checked here.`, chosen: await ctx.store.applications.listForGroup(group.id),
    });
    renderAdmin(ctx, req, res, 'groups/edit', 'groups', { title: group.name, group, members, applications, error: extra.error }, extra.status ?? 200);
  }
  const loadGroup = (req: Request) => groups.getGroup(ctx, String(req.params.id)).catch(() => {
    throw notFound('groups.not_found', 'There is no such group. It may have been deleted.');
  });

  router.get('/groups/:id', async (req, res) => renderGroup(req, res, await loadGroup(req)));
  router.post('/groups/:id', csrf, async (req, res) => {
    const group = await loadGroup(req);
    const body = req.body as Record<string, unknown>;
    await formAction(res, async () => {
      await groups.updateGroup(ctx, requestMeta(req), group.id, { name: field(body, 'name').trim(), description: field(body, 'description').trim() });
      res.redirect(303, `/admin/groups/${group.id}?notice=saved`);
    }, (error) => renderGroup(req, res, group, { error: error.message, status: error.status }));
  });
  router.post('/groups/:id/members', csrf, async (req, res) => {
    const group = await loadGroup(req);
    const form = body(req);
    await formAction(res, async () => {
      const login = field(form, 'login').trim();
      const user = login ? await ctx.store.users.findByLogin(login) : undefined;
      if (login && !user) throw notFound('users.not_found', `No user has the username or e-mail "${login}".`);
      await syncShown(form, 'userId', {
        selected: (shown) => ctx.store.groups.membersAmong(group.id, shown),
        exists: async (id) => Boolean(await ctx.store.users.findById(id)),
        add: (id) => groups.addMember(ctx, requestMeta(req), group.id, id), remove: (id) => groups.removeMember(ctx, requestMeta(req), group.id, id),
      });
      if (user) await groups.addMember(ctx, requestMeta(req), group.id, user.id);
      res.redirect(303, backTo(`/admin/groups/${group.id}`, form, GROUP_PAGE_STATE, 'saved', 'members'));
    }, (error) => renderGroup(req, res, group, { error: error.message, status: error.status }));
  });
  router.post('/groups/:id/applications', csrf, async (req, res) => {
    const group = await loadGroup(req);
    await formAction(res, async () => {
      await syncShown(body(req), 'appId', {
        selected: async () => (await ctx.store.applications.listForGroup(group.id)).map((a) => a.id),
        exists: async (id) => Boolean(await ctx.store.applications.findById(id)),
        add: (id) => apps.bindGroup(ctx, requestMeta(req), id, group.id), remove: (id) => apps.unbindGroup(ctx, requestMeta(req), id, group.id),
      });
      res.redirect(303, backTo(`/admin/groups/${group.id}`, body(req), GROUP_PAGE_STATE, 'saved', 'applications'));
    }, (error) => renderGroup(req, res, group, { error: error.message, status: error.status }));
  });
  router.post('/groups/:id/delete', csrf, async (req, res) => {
    const group = await loadGroup(req);
    await groups.deleteGroup(ctx, requestMeta(req), group.id);
    res.redirect(303, '/admin/groups?notice=deleted');
  });

  return router;
}
