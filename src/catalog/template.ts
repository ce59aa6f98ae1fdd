import { PLACEHOLDER_NAME } from './schema';

/**
 * Placeholder templates: `https://YOUR_SUBDOMAIN.monday.com/saml` with `{ YOUR_SUBDOMAIN: 'acme' }`
 * becomes `https://acme.monday.com/saml`. Every instance is replaced; a placeholder without a
 * value stays visible in the text, and `unreplaced` names it so activation can be refused.
 */
const IN_TEXT = /YOUR_[A-Z0-9_]+/g;

export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(IN_TEXT, (name) => (values[name] !== undefined && values[name] !== '' ? values[name] : name));
}

/** The placeholders still present in these texts, each once, in order of appearance. */
export function unreplaced(texts: readonly string[]): string[] {
  const found = new Set<string>();
  for (const text of texts) for (const name of text.match(IN_TEXT) ?? []) if (PLACEHOLDER_NAME.test(name)) found.add(name);
  return [...found];
}
