/**
 * Helpers templates call. Pages run under a CSP without inline styles, so a colour indicator is an
 * SVG data URI (allowed by img-src data:), built only from a validated #rrggbb colour.
 */
export function swatchSrc(color: string): string {
  const fill = /^#[0-9a-fA-F]{6}$/.test(color) ? color : '#57606a';
  return `data:image/svg+xml,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><rect width="32" height="32" rx="8" fill="${fill}"/></svg>`)}`;
}

/** A date as admins read it: "1 Dec 2026, 21:30 UTC". */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  return `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })}, ${d.toISOString().slice(11, 16)} UTC`;
}
