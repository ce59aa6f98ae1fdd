import type { EventBucket } from '../store';
import { escapeHtml } from './html';

/**
 * The Directory Insights chart: stacked bars of successes (green) and failures (red) per time
 * bucket, as an inline SVG with no script, so it reads at a glance and passes the CSP.
 */

export function eventsChartSvg(buckets: EventBucket[], labelOf: (start: string) => string): string {
  const width = 960;
  const height = 180;
  const pad = { left: 36, bottom: 24, top: 8 };
  const max = Math.max(1, ...buckets.map((b) => b.success + b.failure));
  const slot = (width - pad.left) / Math.max(1, buckets.length);
  const bar = Math.max(2, slot * 0.7);
  const scale = (n: number) => (n / max) * (height - pad.bottom - pad.top);
  const bars = buckets.map((b, i) => {
    const x = pad.left + i * slot + (slot - bar) / 2;
    const ok = scale(b.success);
    const bad = scale(b.failure);
    const base = height - pad.bottom;
    const title = `<title>${escapeHtml(labelOf(b.start))}: ${b.success} succeeded, ${b.failure} failed</title>`;
    return `<g>${title}<rect x="${x.toFixed(1)}" y="${(base - ok).toFixed(1)}" width="${bar.toFixed(1)}" height="${ok.toFixed(1)}" fill="#2f9e55"/>`
      + `<rect x="${x.toFixed(1)}" y="${(base - ok - bad).toFixed(1)}" width="${bar.toFixed(1)}" height="${bad.toFixed(1)}" fill="#c9372c"/></g>`;
  }).join('');
  const step = Math.max(1, Math.ceil(buckets.length / 8));
  const labels = buckets.map((b, i) => (i % step === 0
    ? `<text x="${(pad.left + i * slot + slot / 2).toFixed(1)}" y="${height - 6}" font-size="11" text-anchor="middle" fill="#5b6478">${escapeHtml(labelOf(b.start))}</text>` : '')).join('');
  const total = buckets.reduce((n, b) => n + b.success + b.failure, 0);
  const failed = buckets.reduce((n, b) => n + b.failure, 0);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="${total} events, ${failed} failed" class="chart">`
    + `<text x="0" y="${pad.top + 10}" font-size="11" fill="#5b6478">${max}</text>`
    + `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width}" y2="${height - pad.bottom}" stroke="#d9dee8"/>${bars}${labels}</svg>`;
}
