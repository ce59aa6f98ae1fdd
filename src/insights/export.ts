import type { EventRecord } from '../store';

/**
 * Directory Insights exports. CSV (RFC 4180) with every cell quoted, and cells that a spreadsheet
 * would run as a formula (= + - @, tab, CR) prefixed with an apostrophe (OWASP CSV injection).
 * JSON Lines: one event per line, as the API returns it.
 */
const COLUMNS: (keyof EventRecord)[] = ['id', 'time', 'type', 'outcome', 'reason', 'actorType', 'actorId', 'actorLabel',
  'targetType', 'targetId', 'targetLabel', 'appId', 'clientIp', 'detail'];

function cell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function eventsToCsv(events: EventRecord[]): string {
  return [COLUMNS.join(','), ...events.map((e) => COLUMNS.map((c) => cell(e[c])).join(','))].join('\r\n') + '\r\n';
}

export function eventsToJsonLines(events: EventRecord[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : '');
}
