import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../../context';
import { notFound } from '../../../errors';
import * as apps from '../../../services/applications';
import * as groups from '../../../services/groups';
import * as mfa from '../../../services/mfa';
import * as users from '../../../services/users';
import type { Group, User } from '../../../store';
import { requestMeta } from '../../middleware/auth';
import { verifyCsrf } from '../../middleware/csrf';
import { checked, field, fields, formAction, renderAdmin, syncSelection } from './common';

/**
 * Users and User Groups in the admin portal: create, edit, suspend, reset passwords, manage
 * membership, and authorize applications from a group's page (the seeds name the application's,
 * the user's and the group's pages as places to give access).
 */
const PROFILE = ['username', 'email', 'firstName', 'lastName', 'displayName', 'employeeId', 'title'] as const;

function profileFrom(body: Record<string, unknown>) {
  return Object.fromEntries(PROFILE.map((k) => [k, field(body, k).trim()]));
}

export function adminDirectory(ctx: AppContext): Router {
  const router = Router();
  const csrf = verifyCsrf(ctx);
  const query = (req: Request) => field(req.query as Record<string, unknown>, 'q').trim().slice(0, 200);

  router.get('/users', async (req, res) => {
    const q = query(req);
    const { items, total } = await ctx.store.users.list({ q: q || undefined, limit: 200, offset: 0 });
    renderAdmin(ctx, req, res, 'users/list', 'users', { title: 'Users', q, users: items, total, mfaForEveryone: await mfa.mfaRequiredForEveryone(ctx) });
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
    const all = (await ctx.store.groups.list({ limit: 500, offset: 0 })).items;
    const memberOf = new Set((await ctx.store.groups.listGroupsOfUser(user.id)).map((g) => g.id));
    const launchable = await ctx.store.applications.listForUser(user.id);
    const enrolled = Boolean(await mfa.confirmedEnrolment(ctx, user.id));
    renderAdmin(ctx, req, res, 'users/edit', 'users', {
      title: user.displayName || user.username, user, form: extra.form ?? user, groups: all, memberOf, launchable, error: extra.error, enrolled,
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
    const allGroups = (await ctx.store.groups.list({ limit: 500, offset: 0 })).items.map((g) => g.id);
    await formAction(res, async () => {
      await syncSelection(fields(req.body as Record<string, unknown>, 'groupId'), (await ctx.store.groups.listGroupsOfUser(user.id)).map((g) => g.id), allGroups,
        (id) => groups.addMember(ctx, requestMeta(req), id, user.id), (id) => groups.removeMember(ctx, requestMeta(req), id, user.id));
      res.redirect(303, `/admin/users/${user.id}?notice=saved`);
    }, (error) => renderUser(req, res, user, { error: error.message, status: error.status }));
  });
  router.post('/users/:id/delete', csrf, async (req, res) => {
    const user = await loadUser(req);
    await formAction(res, async () => {
      await users.deleteUser(ctx, requestMeta(req), user.id);
      res.redirect(303, '/admin/users?notice=deleted');
    }, (error) => renderUser(req, res, user, { error: error.message, status: error.status }));
  });

  router.get('/groups', async (req, res) => {
    const q = query(req);
    const { items, total } = await ctx.store.groups.list({ q: q || undefined, limit: 500, offset: 0 });
    renderAdmin(ctx, req, res, 'groups/list', 'groups', { title: 'User Groups', q, groups: items, total, form: {} });
  });
  router.post('/groups', csrf, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const form = { name: field(body, 'name').trim(), description: field(body, 'description').trim() };
    await formAction(res, async () => {
      const group = await groups.createGroup(ctx, requestMeta(req), form);
      res.redirect(303, `/admin/groups/${group.id}?notice=group-created`);
    }, async (error) => {
      const { items, total } = await ctx.store.groups.list({ limit: 500, offset: 0 });
      renderAdmin(ctx, req, res, 'groups/list', 'groups', { title: 'User Groups', q: '', groups: items, total, form, error: error.message }, error.status);
    });
  });

  async function renderGroup(req: Request, res: Response, group: Group, extra: { error?: string; status?: number } = {}) {
    const members = await ctx.store.groups.listMembers(group.id);
    const applications = (await ctx.store.applications.list({ limit: 500, offset: 0 })).items;
    const bound = new Set((await ctx.store.applications.listForGroup(group.id)).map((a) => a.id));
    renderAdmin(ctx, req, res, 'groups/edit', 'groups', { title: group.name, group, members, applications, bound, error: extra.error }, extra.status ?? 200);
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
    const body = req.body as Record<string, unknown>;
    await formAction(res, async () => {
      const login = field(body, 'login').trim();
      if (login) {
        const user = await ctx.store.users.findByLogin(login);
        if (!user) throw notFound('users.not_found', `No user has the username or e-mail "${login}".`);
        await groups.addMember(ctx, requestMeta(req), group.id, user.id);
      }
      for (const id of fields(body, 'removeUserId')) await groups.removeMember(ctx, requestMeta(req), group.id, id);
      res.redirect(303, `/admin/groups/${group.id}?notice=saved`);
    }, (error) => renderGroup(req, res, group, { error: error.message, status: error.status }));
  });
  router.post('/groups/:id/applications', csrf, async (req, res) => {
    const group = await loadGroup(req);
    const allApps = (await ctx.store.applications.list({ limit: 500, offset: 0 })).items.map((a) => a.id);
    await formAction(res, async () => {
      await syncSelection(fields(req.body as Record<string, unknown>, 'appId'), (await ctx.store.applications.listForGroup(group.id)).map((a) => a.id), allApps,
        (id) => apps.bindGroup(ctx, requestMeta(req), id, group.id), (id) => apps.unbindGroup(ctx, requestMeta(req), id, group.id));
      res.redirect(303, `/admin/groups/${group.id}?notice=saved`);
    }, (error) => renderGroup(req, res, group, { error: error.message, status: error.status }));
  });
  router.post('/groups/:id/delete', csrf, async (req, res) => {
    const group = await loadGroup(req);
    await groups.deleteGroup(ctx, requestMeta(req), group.id);
    res.redirect(303, '/admin/groups?notice=deleted');
  });

  return router;
}
