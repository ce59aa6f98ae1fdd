import type { CatalogEntry } from '../catalog/loader';
import { renderTemplate, unreplaced } from '../catalog/template';
import { unprocessable } from '../errors';
import type { Application, AttributeMapping } from '../store';
import type { SsoInput } from './application-input';

/**
 * An application is an instance of a catalog entry: its SAML values start as the entry's
 * templates with the admin's placeholder values filled in (every instance replaced). Fields an
 * admin later edits by hand are theirs: a new placeholder value only re-renders a field that
 * still holds what the old values rendered.
 */

/** Check placeholder values against the entry: known names only, each matching its pattern. */
export function checkPlaceholderValues(entry: CatalogEntry, values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(values)) {
    const placeholder = entry.placeholders.find((p) => p.name === name);
    if (!placeholder) {
      const known = entry.placeholders.map((p) => p.name).join(', ') || 'none';
      throw unprocessable('applications.placeholder_unknown', `The request is not valid. placeholders.${name}: ${entry.name} has no such placeholder (it has ${known}).`);
    }
    const value = raw.trim();
    if (value !== '' && !new RegExp(placeholder.pattern).test(value)) {
      throw unprocessable('applications.placeholder_invalid', `The request is not valid. placeholders.${name}: "${value}" is not a valid ${placeholder.label} (for example ${placeholder.example}).`);
    }
    if (value !== '') out[name] = value;
  }
  return out;
}

/** The SSO input the entry's templates give with these values (before any explicit override). */
export function templateSso(entry: CatalogEntry, values: Record<string, string>): Partial<SsoInput> {
  const saml = entry.saml;
  if (!saml) return {};
  return {
    spEntityId: renderTemplate(saml.spEntityId, values),
    acsUrls: saml.acsUrls.map((url) => renderTemplate(url, values)),
    loginUrl: renderTemplate(saml.loginUrl, values),
    defaultRelayState: renderTemplate(saml.defaultRelayState, values),
    nameIdFormat: saml.nameIdFormat,
    nameIdSource: saml.nameIdSource,
    signAssertion: saml.signAssertion,
    signResponse: saml.signResponse,
    signatureAlgorithm: saml.signatureAlgorithm,
  };
}

/** The entry's attribute rows that are on by default, constants rendered. */
export function templateAttributes(entry: CatalogEntry, values: Record<string, string>): AttributeMapping[] {
  return (entry.saml?.attributes ?? []).filter((a) => a.enabled).map((a) => (a.source !== undefined
    ? { name: a.name, source: a.source }
    : { name: a.name, value: renderTemplate(a.value ?? '', values) }));
}

/**
 * Re-render, for new placeholder values, the SSO fields and attribute constants that still hold
 * what the previous values rendered; anything the admin changed by hand is left alone.
 */
export function rerender(entry: CatalogEntry, app: Application, before: Record<string, string>, after: Record<string, string>): {
  sso: Partial<SsoInput>; attributes: AttributeMapping[]; bookmarkUrl: string | null;
} {
  const was = templateSso(entry, before);
  const now = templateSso(entry, after);
  const sso: Partial<SsoInput> = {};
  if (app.sso) {
    for (const key of ['spEntityId', 'loginUrl', 'defaultRelayState'] as const) {
      if (app.sso[key] === was[key]) sso[key] = now[key] as string;
    }
    const urls = app.sso.acsEndpoints.map((e) => e.url);
    if (JSON.stringify(urls) === JSON.stringify(was.acsUrls)) sso.acsUrls = now.acsUrls;
  }
  const attributes = app.attributes.map((mapping) => {
    const row = entry.saml?.attributes.find((a) => a.name === mapping.name && a.value !== undefined);
    return row && mapping.value === renderTemplate(row.value ?? '', before) ? { ...mapping, value: renderTemplate(row.value ?? '', after) } : mapping;
  });
  const template = entry.bookmark?.urlTemplate;
  const bookmarkUrl = template && app.bookmarkUrl === renderTemplate(template, before) ? renderTemplate(template, after) : app.bookmarkUrl;
  return { sso, attributes, bookmarkUrl };
}

/** Placeholders still left in what the app would send or open: activation waits for them. */
export function unreplacedPlaceholders(app: Pick<Application, 'sso' | 'attributes' | 'bookmarkUrl'>): string[] {
  const texts = [
    ...(app.sso ? [app.sso.spEntityId, app.sso.loginUrl, app.sso.defaultRelayState, ...app.sso.acsEndpoints.map((e) => e.url)] : []),
    ...app.attributes.map((a) => a.value ?? ''),
    app.bookmarkUrl ?? '',
  ];
  return unreplaced(texts);
}
