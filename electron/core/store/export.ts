import type { StoredMessage } from '../message/message.ts';

/** Formats history can be exported in. */
export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The fields of an exported message, in column order. */
const COLUMNS = [
  'seq',
  'id',
  'connection',
  'channel',
  'topic',
  'title',
  'body',
  'priority',
  'tags',
  'click',
  'receivedAt',
  'sentAt',
  'readAt',
  'acknowledgedAt',
] as const;

type ExportRecord = Record<(typeof COLUMNS)[number], string | number | string[] | null>;

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

function toRecord(m: StoredMessage): ExportRecord {
  return {
    seq: m.seq,
    id: m.id,
    connection: m.connectionId,
    channel: m.channel,
    topic: m.topic,
    title: m.title,
    body: m.body,
    priority: m.priority,
    tags: [...m.tags],
    click: m.click ?? null,
    receivedAt: iso(m.receivedAtMs),
    sentAt: iso(m.sentAtMs),
    readAt: iso(m.readAtMs),
    acknowledgedAt: iso(m.acknowledgedAtMs),
  };
}

/**
 * One CSV cell (RFC 4180). A text starting with = + - @ or a tab gets a leading apostrophe, so a
 * spreadsheet shows a hostile message's "=HYPERLINK(...)" as text instead of running it.
 */
function csvCell(value: string | number | string[] | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  let text = Array.isArray(value) ? value.join(' ') : value;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The first line of a CSV export (none for JSONL). */
export function exportHeader(format: ExportFormat): string {
  return format === 'csv' ? `${COLUMNS.join(',')}\r\n` : '';
}

/** One message as a line of the export, line break included. */
export function exportLine(message: StoredMessage, format: ExportFormat): string {
  const record = toRecord(message);
  if (format === 'jsonl') return `${JSON.stringify(record)}\n`;
  return `${COLUMNS.map((c) => csvCell(record[c])).join(',')}\r\n`;
}

/**
 * Writes messages as JSONL (one JSON object per line) or CSV, waiting whenever `write` says the output
 * is full, so a million messages never sit in memory at once.
 *
 * @returns how many messages were written.
 */
export async function writeExport(
  messages: Iterable<StoredMessage>,
  format: ExportFormat,
  write: (chunk: string) => void | Promise<void>,
): Promise<number> {
  let count = 0;
  let chunk = exportHeader(format);
  for (const message of messages) {
    chunk += exportLine(message, format);
    count++;
    if (chunk.length >= 64 * 1024) {
      await write(chunk);
      chunk = '';
    }
  }
  if (chunk !== '') await write(chunk);
  return count;
}

/**
 * Reads a --since value: an ISO date or date-time ("2026-11-01", "2026-11-01T08:00:00Z"), or an age
 * ("90m", "24h", "7d") counted back from `nowMs`.
 *
 * @throws Error naming the value when it is neither.
 */
export function parseSince(value: string, nowMs: number): number {
  const age = /^(\d+)\s*(m|h|d)$/.exec(value.trim());
  if (age) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 'm' | 'h' | 'd'];
    return nowMs - Number(age[1]) * unit;
  }
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new Error(`--since: "${value}" is neither a date (2026-11-01, 2026-11-01T08:00:00Z) nor an age (90m, 24h, 7d)`);
  return ms;
}
