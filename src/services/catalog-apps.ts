import type { CatalogEntry } from '../catalog/loader';
import { renderTemplate, unreplaced } from '../catalog/template';
import { unprocessable } from '../errors';
import type { Application, AttributeMapping } from '../store';
import type { SsoInput } from './application-input';

/**
 * An application is an instance of a catalog entry: its SAML values start as the entry's
 * templates with the admin's placeholder values filled in (every instance replaced). Fields an
 * admin later edits by hand are theirs: a new placeholder value only re-renders a field that
 * still holds what the old values rendered, and the admin may ask for any field to be re-rendered.
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

/** The templated text fields of the SSO settings (ACS URLs and attribute constants follow too). */
const TEMPLATED_TEXT = ['spEntityId', 'loginUrl', 'defaultRelayState'] as const;

/** Names a field in `rerender` and in the SSO tab's "edited by hand" marks. */
export const RERENDER_KEY = /^(?:spEntityId|loginUrl|defaultRelayState|acsUrls|bookmarkUrl|attributes\..{1,300})$/;

export interface SentFields {
  sso: Partial<SsoInput>;
  attributes?: AttributeMapping[];
  bookmarkUrl?: string;
}

/**
 * The templated fields to save when placeholder values go from `before` to `after` (issue 9 #24).
 * A field follows its template when its value (sent now, or stored) equals what the template
 * rendered with the previous values: the SSO tab posts every field, so a posted value that equals
 * the old rendering is "not edited" and takes the new one. A value that differs was edited by
 * hand and stays, unless the admin asks to re-render that field (`rerender`).
 */
export function followTemplates(entry: CatalogEntry, app: Application, sent: SentFields, before: Record<string, string>, after: Record<string, string>, rerender: readonly string[] = []): {
  sso: Partial<SsoInput>; attributes: AttributeMapping[]; bookmarkUrl: string | null;
} {
  const follow = (key: string, current: string, was: string, now: string) => (rerender.includes(key) || current === was ? now : current);
  const sso: Partial<SsoInput> = { ...sent.sso };
  if (app.sso && entry.saml) {
    const was = templateSso(entry, before);
    const now = templateSso(entry, after);
    for (const key of TEMPLATED_TEXT) sso[key] = follow(key, sent.sso[key] ?? app.sso[key], was[key] as string, now[key] as string);
    const wasUrls = was.acsUrls ?? [];
    const nowUrls = now.acsUrls ?? [];
    const followUrl = (url: string) => (wasUrls.includes(url) ? nowUrls[wasUrls.indexOf(url)] : url);
    const urls = sent.sso.acsUrls ?? app.sso.acsEndpoints.map((e) => e.url);
    sso.acsUrls = rerender.includes('acsUrls') ? nowUrls : urls.map(followUrl);
    const currentDefault = sent.sso.defaultAcsUrl ?? app.sso.acsEndpoints.find((e) => e.isDefault)?.url;
    const followed = currentDefault === undefined ? undefined : followUrl(currentDefault);
    sso.defaultAcsUrl = followed !== undefined && sso.acsUrls.includes(followed) ? followed : undefined;
  }
  const rows = entry.saml?.attributes ?? [];
  const attributes = (sent.attributes ?? app.attributes).map((mapping) => {
    const row = rows.find((a) => a.name === mapping.name && a.value !== undefined);
    if (!row || mapping.value === undefined) return mapping;
    const value = follow(`attributes.${mapping.name}`, mapping.value, renderTemplate(row.value ?? '', before), renderTemplate(row.value ?? '', after));
    return { ...mapping, value };
  });
  const template = entry.bookmark?.urlTemplate;
  let bookmarkUrl = sent.bookmarkUrl ?? app.bookmarkUrl;
  if (template && bookmarkUrl !== null) {
    // An emptied Bookmark URL means "not known yet": the template (YOUR_BOOKMARK_URL) comes back.
    bookmarkUrl = bookmarkUrl === '' ? renderTemplate(template, after)
      : follow('bookmarkUrl', bookmarkUrl, renderTemplate(template, before), renderTemplate(template, after));
  }
  return { sso, attributes, bookmarkUrl };
}

/**
 * The fields whose value differs from what the catalog template renders with the app's current
 * placeholder values, with that rendering: the SSO tab marks them "edited by hand" and offers to
 * re-render them. A template that still holds an unreplaced placeholder offers nothing to go back to.
 */
export function handEditedFields(entry: CatalogEntry, app: Application): { key: string; template: string }[] {
  const out: { key: string; template: string }[] = [];
  const offer = (key: string, current: string, rendering: string) => {
    if (current !== rendering && unreplaced([rendering]).length === 0) out.push({ key, template: rendering });
  };
  if (app.sso && entry.saml) {
    const now = templateSso(entry, app.placeholders);
    for (const key of TEMPLATED_TEXT) offer(key, app.sso[key], now[key] as string);
    offer('acsUrls', app.sso.acsEndpoints.map((e) => e.url).join('\n'), (now.acsUrls ?? []).join('\n'));
  }
  for (const mapping of app.attributes) {
    const row = entry.saml?.attributes.find((a) => a.name === mapping.name && a.value !== undefined);
    if (row && mapping.value !== undefined) offer(`attributes.${mapping.name}`, mapping.value, renderTemplate(row.value ?? '', app.placeholders));
  }
  return out;
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
