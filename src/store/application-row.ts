import type { Application, AttributeMapping, PortalImage, SsoSettings } from './types';

/**
 * The applications table as both drivers store it (the same columns, JSON as text); flags come
 * back as 0/1 from SQLite and as booleans from PostgreSQL. One mapping for both, so a new column
 * is read the same way everywhere.
 */
export interface ApplicationRow {
  [column: string]: unknown;
  id: string; catalog_id: string; slug: string; display_label: string; description: string;
  show_in_portal: number | boolean; sso_active: number | boolean; signing_key_id: string | null; sp_entity_id: string;
  sso_json: string; attributes_json: string; created_at: string; updated_at: string;
  placeholders_json: string; portal_json: string; bookmark_url: string | null;
}

export function applicationFromRow(row: ApplicationRow): Application {
  return {
    id: row.id, catalogId: row.catalog_id, slug: row.slug, displayLabel: row.display_label,
    description: row.description, showInPortal: Boolean(row.show_in_portal), ssoActive: Boolean(row.sso_active),
    signingKeyId: row.signing_key_id ?? undefined,
    sso: JSON.parse(row.sso_json) as SsoSettings | null,
    attributes: JSON.parse(row.attributes_json) as AttributeMapping[],
    placeholders: JSON.parse(row.placeholders_json) as Record<string, string>,
    portal: JSON.parse(row.portal_json) as PortalImage,
    bookmarkUrl: row.bookmark_url,
    createdAt: row.created_at, updatedAt: row.updated_at,
  };
}
