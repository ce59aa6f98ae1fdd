import { Router } from 'express';
import type { AppContext } from '../../../context';
import { notFound } from '../../../errors';
import * as apps from '../../../services/applications';
import * as importer from '../../../services/import-users';
import { requestMeta } from '../../middleware/auth';
import { verifyCsrf } from '../../middleware/csrf';
import { checked, field, fields, formAction, renderAdmin } from './common';

/** "Import users" from an application's SCIM service, with a progress page for large imports. */
export function adminImports(ctx: AppContext): Router {
  const router = Router();
  const csrf = verifyCsrf(ctx);

  router.get('/applications/:id/import', async (req, res) => {
    const app = await apps.getApplication(ctx, String(req.params.id));
    const newOnly = field(req.query as Record<string, unknown>, 'newOnly') === 'on';
    const groups = await ctx.store.applications.listBoundGroups(app.id);
    await formAction(res, async () => {
      const users = await importer.listRemoteUsers(ctx, app.id, { newOnly });
      renderAdmin(ctx, req, res, 'applications/import', 'applications', { title: `Import users from ${app.displayLabel}`, app, users, newOnly, groups });
    }, (error) => renderAdmin(ctx, req, res, 'applications/import', 'applications', {
      title: `Import users from ${app.displayLabel}`, app, users: [], newOnly, groups, error: error.message,
    }, error.status));
  });

  router.post('/applications/:id/import', csrf, async (req, res) => {
    const app = await apps.getApplication(ctx, String(req.params.id));
    const body = req.body as Record<string, unknown>;
    await formAction(res, async () => {
      const result = await importer.importUsers(ctx, requestMeta(req), app.id, fields(body, 'remoteId'), field(body, 'groupId'));
      res.redirect(303, `/admin/applications/${app.id}/import/${result.id}`);
    }, async (error) => renderAdmin(ctx, req, res, 'applications/import', 'applications', {
      title: `Import users from ${app.displayLabel}`, app, users: [], newOnly: checked(body, 'newOnly'),
      groups: await ctx.store.applications.listBoundGroups(app.id), error: error.message,
    }, error.status));
  });

  router.get('/applications/:id/import/:importId', async (req, res) => {
    const app = await apps.getApplication(ctx, String(req.params.id));
    const entry = await ctx.store.imports.find(String(req.params.importId));
    if (!entry || entry.appId !== app.id) throw notFound('import.not_found', 'There is no such import.');
    // Without JavaScript the page refreshes itself while the import runs.
    if (entry.status === 'running') res.setHeader('Refresh', '2');
    renderAdmin(ctx, req, res, 'applications/import-progress', 'applications', { title: 'Importing users', app, entry });
  });
  return router;
}
