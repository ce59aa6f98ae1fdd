import { cappedTotal, keysetPage, type Application, type ApplicationRepository } from '../types';
import type { PgDatabase } from './db';
import { GROUP_COLUMNS, holdsNul, likePattern, listPage, refusableWrite, toGroup, type GroupRow } from './directory-sql';
import { applicationFromRow as toApplication, type ApplicationRow } from '../application-row';

const APP_COLUMNS = `id, catalog_id, slug, display_label, description, show_in_portal, sso_active, signing_key_id,
  sp_entity_id, sso_json, attributes_json, placeholders_json, portal_json, bookmark_url, created_at, updated_at`;
const A_COLUMNS = APP_COLUMNS.replace(/(\w+)/g, 'a.$1');

/**
 * One total order, as the SQLite driver's: labels repeat, so creation time and then the id
 * follow, in byte order (ids have the database's collation otherwise; index applications_by_label).
 */
const BY_LABEL = ['display_label', 'created_at', 'id COLLATE "C"'];
const A_BY_LABEL = 'a.display_label, a.created_at, a.id COLLATE "C"';

/** $1…$13 in both create and update; the slug is not among them (it never changes). */
function settingsParams(app: Application): unknown[] {
  return [app.catalogId, app.displayLabel, app.description, app.showInPortal, app.ssoActive, app.signingKeyId ?? null,
    app.sso?.spEntityId ?? '', JSON.stringify(app.sso), JSON.stringify(app.attributes), JSON.stringify(app.placeholders),
    JSON.stringify(app.portal), app.bookmarkUrl, app.updatedAt];
}

export function createPgApplicationRepository(db: PgDatabase): ApplicationRepository {
  const changed = (result: { rowCount: number | null }) => (result.rowCount ?? 0) > 0;
  return {
    async create(app) {
      await refusableWrite(db, `INSERT INTO applications (catalog_id, display_label, description, show_in_portal, sso_active,
        signing_key_id, sp_entity_id, sso_json, attributes_json, placeholders_json, portal_json, bookmark_url, updated_at,
        id, slug, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [...settingsParams(app), app.id, app.slug, app.createdAt]);
    },
    async update(app) {
      // The slug is the IdP URL SPs are configured with: it is never rewritten here.
      // sp_entity_shared_before (SQLite migration 11) clears once the app takes an entity ID of
      // its own; like SQLite, PostgreSQL evaluates every SET expression against the old row.
      await refusableWrite(db, `UPDATE applications SET catalog_id = $1, display_label = $2, description = $3,
        show_in_portal = $4, sso_active = $5, signing_key_id = $6, sp_entity_id = $7, sso_json = $8,
        attributes_json = $9, placeholders_json = $10, portal_json = $11, bookmark_url = $12, updated_at = $13,
        sp_entity_shared_before = sp_entity_shared_before AND sp_entity_id = $7 WHERE id = $14`,
      [...settingsParams(app), app.id]);
    },
    async delete(id) {
      return changed(await db.query('DELETE FROM applications WHERE id = $1', [id]));
    },
    async findById(id) {
      if (holdsNul(id)) return undefined;
      const row = await db.one<ApplicationRow>(`SELECT ${APP_COLUMNS} FROM applications WHERE id = $1`, [id]);
      return row && toApplication(row);
    },
    async findBySpEntityId(spEntityId, exceptId) {
      if (holdsNul(spEntityId)) return undefined;
      const row = await db.one<ApplicationRow>(`SELECT ${APP_COLUMNS} FROM applications
        WHERE sp_entity_id = $1 AND id <> $2 ORDER BY created_at, id LIMIT 1`, [spEntityId, holdsNul(exceptId) ? '' : exceptId ?? '']);
      return row && toApplication(row);
    },
    async findBySlug(slug) {
      if (holdsNul(slug)) return undefined;
      const row = await db.one<ApplicationRow>(`SELECT ${APP_COLUMNS} FROM applications WHERE slug = $1`, [slug]);
      return row && toApplication(row);
    },
    async list(page) {
      const params: unknown[] = [];
      const filters: string[] = [];
      if (page.q) {
        params.push(likePattern(page.q));
        filters.push(`(display_label ILIKE $${params.length} ESCAPE '\\' OR slug ILIKE $${params.length} ESCAPE '\\')`);
      }
      if (page.ssoActive !== undefined) {
        params.push(page.ssoActive);
        filters.push(`sso_active = $${params.length}`);
      }
      const { rows, counted } = await listPage<ApplicationRow>(db, {
        columns: APP_COLUMNS, from: 'applications', filter: filters.join(' AND '), keys: { compare: BY_LABEL, order: BY_LABEL },
      }, params, page);
      return { ...keysetPage(rows.map(toApplication), page, (a) => [a.displayLabel, a.createdAt, a.id]), ...cappedTotal(counted) };
    },
    async bindGroup(appId, groupId, now) {
      // Atomic: of two instances binding the same group, exactly one is told it changed something.
      return changed(await refusableWrite(db, `INSERT INTO application_groups (application_id, group_id, created_at) VALUES ($1, $2, $3)
        ON CONFLICT (application_id, group_id) DO NOTHING`, [appId, groupId, now]));
    },
    async unbindGroup(appId, groupId) {
      return changed(await db.query('DELETE FROM application_groups WHERE application_id = $1 AND group_id = $2', [appId, groupId]));
    },
    async listBoundGroups(appId) {
      const rows = await db.many<GroupRow>(`SELECT ${GROUP_COLUMNS.replace(/(\w+)/g, 'g.$1')} FROM groups g
        JOIN application_groups ag ON ag.group_id = g.id WHERE ag.application_id = $1 ORDER BY lower(g.name), g.name`, [appId]);
      return rows.map(toGroup);
    },
    async listForGroup(groupId) {
      const rows = await db.many<ApplicationRow>(`SELECT ${A_COLUMNS} FROM applications a
        JOIN application_groups ag ON ag.application_id = a.id WHERE ag.group_id = $1 ORDER BY ${A_BY_LABEL}`, [groupId]);
      return rows.map(toApplication);
    },
    async isUserAuthorized(appId, userId) {
      if (holdsNul(appId, userId)) return false;
      const row = await db.one(`SELECT 1 AS ok FROM application_groups ag JOIN memberships m ON m.group_id = ag.group_id
        WHERE ag.application_id = $1 AND m.user_id = $2 LIMIT 1`, [appId, userId]);
      return row !== undefined;
    },
    async listForUser(userId) {
      // EXISTS, not DISTINCT: an app reached through two of the user's groups is listed once.
      const rows = await db.many<ApplicationRow>(`SELECT ${A_COLUMNS} FROM applications a WHERE EXISTS (
          SELECT 1 FROM application_groups ag JOIN memberships m ON m.group_id = ag.group_id
          WHERE ag.application_id = a.id AND m.user_id = $1)
        ORDER BY ${A_BY_LABEL}`, [userId]);
      return rows.map(toApplication);
    },
  };
}
