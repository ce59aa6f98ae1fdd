/** Escape text for HTML and XML markup we write by hand (text and quoted attribute values). */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
