import { escapeHtml } from './html';

/**
 * A small Markdown renderer for the catalog READMEs (headings, lists, tables, paragraphs, `code`,
 * **bold**, <autolinks>): everything is escaped first, so no HTML in a README reaches a page.
 * Placeholder values such as `<PUBLIC_URL>/saml2/<slug>` are replaced by the caller beforehand.
 */

function inline(text: string): string {
  return escapeHtml(text)
    .replace(/&#60;(https:\/\/[^\s&]+?)&#62;/g, (_m, url: string) => `<a href="${url}" rel="noopener noreferrer">${url}</a>`)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

export function renderMarkdown(source: string): string {
  const out: string[] = [];
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  let list: 'ul' | 'ol' | undefined;
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) out.push(`<p>${inline(paragraph.join(' '))}</p>`);
    paragraph = [];
    if (list) out.push(`</${list}>`);
    list = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heading = /^(#{1,4}) (.*)$/.exec(line);
    const bullet = /^\s*- (.*)$/.exec(line);
    const numbered = /^\s*\d+\. (.*)$/.exec(line);
    if (heading) {
      flush();
      const level = Math.min(heading[1].length + 1, 5);
      out.push(`<h${level}>${inline(heading[2])}</h${level}>`);
    } else if (line.startsWith('|') && lines[i + 1]?.startsWith('|---')) {
      flush();
      const cells = (row: string) => row.replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
      out.push(`<table><thead><tr>${cells(line).map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>`);
      i += 2;
      for (; i < lines.length && lines[i].startsWith('|'); i++) out.push(`<tr>${cells(lines[i]).map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`);
      i -= 1;
      out.push('</tbody></table>');
    } else if (bullet || numbered) {
      const kind = bullet ? 'ul' : 'ol';
      if (paragraph.length) { out.push(`<p>${inline(paragraph.join(' '))}</p>`); paragraph = []; }
      if (list !== kind) {
        if (list) out.push(`</${list}>`);
        out.push(`<${kind}>`);
        list = kind;
      }
      out.push(`<li>${inline((bullet ?? numbered)![1])}</li>`);
    } else if (line.trim() === '') {
      flush();
    } else if (list && /^\s{2,}/.test(line)) {
      // A continuation line of the previous list item.
      out[out.length - 1] = out[out.length - 1].replace(/<\/li>$/, ` ${inline(line.trim())}</li>`);
    } else {
      if (list) { out.push(`</${list}>`); list = undefined; }
      paragraph.push(line.trim());
    }
  }
  flush();
  return out.join('\n');
}
