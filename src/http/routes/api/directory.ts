import { Router } from 'express';
import type { AppContext } from '../../../context';
import * as lists from '../../../services/directory-lists';
import * as groups from '../../../services/groups';
import * as users from '../../../services/users';
import { API_META } from '../../middleware/auth';

/** Users, groups and memberships. */
export function directoryApi(ctx: AppContext): Router {
  const router = Router();
  const id = (value: unknown) => String(value);

  router.get('/users', async (req, res) => {
    res.json(await lists.listUsers(ctx, req.query));
  });
  router.post('/users', async (req, res) => {
    res.status(201).json(await users.createUser(ctx, API_META(req), req.body));
  });
  router.get('/users/:id', async (req, res) => {
    const user = await users.getUser(ctx, id(req.params.id));
    res.json({ ...user, groups: await ctx.store.groups.listGroupsOfUser(user.id) });
  });
  router.patch('/users/:id', async (req, res) => {
    res.json(await users.updateUser(ctx, API_META(req), id(req.params.id), req.body));
  });
  router.delete('/users/:id', async (req, res) => {
    await users.deleteUser(ctx, API_META(req), id(req.params.id));
    res.status(204).end();
  });
  router.put('/users/:id/password', async (req, res) => {
    await users.setPassword(ctx, API_META(req), id(req.params.id), req.body);
    res.status(204).end();
  });

  router.get('/groups', async (req, res) => {
    res.json(await lists.listGroups(ctx, req.query));
  });
  router.post('/groups', async (req, res) => {
    res.status(201).json(await groups.createGroup(ctx, API_META(req), req.body));
  });
  router.get('/groups/:id', async (req, res) => {
    res.json(await groups.getGroup(ctx, id(req.params.id)));
  });
  router.patch('/groups/:id', async (req, res) => {
    res.json(await groups.updateGroup(ctx, API_META(req), id(req.params.id), req.body));
  });
  router.delete('/groups/:id', async (req, res) => {
    await groups.deleteGroup(ctx, API_META(req), id(req.params.id));
    res.status(204).end();
  });
  router.get('/groups/:id/members', async (req, res) => {
    res.json(await lists.listGroupMembers(ctx, id(req.params.id), req.query));
  });
  router.put('/groups/:id/members/:userId', async (req, res) => {
    await groups.addMember(ctx, API_META(req), id(req.params.id), id(req.params.userId));
    res.status(204).end();
  });
  router.delete('/groups/:id/members/:userId', async (req, res) => {
    await groups.removeMember(ctx, API_META(req), id(req.params.id), id(req.params.userId));
    res.status(204).end();
  });
  return router;
}
