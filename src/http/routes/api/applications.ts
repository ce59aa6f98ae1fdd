import { Router } from 'express';
import type { AppContext } from '../../../context';
import * as apps from '../../../services/applications';
import { listApplications } from '../../../services/directory-lists';
import * as idm from '../../../services/idm';
import * as importer from '../../../services/import-users';
import { notFound } from '../../../errors';
import { isSamlApplication, type Application } from '../../../store';
import { API_META } from '../../middleware/auth';

/** Applications, their group bindings and metadata. */
export function applicationsApi(ctx: AppContext): Router {
  const router = Router();
  const id = (value: unknown) => String(value);
  const present = (app: Application) => ({ ...app, urls: apps.applicationUrls(ctx, app.slug), warnings: apps.applicationWarnings(app) });

  router.get('/applications', async (req, res) => {
    const page = await listApplications(ctx, req.query);
    res.json({ ...page, items: page.items.map(present) });
  });
  router.post('/applications', async (req, res) => {
    res.status(201).json(present(await apps.createApplication(ctx, API_META(req), req.body)));
  });
  router.get('/applications/:id', async (req, res) => {
    res.json(present(await apps.getApplication(ctx, id(req.params.id))));
  });
  router.patch('/applications/:id', async (req, res) => {
    res.json(present(await apps.updateApplication(ctx, API_META(req), id(req.params.id), req.body)));
  });
  router.delete('/applications/:id', async (req, res) => {
    await apps.deleteApplication(ctx, API_META(req), id(req.params.id));
    res.status(204).end();
  });
  router.get('/applications/:id/groups', async (req, res) => {
    res.json({ items: await apps.listBoundGroups(ctx, id(req.params.id)) });
  });
  router.put('/applications/:id/groups/:groupId', async (req, res) => {
    await apps.bindGroup(ctx, API_META(req), id(req.params.id), id(req.params.groupId));
    res.status(204).end();
  });
  router.delete('/applications/:id/groups/:groupId', async (req, res) => {
    await apps.unbindGroup(ctx, API_META(req), id(req.params.id), id(req.params.groupId));
    res.status(204).end();
  });
  router.get('/applications/:id/metadata', async (req, res) => {
    const app = await apps.getApplication(ctx, id(req.params.id));
    if (!isSamlApplication(app)) throw notFound('applications.bookmark', `${app.displayLabel} is a bookmark: it has no SAML metadata.`);
    res.type('application/samlmetadata+xml').send(await apps.applicationMetadata(ctx, app));
  });
  router.get('/applications/:id/idm', async (req, res) => {
    res.json(await idm.idmView(ctx, await apps.getApplication(ctx, id(req.params.id))));
  });
  router.put('/applications/:id/idm', async (req, res) => {
    res.json(await idm.configureIdm(ctx, API_META(req), id(req.params.id), req.body));
  });
  router.post('/applications/:id/idm/activate', async (req, res) => {
    res.json(await idm.activateIdm(ctx, API_META(req), id(req.params.id)));
  });
  router.post('/applications/:id/idm/deactivate', async (req, res) => {
    res.json(await idm.deactivateIdm(ctx, API_META(req), id(req.params.id)));
  });
  router.get('/applications/:id/idm/remote-users', async (req, res) => {
    res.json({ items: await importer.listRemoteUsers(ctx, id(req.params.id), { newOnly: req.query.newOnly === 'true' }) });
  });
  router.post('/applications/:id/idm/import', async (req, res) => {
    const body = (req.body ?? {}) as { remoteIds?: unknown; groupId?: unknown };
    const remoteIds = Array.isArray(body.remoteIds) ? body.remoteIds.filter((v): v is string => typeof v === 'string').slice(0, 10_000) : [];
    const result = await importer.importUsers(ctx, API_META(req), id(req.params.id), remoteIds, typeof body.groupId === 'string' ? body.groupId : '');
    res.status(result.status === 'finished' ? 200 : 202).json(result);
  });
  router.get('/applications/:id/idm/imports/:importId', async (req, res) => {
    const entry = await ctx.store.imports.find(String(req.params.importId));
    if (!entry || entry.appId !== id(req.params.id)) throw notFound('import.not_found', 'There is no such import.');
    res.json(entry);
  });
  return router;
}
