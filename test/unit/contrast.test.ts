import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

/** WCAG 2.1 §1.4.3: text colours of the stylesheet against their backgrounds, at least 4.5:1. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const ratio = (a: string, b: string) => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};

describe('Colour contrast of the pages (views/static/gatehouse.css)', () => {
  const css = fs.readFileSync(path.join(__dirname, '../../views/static/gatehouse.css'), 'utf8');
  const vars = Object.fromEntries([...css.matchAll(/--([a-z-]+):\s*(#[0-9a-fA-F]{6})/g)].map((m) => [m[1], m[2]]));
  const pairs: [string, string, string][] = [
    ['body text', vars.ink, vars.bg], ['body text on cards', vars.ink, '#ffffff'], ['muted text on cards', vars.muted, '#ffffff'],
    ['muted text on the page', vars.muted, vars.bg], ['links', vars.brand, '#ffffff'], ['primary buttons', vars['brand-ink'], vars.brand],
    ['errors', vars.danger, '#ffffff'], ['success badges', '#1a6b33', '#dcf5e3'], ['error flashes', vars.danger, '#fde7e4'],
  ];
  for (const [what, fg, bg] of pairs) {
    it(`${what}: ${fg} on ${bg} is at least 4.5:1`, () => {
      expect(ratio(fg, bg)).to.be.at.least(4.5);
    });
  }
});
