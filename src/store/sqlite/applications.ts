import type Database from 'better-sqlite3';
import { cappedTotal, COUNT_CAP, keysetPage, type Application, type ApplicationRepository, type Group } from '../types';
import { toGroup } from './directory';
import { keyset, whereOf } from './keyset';
import { applicationFromRow as toApplication, type ApplicationRow } from '../application-row';

function toParams(app: Application): unknown[] {
  return [app.catalogId, app.slug, app.displayLabel, app.description, app.showInPortal ? 1 : 0,
    app.ssoActive ? 1 : 0, app.signingKeyId ?? null, app.sso?.spEntityId ?? '', JSON.stringify(app.sso),
    JSON.stringify(app.attributes), JSON.stringify(app.placeholders), JSON.stringify(app.portal), app.bookmarkUrl, app.updatedAt];
}

export function createApplicationRepository(db: Database.Database): ApplicationRepository {
  // The SSO path reads these on every launch: prepared once.
  const bySlug = db.prepare('SELECT * FROM applications WHERE slug = ?');
  const byId = db.prepare('SELECT * FROM applications WHERE id = ?');
  const authorized = db.prepare(`SELECT 1 FROM application_groups ag
    JOIN memberships m ON m.group_id = ag.group_id
    WHERE ag.application_id = ? AND m.user_id = ? LIMIT 1`);
  return {
    async create(app) {
      db.prepare(`INSERT INTO applications (catalog_id, slug, display_label, description, show_in_portal,
        sso_active, signing_key_id, sp_entity_id, sso_json, attributes_json, placeholders_json, portal_json,
        bookmark_url, updated_at, id, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...toParams(app), app.id, app.createdAt);
    },
    async update(app) {
      // The slug is the IdP URL SPs are configured with: it is never rewritten here.
      // sp_entity_shared_before (migration 11) clears once the app takes an entity ID of its own;
      // SQLite evaluates every SET expression against the row as it was.
      db.prepare(`UPDATE applications SET catalog_id = ?, display_label = ?, description = ?,
        show_in_portal = ?, sso_active = ?, signing_key_id = ?, sp_entity_id = ?, sso_json = ?,
        attributes_json = ?, placeholders_json = ?, portal_json = ?, bookmark_url = ?, updated_at = ?,
        sp_entity_shared_before = CASE WHEN sp_entity_id = ? THEN sp_entity_shared_before ELSE 0 END WHERE id = ?`)
        .run(...toParams(app).filter((_, i) => i !== 1), app.sso?.spEntityId ?? '', app.id);
    },
    async delete(id) {
      return db.prepare('DELETE FROM applications WHERE id = ?').run(id).changes > 0;
    },
    async findById(id) {
      const row = byId.get(id) as ApplicationRow | undefined;
      return row && toApplication(row);
    },
    async findBySpEntityId(spEntityId, exceptId) {
      const row = db.prepare('SELECT * FROM applications WHERE sp_entity_id = ? AND id <> ? ORDER BY created_at LIMIT 1')
        .get(spEntityId, exceptId ?? '') as ApplicationRow | undefined;
      return row && toApplication(row);
    },
    async findBySlug(slug) {
      const row = bySlug.get(slug) as ApplicationRow | undefined;
      return row && toApplication(row);
    },
    async list(page) {
      const params: Record<string, unknown> = {};
      const filters: string[] = [];
      if (page.q) {
        params.q = `%${page.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        filters.push(`(display_label LIKE @q ESCAPE '\\' OR slug LIKE @q ESCAPE '\\')`);
      }
      if (page.ssoActive !== undefined) {
        params.active = page.ssoActive ? 1 : 0;
        filters.push('sso_active = @active');
      }
      // One total order (index applications_by_label): labels repeat, so creation and id follow.
      const order = ['display_label', 'created_at', 'id'];
      const { where, orderBy } = keyset(page, order, order, params);
      const rows = db.prepare(`SELECT * FROM applications ${whereOf(...filters, where)} ORDER BY ${orderBy} LIMIT @limit OFFSET @offset`)
        .all({ ...params, limit: page.limit + 1, offset: page.offset ?? 0 }) as ApplicationRow[];
      const counted = (db.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM applications ${whereOf(...filters)} LIMIT ${COUNT_CAP + 1})`)
        .get(params) as { n: number }).n;
      return { ...keysetPage(rows.map(toApplication), page, (a) => [a.displayLabel, a.createdAt, a.id]), ...cappedTotal(counted) };
    },
    async bindGroup(appId, groupId, now) {
      return db.prepare('INSERT OR IGNORE INTO application_groups (application_id, group_id, created_at) VALUES (?, ?, ?)')
        .run(appId, groupId, now).changes > 0;
    },
    async unbindGroup(appId, groupId) {
      return db.prepare('DELETE FROM application_groups WHERE application_id = ? AND group_id = ?').run(appId, groupId).changes > 0;
    },
    async listBoundGroups(appId) {
      const rows = db.prepare(`SELECT g.* FROM groups g JOIN application_groups ag ON ag.group_id = g.id
        WHERE ag.application_id = ? ORDER BY g.name`).all(appId) as Parameters<typeof toGroup>[0][];
      return rows.map(toGroup) as Group[];
    },
    async listForGroup(groupId) {
      const rows = db.prepare(`SELECT a.* FROM applications a JOIN application_groups ag ON ag.application_id = a.id
        WHERE ag.group_id = ? ORDER BY a.display_label`).all(groupId) as ApplicationRow[];
      return rows.map(toApplication);
    },
    async isUserAuthorized(appId, userId) {
      return authorized.get(appId, userId) !== undefined;
    },
    async listForUser(userId) {
      const rows = db.prepare(`SELECT DISTINCT a.* FROM applications a
        JOIN application_groups ag ON ag.application_id = a.id
        JOIN memberships m ON m.group_id = ag.group_id
        WHERE m.user_id = ? ORDER BY a.display_label`).all(userId) as ApplicationRow[];
      return rows.map(toApplication);
    },
  };
}
