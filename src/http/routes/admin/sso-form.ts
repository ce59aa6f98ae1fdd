import type { CatalogEntry } from '../../../catalog/loader';
import { renderTemplate } from '../../../catalog/template';
import type { SamlApplication } from '../../../store';
import { USER_ATTRIBUTE_SOURCES } from '../../../services/application-input';
import { checked, field, fields } from './common';

/**
 * The SSO tab as a form: from an application (and its catalog entry) to the rows the page shows,
 * and from a submitted form back to the input `updateApplication` takes. Saving replaces every
 * instance of each placeholder in every text field, as the seeds' "replace any instances of
 * YOUR_SUBDOMAIN" step expects.
 */
export interface AttributeRow {
  key: string;
  name: string;
  kind: 'source' | 'value';
  source: string;
  value: string;
  enabled: boolean;
  locked: boolean;
  required: boolean;
  jit: boolean;
  help?: string;
}

export interface SsoFormValues {
  placeholders: Record<string, string>;
  idpEntityId: string;
  spEntityId: string;
  acsUrls: string;
  loginUrl: string;
  defaultRelayState: string;
  nameIdFormat: string;
  nameIdSource: string;
  signing: 'assertion' | 'response' | 'both';
  signatureAlgorithm: string;
  spCertificate: string;
  requireSignedRequests: boolean;
  attributes: AttributeRow[];
  /** Fields the admin asked to render again from the catalog template. */
  rerender: string[];
}

const BLANK_ROWS = 2;

function blankRow(i: number): AttributeRow {
  return { key: `new-${i}`, name: '', kind: 'source', source: 'email', value: '', enabled: false, locked: false, required: false, jit: false };
}

/** Catalog rows first (on or off), then the admin's own attributes, then blank rows to add more. */
export function attributeRows(entry: CatalogEntry, app: SamlApplication): AttributeRow[] {
  const catalogRows = entry.saml?.attributes ?? [];
  const rows: AttributeRow[] = catalogRows.map((a, i) => {
    const current = app.attributes.find((m) => m.name === a.name);
    const source = current?.source ?? a.source;
    return {
      key: `catalog-${i}`, name: a.name, kind: (current ? current.value !== undefined : a.value !== undefined) ? 'value' : 'source',
      source: source ?? 'email', value: current?.value ?? renderTemplate(a.value ?? '', app.placeholders),
      enabled: Boolean(current), locked: a.locked, required: a.required, jit: a.jit, help: a.help,
    };
  });
  app.attributes.filter((m) => !catalogRows.some((a) => a.name === m.name)).forEach((m, i) => {
    rows.push({
      key: `custom-${i}`, name: m.name, kind: m.value !== undefined ? 'value' : 'source', source: m.source ?? 'email',
      value: m.value ?? '', enabled: true, locked: false, required: false, jit: false,
    });
  });
  for (let i = 0; i < BLANK_ROWS; i++) rows.push(blankRow(i));
  return rows;
}

export function formValuesOf(entry: CatalogEntry, app: SamlApplication): SsoFormValues {
  const sso = app.sso;
  const urls = [...sso.acsEndpoints].sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || a.index - b.index).map((e) => e.url);
  return {
    placeholders: Object.fromEntries(entry.placeholders.map((p) => [p.name, app.placeholders[p.name] ?? ''])),
    idpEntityId: sso.idpEntityId, spEntityId: sso.spEntityId, acsUrls: urls.join('\n'), loginUrl: sso.loginUrl,
    defaultRelayState: sso.defaultRelayState, nameIdFormat: sso.nameIdFormat, nameIdSource: sso.nameIdSource,
    signing: sso.signAssertion && sso.signResponse ? 'both' : sso.signResponse ? 'response' : 'assertion',
    signatureAlgorithm: sso.signatureAlgorithm, spCertificate: sso.spCertificatePem ?? '', requireSignedRequests: sso.requireSignedRequests,
    attributes: attributeRows(entry, app), rerender: [],
  };
}

/** What the admin submitted, as form values again (to show it back when it is refused). */
export function formValuesFromBody(entry: CatalogEntry, body: Record<string, unknown>): SsoFormValues {
  const count = Math.min(Number(field(body, 'attr_count')) || 0, 60);
  const catalogRows = entry.saml?.attributes ?? [];
  const attributes: AttributeRow[] = [];
  for (let i = 0; i < count; i++) {
    const key = field(body, `attr_key_${i}`);
    const catalogRow = /^catalog-(\d+)$/.test(key) ? catalogRows[Number(key.slice(8))] : undefined;
    attributes.push({
      key, name: catalogRow?.locked ? catalogRow.name : field(body, `attr_name_${i}`).trim(),
      kind: field(body, `attr_kind_${i}`) === 'value' ? 'value' : 'source', source: field(body, `attr_source_${i}`),
      value: field(body, `attr_value_${i}`), enabled: checked(body, `attr_enabled_${i}`),
      locked: catalogRow?.locked ?? false, required: catalogRow?.required ?? false, jit: catalogRow?.jit ?? false, help: catalogRow?.help,
    });
  }
  const signing = field(body, 'signing');
  return {
    placeholders: Object.fromEntries(entry.placeholders.map((p) => [p.name, field(body, `ph_${p.name}`).trim()])),
    idpEntityId: field(body, 'idpEntityId').trim(), spEntityId: field(body, 'spEntityId').trim(), acsUrls: field(body, 'acsUrls'),
    loginUrl: field(body, 'loginUrl').trim(), defaultRelayState: field(body, 'defaultRelayState'),
    nameIdFormat: field(body, 'nameIdFormat'), nameIdSource: field(body, 'nameIdSource'),
    signing: signing === 'both' || signing === 'response' ? signing : 'assertion', signatureAlgorithm: field(body, 'signatureAlgorithm'),
    spCertificate: field(body, 'spCertificate').trim(), requireSignedRequests: checked(body, 'requireSignedRequests'), attributes,
    rerender: fields(body, 'rerender').slice(0, 60),
  };
}

/** The update input for the applications service; placeholders are replaced in every text field. */
export function updateInputOf(values: SsoFormValues): Record<string, unknown> {
  const filled = Object.fromEntries(Object.entries(values.placeholders).filter(([, v]) => v !== ''));
  const render = (text: string) => renderTemplate(text, filled);
  const acsUrls = values.acsUrls.split(/\r?\n/).map((u) => render(u.trim())).filter(Boolean);
  const sources = USER_ATTRIBUTE_SOURCES as readonly string[];
  return {
    placeholders: values.placeholders,
    ...(values.rerender.length > 0 ? { rerender: values.rerender } : {}),
    sso: {
      idpEntityId: values.idpEntityId || undefined, spEntityId: render(values.spEntityId), acsUrls, defaultAcsUrl: acsUrls[0],
      loginUrl: render(values.loginUrl), defaultRelayState: render(values.defaultRelayState),
      nameIdFormat: values.nameIdFormat, nameIdSource: values.nameIdSource,
      signAssertion: values.signing !== 'response', signResponse: values.signing !== 'assertion',
      signatureAlgorithm: values.signatureAlgorithm, spCertificate: values.spCertificate || null,
      requireSignedRequests: values.requireSignedRequests,
    },
    attributes: values.attributes.filter((a) => a.enabled && a.name !== '').map((a) => (a.kind === 'value'
      ? { name: a.name, value: render(a.value) }
      : { name: a.name, source: sources.includes(a.source) ? a.source : 'email' })),
  };
}
