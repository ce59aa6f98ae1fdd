import { Router, type Request, type Response } from 'express';
import type { CatalogEntry } from '../../../catalog/loader';
import { renderTemplate } from '../../../catalog/template';
import type { AppContext } from '../../../context';
import { notFound, unprocessable } from '../../../errors';
import { parseSpMetadata } from '../../../saml/sp-metadata';
import { pemBody } from '../../../saml/xml';
import * as apps from '../../../services/applications';
import * as idm from '../../../services/idm';
import { slugFromLabel } from '../../../services/application-input';
import { checkPlaceholderValues, handEditedFields, unreplacedPlaceholders } from '../../../services/catalog-apps';
import { describeCertificate } from '../../../services/keys';
import { isSamlApplication, type Application } from '../../../store';
import { renderMarkdown } from '../../markdown';
import { requestMeta } from '../../middleware/auth';
import { verifyCsrf } from '../../middleware/csrf';
import { listApplications } from '../../../services/directory-lists';
import { checked, field, fields, formAction, renderAdmin } from './common';
import { backTo, listInput, pagerOf, syncShown } from './paging';
import { groupsPicker } from './pickers';
import { formValuesFromBody, formValuesOf, updateInputOf, type SsoFormValues } from './sso-form';

/**
 * SSO Applications in the admin portal: the configured list, "+ Add New Application" from the
 * catalog, and each application's General Info, SSO and User Groups tabs with its Actions.
 */
export function adminApplications(ctx: AppContext): Router {
  const router = Router();
  const csrf = verifyCsrf(ctx);
  const entryOf = (app: Application): CatalogEntry => {
    const entry = ctx.catalog.get(app.catalogId);
    if (!entry) throw notFound('catalog.not_found', `The catalog entry ${app.catalogId} of this application is no longer in the catalog.`);
    return entry;
  };

  router.get('/applications', async (req, res) => {
    const input = listInput(req);
    const status = ['active', 'inactive'].includes(field(req.query as Record<string, unknown>, 'status')) ? field(req.query as Record<string, unknown>, 'status') : '';
    const page = await listApplications(ctx, { ...input, status });
    const idmActive = new Set<string>();
    for (const a of page.items) if ((await ctx.store.idm.find(a.id))?.active) idmActive.add(a.id);
    renderAdmin(ctx, req, res, 'applications/list', 'applications', {
      title: 'SSO Applications', q: input.q ?? '', status, apps: page.items, filtered: Boolean(input.q || status || input.after || input.before),
      pager: pagerOf(req, page, { noun: input.q || status ? ['application matches', 'applications match'] : ['application', 'applications'] }), catalogName: (id: string) => ctx.catalog.get(id)?.name ?? id,
      idmActive, idmSupported: (catalogId: string) => Boolean(ctx.catalog.get(catalogId)?.scim?.users),
    });
  });

  router.get('/applications/new', (req, res) => {
    const q = field(req.query as Record<string, unknown>, 'q').trim().slice(0, 200);
    renderAdmin(ctx, req, res, 'applications/catalog', 'applications', { title: 'Add New Application', q, entries: ctx.catalog.search(q) });
  });

  const renderNew = (req: Request, res: Response, entry: CatalogEntry, form: Record<string, unknown>, error?: string, status = 200) =>
    renderAdmin(ctx, req, res, 'applications/new', 'applications', { title: `New ${entry.name} application`, entry, form, error }, status);

  router.get('/applications/new/:catalogId', async (req, res) => {
    const entry = ctx.catalog.get(String(req.params.catalogId));
    if (!entry) throw notFound('catalog.not_found', 'The catalog has no entry with this id.');
    renderNew(req, res, entry, {
      displayLabel: entry.name, description: '', image: 'logo', color: entry.color, showInPortal: true,
      slug: entry.ssoType === 'saml' ? await apps.freeSlug(ctx, slugFromLabel(entry.name)) : '',
    });
  });

  router.post('/applications/new/:catalogId', csrf, async (req, res) => {
    const entry = ctx.catalog.get(String(req.params.catalogId));
    if (!entry) throw notFound('catalog.not_found', 'The catalog has no entry with this id.');
    const body = req.body as Record<string, unknown>;
    const form = {
      displayLabel: field(body, 'displayLabel').trim(), description: field(body, 'description').trim(),
      image: field(body, 'image') === 'color' ? 'color' : 'logo', color: field(body, 'color') || entry.color,
      showInPortal: checked(body, 'showInPortal'), slug: field(body, 'slug').trim().toLowerCase(),
      bookmarkUrl: field(body, 'bookmarkUrl').trim(),
    };
    await formAction(res, async () => {
      const app = await apps.createApplication(ctx, requestMeta(req), {
        catalogId: entry.id, displayLabel: form.displayLabel, description: form.description, showInPortal: form.showInPortal,
        portal: { image: form.image, color: form.color }, ...(form.slug ? { slug: form.slug } : {}),
        // Seed 004: "If this is a Bookmark Application, enter your sign-in URL in the Bookmark URL field".
        ...(entry.ssoType === 'bookmark' && form.bookmarkUrl ? { bookmarkUrl: form.bookmarkUrl } : {}),
      });
      // The same count of placeholders left as the app's banner: one function for both.
      renderAdmin(ctx, req, res, 'applications/created', 'applications', {
        title: 'Application saved', app, entry, ssoUrl: apps.applicationUrls(ctx, app.slug).ssoUrl, left: unreplacedPlaceholders(app),
      });
    }, (error) => renderNew(req, res, entry, form, error.message, error.status));
  });

  async function renderDetail(req: Request, res: Response, app: Application, tab: string, extra: { error?: string; sso?: SsoFormValues; status?: number } = {}) {
    // A refused Identity Management form shows the base URL that was typed, never a token.
    const typedBaseUrl = tab === 'idm' && extra.error ? field(req.body as Record<string, unknown>, 'baseUrl') : undefined;
    const entry = entryOf(app);
    const urls = apps.applicationUrls(ctx, app.slug);
    const groups = tab === 'groups' ? await groupsPicker(ctx, req, {
      id: 'groups', prefix: '', title: 'User groups', action: `/admin/applications/${app.id}/groups`, hidden: { tab: 'groups' },
      intro: `Users are denied by default. Members of the groups checked here may use ${app.displayLabel}.`,
      chosen: await ctx.store.applications.listBoundGroups(app.id), none: 'No group is authorized yet: nobody may use it.',
    }) : undefined;
    let certificate: Record<string, string> | undefined;
    if (isSamlApplication(app)) {
      const key = await ctx.keys.keyFor(app.signingKeyId);
      certificate = { pem: key.certificatePem, body: pemBody(key.certificatePem), ...describeCertificate(key.certificatePem) };
    }
    const readme = renderMarkdown(renderTemplate(entry.readme, app.placeholders)
      .replace(/<PUBLIC_URL>\/saml2\/<slug>/g, urls.ssoUrl).replace(/<PUBLIC_URL>/g, ctx.config.publicUrl));
    renderAdmin(ctx, req, res, 'applications/detail', 'applications', {
      title: app.displayLabel, app, entry, tab: ['general', 'sso', 'groups', 'idm'].includes(tab) ? tab : 'general', urls, groups,
      idm: await idm.idmView(ctx, app),
      certificate, readme, left: unreplacedPlaceholders(app), warnings: apps.applicationWarnings(app), edited: handEditedFields(entry, app), error: extra.error, typedBaseUrl,
      sso: extra.sso ?? (isSamlApplication(app) ? formValuesOf(entry, app) : undefined),
    }, extra.status ?? 200);
  }

  const load = async (req: Request) => apps.getApplication(ctx, String(req.params.id)).catch(() => {
    throw notFound('applications.not_found', 'There is no such application. It may have been deleted.');
  });
  const back = (res: Response, app: Application, tab: string, notice: string) => res.redirect(303, `/admin/applications/${app.id}?tab=${tab}&notice=${notice}`);

  router.get('/applications/:id', async (req, res) => {
    await renderDetail(req, res, await load(req), field(req.query as Record<string, unknown>, 'tab') || 'general');
  });

  router.post('/applications/:id/general', csrf, async (req, res) => {
    const app = await load(req);
    const body = req.body as Record<string, unknown>;
    await formAction(res, async () => {
      await apps.updateApplication(ctx, requestMeta(req), app.id, {
        displayLabel: field(body, 'displayLabel').trim(), description: field(body, 'description').trim(), showInPortal: checked(body, 'showInPortal'),
        portal: { image: field(body, 'image') === 'color' ? 'color' : 'logo', color: field(body, 'color') || app.portal.color },
        ...(app.bookmarkUrl !== null ? { bookmarkUrl: field(body, 'bookmarkUrl').trim() } : {}),
      });
      back(res, app, 'general', 'saved');
    }, (error) => renderDetail(req, res, app, 'general', { error: error.message, status: error.status }));
  });

  router.post('/applications/:id/sso', csrf, async (req, res) => {
    const app = await load(req);
    if (!isSamlApplication(app)) throw unprocessable('applications.bookmark_has_no_sso', `${app.displayLabel} is a bookmark: it has no SAML settings.`);
    const entry = entryOf(app);
    const values = formValuesFromBody(entry, req.body as Record<string, unknown>);
    await formAction(res, async () => {
      // Placeholder values are checked before they are rendered into the fields.
      checkPlaceholderValues(entry, values.placeholders);
      await apps.updateApplication(ctx, requestMeta(req), app.id, updateInputOf(values));
      back(res, app, 'sso', 'saved');
    }, (error) => renderDetail(req, res, app, 'sso', { error: error.message, sso: values, status: error.status }));
  });

  router.post('/applications/:id/sp-metadata', csrf, async (req, res) => {
    const app = await load(req);
    await formAction(res, async () => {
      const meta = parseSpMetadata(field(req.body as Record<string, unknown>, 'metadata'));
      await apps.updateApplication(ctx, requestMeta(req), app.id, {
        sso: {
          spEntityId: meta.entityId, acsUrls: meta.acsUrls, defaultAcsUrl: meta.defaultAcsUrl,
          ...(meta.certificatePem ? { spCertificate: meta.certificatePem, requireSignedRequests: meta.authnRequestsSigned } : {}),
        },
      });
      back(res, app, 'sso', 'saved');
    }, (error) => renderDetail(req, res, app, 'sso', { error: `The SP metadata was not used: ${error.message}`, status: error.status }));
  });

  router.post('/applications/:id/groups', csrf, async (req, res) => {
    const app = await load(req);
    const body = req.body as Record<string, unknown>;
    await formAction(res, async () => {
      await syncShown(body, 'groupId', {
        selected: async () => (await ctx.store.applications.listBoundGroups(app.id)).map((g) => g.id),
        exists: async (id) => Boolean(await ctx.store.groups.findById(id)),
        add: (id) => apps.bindGroup(ctx, requestMeta(req), app.id, id), remove: (id) => apps.unbindGroup(ctx, requestMeta(req), app.id, id),
      });
      res.redirect(303, backTo(`/admin/applications/${app.id}`, body, ['q', 'after', 'before'], 'saved', 'groups', { tab: 'groups' }));
    }, (error) => renderDetail(req, res, app, 'groups', { error: error.message, status: error.status }));
  });

  router.post('/applications/:id/idm/mappings', csrf, async (req, res) => {
    const app = await load(req);
    const body = req.body as Record<string, unknown>;
    const sent = new Set(fields(body, 'sendMapping'));
    const optional = (await idm.idmView(ctx, app)).mappings.filter((m) => !m.required).map((m) => m.scim);
    await formAction(res, async () => {
      await idm.configureIdm(ctx, requestMeta(req), app.id, field(body, 'then') === 'restore'
        ? { restoreDefaultMappings: true } : { excludedMappings: optional.filter((m) => !sent.has(m)) });
      back(res, app, 'idm', 'saved');
    }, (error) => renderDetail(req, res, app, 'idm', { error: error.message, status: error.status }));
  });
  router.post('/applications/:id/idm', csrf, async (req, res) => {
    const app = await load(req);
    const body = req.body as Record<string, unknown>;
    // The token goes to the service as typed (its rules refuse control characters); empty keeps the stored one.
    const token = field(body, 'token');
    const activate = field(body, 'then') === 'activate';
    await formAction(res, async () => {
      const settings = { baseUrl: field(body, 'baseUrl').trim(), ...(token.trim() ? { token } : {}), groupsEnabled: checked(body, 'groupsEnabled') };
      // Activate verifies what was typed before anything is saved (a refusal stores nothing).
      if (activate) await idm.saveAndActivateIdm(ctx, requestMeta(req), app.id, settings);
      else await idm.configureIdm(ctx, requestMeta(req), app.id, settings);
      back(res, app, 'idm', activate ? 'idm-activated' : 'saved');
    }, (error) => renderDetail(req, res, app, 'idm', { error: error.message, status: error.status }));
  });
  router.post('/applications/:id/idm/deactivate', csrf, async (req, res) => {
    const app = await load(req);
    await idm.deactivateIdm(ctx, requestMeta(req), app.id);
    back(res, app, 'idm', 'idm-deactivated');
  });

  for (const [action, active] of [['activate', true], ['deactivate', false]] as const) {
    router.post(`/applications/:id/${action}`, csrf, async (req, res) => {
      const app = await load(req);
      await formAction(res, async () => {
        await apps.updateApplication(ctx, requestMeta(req), app.id, { ssoActive: active });
        back(res, app, field(req.body as Record<string, unknown>, 'tab') || 'general', active ? 'activated' : 'deactivated');
      }, (error) => renderDetail(req, res, app, 'sso', { error: error.message, status: error.status }));
    });
  }

  // Delete: select one or more apps, then type how many to confirm (the seeds' safeguard).
  const renderConfirm = async (req: Request, res: Response, ids: string[], error?: string, status = 200) => {
    const chosen = (await Promise.all(ids.map((id) => ctx.store.applications.findById(id)))).filter((a): a is Application => a !== undefined);
    renderAdmin(ctx, req, res, 'applications/delete', 'applications', { title: 'Delete applications', chosen, error }, status);
  };
  router.post('/applications/delete', csrf, async (req, res) => {
    const ids = fields(req.body as Record<string, unknown>, 'appId').slice(0, 200);
    if (ids.length === 0) return res.redirect(303, '/admin/applications');
    await renderConfirm(req, res, ids);
  });
  router.post('/applications/delete/confirm', csrf, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    // Only apps that still exist count (another admin may have deleted one meanwhile).
    const ids = (await Promise.all(fields(body, 'appId').slice(0, 200).map((id) => ctx.store.applications.findById(id))))
      .filter((a): a is Application => a !== undefined).map((a) => a.id);
    if (ids.length === 0) return res.redirect(303, '/admin/applications');
    if (field(body, 'count').trim() !== String(ids.length)) {
      return renderConfirm(req, res, ids, `Type ${ids.length} to confirm that you want to delete ${ids.length === 1 ? 'this application' : `these ${ids.length} applications`}.`, 422);
    }
    for (const id of ids) await apps.deleteApplication(ctx, requestMeta(req), id);
    res.redirect(303, '/admin/applications?notice=deleted');
  });

  return router;
}
