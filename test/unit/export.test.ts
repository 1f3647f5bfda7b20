import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../electron/core/message/message.ts';
import { exportHeader, exportLine, parseSince, writeExport } from '../../electron/core/store/export.ts';

function message(overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    seq: 7,
    id: 'm-7',
    connectionId: 'plant',
    channel: 'Alarms',
    topic: 'plant/alarms',
    title: 'Pump 3',
    body: 'pressure high',
    priority: 4,
    tags: ['pump', 'pressure'],
    click: undefined,
    retained: false,
    sentAtMs: undefined,
    receivedAtMs: Date.UTC(2026, 10, 22, 8, 30),
    readAtMs: undefined,
    ...overrides,
  };
}

describe('export lines', () => {
  it('writes one JSON object per line with ISO times and nulls for what is missing', () => {
    const line = exportLine(message({ readAtMs: Date.UTC(2026, 10, 22, 9) }), 'jsonl');
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      seq: 7,
      id: 'm-7',
      connection: 'plant',
      channel: 'Alarms',
      topic: 'plant/alarms',
      title: 'Pump 3',
      body: 'pressure high',
      priority: 4,
      tags: ['pump', 'pressure'],
      click: null,
      receivedAt: '2026-11-22T08:30:00.000Z',
      sentAt: null,
      readAt: '2026-11-22T09:00:00.000Z',
      acknowledgedAt: null,
    });
  });

  it('keeps a body with line breaks on one JSONL line', () => {
    const line = exportLine(message({ body: 'line 1\nline 2\r\n"quoted"' }), 'jsonl');
    expect(line.split('\n')).toHaveLength(2);
    expect((JSON.parse(line) as { body: string }).body).toBe('line 1\nline 2\r\n"quoted"');
  });

  it('quotes CSV cells with commas, quotes and line breaks, and defuses spreadsheet formulas', () => {
    const line = exportLine(message({ title: '=HYPERLINK("http://x","y")', body: 'a, "b"\nc', tags: ['-1', '@x'] }), 'csv');
    expect(exportHeader('csv')).toBe('seq,id,connection,channel,topic,title,body,priority,tags,click,receivedAt,sentAt,readAt,acknowledgedAt\r\n');
    expect(line).toBe(
      `7,m-7,plant,Alarms,plant/alarms,"'=HYPERLINK(""http://x"",""y"")","a, ""b""\nc",4,'-1 @x,,2026-11-22T08:30:00.000Z,,,\r\n`,
    );
  });

  it('streams a header and every message, waiting for the writer', async () => {
    const chunks: string[] = [];
    let waits = 0;
    const messages = Array.from({ length: 2000 }, (_, i) => message({ seq: i + 1, id: `m-${i}`, body: 'x'.repeat(100) }));
    const count = await writeExport(messages, 'csv', async (chunk) => {
      chunks.push(chunk);
      waits++;
      await Promise.resolve();
    });
    const lines = chunks.join('').split('\r\n').filter((l) => l !== '');
    expect(count).toBe(2000);
    expect(lines).toHaveLength(2001);
    expect(lines[0]?.startsWith('seq,')).toBe(true);
    expect(waits).toBeGreaterThan(1);
  });
});

describe('parseSince', () => {
  const now = Date.UTC(2026, 10, 22, 12);

  it('reads ages in minutes, hours and days', () => {
    expect(parseSince('90m', now)).toBe(now - 90 * 60_000);
    expect(parseSince('24h', now)).toBe(now - 24 * 3_600_000);
    expect(parseSince('7d', now)).toBe(now - 7 * 86_400_000);
  });

  it('reads ISO dates and date-times', () => {
    expect(parseSince('2026-11-01T08:00:00Z', now)).toBe(Date.UTC(2026, 10, 1, 8));
    expect(parseSince('2026-11-01', now)).toBe(Date.UTC(2026, 10, 1));
  });

  it('names a value that is neither', () => {
    expect(() => parseSince('yesterday', now)).toThrow('--since: "yesterday" is neither a date');
    expect(() => parseSince('12', now)).toThrow(/neither/);
    expect(() => parseSince('2026-13-45', now)).toThrow(/neither/);
  });
});
