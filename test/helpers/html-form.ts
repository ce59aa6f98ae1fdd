/**
 * The fields a browser would submit from one form of a page (inputs, checked boxes, textareas,
 * selected options), so an HTTP test can post "the page as shown" with a few changes.
 */
const decode = (s: string) => s.replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const attr = (tag: string, name: string) => {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match ? decode(match[1]) : undefined;
};

export function formFields(html: string, formId: string): Record<string, string | string[]> {
  const start = html.indexOf(`id="${formId}"`);
  if (start < 0) throw new Error(`no form #${formId} in the page`);
  const form = html.slice(start, html.indexOf('</form>', start));
  const out: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const prior = out[name];
    out[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  };
  for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(tag, 'name');
    if (!name) continue;
    const type = attr(tag, 'type') ?? 'text';
    if ((type === 'checkbox' || type === 'radio') && !/\schecked\b/.test(tag)) continue;
    add(name, attr(tag, 'value') ?? 'on');
  }
  for (const [, tag, body] of form.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/g)) {
    const name = attr(tag, 'name');
    if (name) add(name, decode(body));
  }
  for (const [, tag, body] of form.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
    const name = attr(tag, 'name');
    const options = [...body.matchAll(/<option\b([^>]*)>/g)].map((m) => m[1]);
    const chosen = options.find((o) => /\sselected\b/.test(o)) ?? options[0];
    if (name && chosen !== undefined) add(name, attr(chosen, 'value') ?? '');
  }
  return out;
}
