import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { ScriptedSignals } from '../../electron/core/heartbeat/system-signals.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import type { Priority, StoredMessage } from '../../electron/core/message/message.ts';
import type { NotificationRequest } from '../../electron/core/notify/notifier.ts';
import { MessageStore, type NewMessage } from '../../electron/core/store/message-store.ts';
import { startHeadless, type HeadlessApp } from '../../electron/headless/headless-app.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/net.ts';

/**
 * History export: `npm run hub -- export` (the real CLI, as a child process) on a store filled with
 * hostile text, beside a running hub, and the bridge's /export download compared with it.
 */

const CLI = fileURLToPath(new URL('../../electron/headless/cli.ts', import.meta.url));

/** Runs `cli.ts export ...` to its end; stdout is decoded once, so no character is split. */
function runExport(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'export', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** A small RFC 4180 reader: quoted fields with "" escapes and line breaks inside, rows ended by CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        cell += c;
        i++;
      }
    } else if (c === '"') {
      if (cell !== '') throw new Error(`a quote inside an unquoted field at ${i}`);
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 2;
    } else if (c === '\n' || c === '\r') {
      throw new Error(`a bare line break outside quotes at ${i}`);
    } else {
      cell += c;
      i++;
    }
  }
  if (quoted) throw new Error('the text ends inside a quoted field');
  if (cell !== '' || row.length > 0) throw new Error('the last row has no CRLF');
  return rows;
}

const COLUMNS = ['seq', 'id', 'connection', 'channel', 'topic', 'title', 'body', 'priority', 'tags', 'click', 'receivedAt', 'sentAt', 'readAt', 'acknowledgedAt'];

/** One exported message as the test expects it, built from what it wrote (not from the exporter). */
interface Expected {
  seq: number;
  id: string;
  connection: string;
  channel: string;
  topic: string;
  title: string;
  body: string;
  priority: number;
  tags: string[];
  click: string | null;
  receivedAt: string;
  sentAt: string | null;
  readAt: string | null;
  acknowledgedAt: string | null;
}

/** A cell as a spreadsheet-safe CSV should hold it: formula starters neutralised by an apostrophe. */
const safeCell = (text: string): string => (/^[=+\-@\t]/.test(text) ? `'${text}` : text);

function csvRow(e: Expected): string[] {
  return [
    String(e.seq),
    e.id,
    e.connection,
    e.channel,
    e.topic,
    safeCell(e.title),
    safeCell(e.body),
    String(e.priority),
    safeCell(e.tags.join(' ')),
    e.click ?? '',
    e.receivedAt,
    e.sentAt ?? '',
    e.readAt ?? '',
    e.acknowledgedAt ?? '',
  ];
}

const ALPHA = 'Alpha';
const OPS = 'Ops, night "shift"';
const MINUTE = 60_000;

/** The stored history: hostile text in two channels, received at known times (minutes ago). */
const SPEC: { minutesAgo: number; channel: string; title: string; body: string; tags?: string[]; priority?: Priority; click?: string; sentMinutesAgo?: number }[] = [
  { minutesAgo: 600, channel: ALPHA, title: 'He said "hi", then left', body: 'line one\nline two, with a comma\nline three', tags: ['a,b', 'quote"d'], click: 'https://example.com/a?b=1,c=2' },
  { minutesAgo: 500, channel: OPS, title: '=HYPERLINK("http://evil.example/","click me")', body: '+SUM(A1:A2)', tags: ['@admin', 'x'], priority: 5 },
  { minutesAgo: 400, channel: ALPHA, title: '<script>alert(1)</script>', body: 'ünïcödé — 日本語 — 🚨 — עברית — <img src=x onerror=alert(1)>' },
  { minutesAgo: 300, channel: OPS, title: '-42 degrees', body: 'windows\r\nline end, "quoted"', sentMinutesAgo: 301 },
  { minutesAgo: 200, channel: ALPHA, title: '\tindented', body: '' },
  { minutesAgo: 150, channel: OPS, title: '@channel deploy', body: 'plain', tags: ['=cmd|calc'] },
  { minutesAgo: 100, channel: ALPHA, title: 'plain 6', body: 'a;b;c', priority: 1 },
  { minutesAgo: 60, channel: OPS, title: 'plain 7', body: 'trailing space ' },
  { minutesAgo: 30, channel: ALPHA, title: 'plain 8', body: '"', tags: ['t1', 't2'] },
  { minutesAgo: 5, channel: OPS, title: 'plain 9', body: 'last, newest' },
];

describe('npm run hub -- export, and the bridge download', () => {
  let dir: string;
  let dataDir: string;
  let expected: Expected[];
  let nowMs: number;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-export-'));
    dataDir = join(dir, 'data');
    nowMs = Date.now();
    const store = MessageStore.open(dataDir);
    const items: NewMessage[] = SPEC.map((s, i) => ({
      message: {
        id: `msg-${i}`,
        title: s.title,
        body: s.body,
        priority: s.priority ?? 3,
        tags: s.tags ?? [],
        click: s.click,
        sentAtMs: s.sentMinutesAgo === undefined ? undefined : nowMs - s.sentMinutesAgo * MINUTE,
      },
      origin: { connectionId: 'c', channel: s.channel, topic: `t/${i}`, retained: false, receivedAtMs: nowMs - s.minutesAgo * MINUTE },
    }));
    const added = store.insertBatch(items);
    expect(added.map((m) => m.seq)).toEqual(SPEC.map((_, i) => i + 1));
    const readAt = nowMs - 250 * MINUTE;
    const ackAt = nowMs - 240 * MINUTE;
    store.markRead(1, readAt);
    store.markAcknowledgedWithReceipt(3, ackAt, () => undefined);
    store.close();
    expected = SPEC.map((s, i) => ({
      seq: i + 1,
      id: `msg-${i}`,
      connection: 'c',
      channel: s.channel,
      topic: `t/${i}`,
      title: s.title,
      body: s.body,
      priority: s.priority ?? 3,
      tags: s.tags ?? [],
      click: s.click ?? null,
      receivedAt: new Date(nowMs - s.minutesAgo * MINUTE).toISOString(),
      sentAt: s.sentMinutesAgo === undefined ? null : new Date(nowMs - s.sentMinutesAgo * MINUTE).toISOString(),
      readAt: i === 0 ? new Date(readAt).toISOString() : i === 2 ? new Date(ackAt).toISOString() : null,
      acknowledgedAt: i === 2 ? new Date(ackAt).toISOString() : null,
    }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const jsonl = (stdout: string): unknown[] => {
    expect(stdout === '' || stdout.endsWith('\n')).toBe(true);
    return stdout
      .split('\n')
      .slice(0, -1)
      .map((line) => JSON.parse(line) as unknown);
  };

  describe('from a closed store', () => {
    it('writes JSONL by default: one JSON object per message, oldest first, fields as stored', async () => {
      const result = await runExport(['--data-dir', dataDir]);
      expect(result.code).toBe(0);
      expect(jsonl(result.stdout)).toEqual(expected);
      expect(result.stdout.split('\n')).toHaveLength(SPEC.length + 1); // newlines inside text stay escaped
      expect(result.stderr).toContain(`${SPEC.length} messages`);
    });

    it('writes RFC 4180 CSV: a header, one row per message, formulas neutralised, line breaks kept inside quotes', async () => {
      const result = await runExport(['--data-dir', dataDir, '--format', 'csv']);
      expect(result.code).toBe(0);
      const rows = parseCsv(result.stdout);
      expect(rows[0]).toEqual(COLUMNS);
      expect(rows.slice(1)).toEqual(expected.map(csvRow));
      // Spot checks on the raw text, as a spreadsheet would read it.
      expect(result.stdout).toContain(`"'=HYPERLINK(""http://evil.example/"",""click me"")"`);
      expect(result.stdout).toContain(`'+SUM(A1:A2)`);
      expect(result.stdout).toContain('"line one\nline two, with a comma\nline three"');
      expect(result.stdout).toContain('"windows\r\nline end, ""quoted"""');
      expect(result.stdout).toContain(`"${OPS.replaceAll('"', '""')}"`);
      expect(rows[2]?.[5]).toBe(`'=HYPERLINK("http://evil.example/","click me")`);
      expect(rows[6]?.[8]).toBe(`'=cmd|calc`);
    });

    it('filters by --channel, including a name with a comma and quotes', async () => {
      const ops = await runExport(['--data-dir', dataDir, '--channel', OPS]);
      expect(ops.code).toBe(0);
      expect(jsonl(ops.stdout)).toEqual(expected.filter((e) => e.channel === OPS));
      const csv = await runExport(['--data-dir', dataDir, '--channel', ALPHA, '--format', 'csv']);
      expect(parseCsv(csv.stdout).slice(1)).toEqual(expected.filter((e) => e.channel === ALPHA).map(csvRow));
      const none = await runExport(['--data-dir', dataDir, '--channel', 'No such channel', '--format', 'csv']);
      expect(none.code).toBe(0);
      expect(none.stdout).toBe(`${COLUMNS.join(',')}\r\n`);
    });

    it('filters by --since: an age (2h, 3h), an ISO date-time, and dates before and after everything', async () => {
      const since = async (value: string, extra: string[] = []): Promise<string[]> => {
        const result = await runExport(['--data-dir', dataDir, '--since', value, ...extra]);
        expect(result.code, result.stderr).toBe(0);
        return (jsonl(result.stdout) as Expected[]).map((e) => e.id);
      };
      const idsNewerThan = (minutes: number): string[] => SPEC.flatMap((s, i) => (s.minutesAgo < minutes ? [`msg-${i}`] : []));
      expect(await since('2h')).toEqual(idsNewerThan(120));
      expect(await since('3h')).toEqual(idsNewerThan(180));
      expect(await since('90m')).toEqual(idsNewerThan(90));
      expect(await since('1d')).toEqual(idsNewerThan(24 * 60));
      expect(await since(new Date(nowMs - 250 * MINUTE).toISOString())).toEqual(idsNewerThan(250));
      // Exactly at a message's time: it is included.
      expect(await since(expected[4]?.receivedAt ?? '')).toEqual(idsNewerThan(201));
      expect(await since('2000-01-01')).toHaveLength(SPEC.length);
      expect(await since('2999-01-01')).toEqual([]);
      expect(await since('3h', ['--channel', OPS])).toEqual(
        SPEC.flatMap((s, i) => (s.minutesAgo < 180 && s.channel === OPS ? [`msg-${i}`] : [])),
      );
    });

    it('exits 2 naming the bad value: an unknown --format, an unreadable --since', async () => {
      const format = await runExport(['--data-dir', dataDir, '--format', 'xml']);
      expect(format.code).toBe(2);
      expect(format.stdout).toBe('');
      expect(format.stderr).toContain('"xml"');
      for (const value of ['yesterday', '2026-13-45', '12', '-3h']) {
        const bad = await runExport(['--data-dir', dataDir, `--since=${value}`]);
        expect(bad.code, value).toBe(2);
        expect(bad.stdout).toBe('');
        expect(bad.stderr).toContain(`"${value}"`);
      }
    });

    it('exits 2 for a data directory without a store, and creates nothing there', async () => {
      const missing = join(dir, 'no-such-dir');
      const result = await runExport(['--data-dir', missing]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(missing);
      expect(existsSync(missing)).toBe(false);
      const empty = join(dir, 'empty-dir');
      mkdirSync(empty);
      const none = await runExport(['--data-dir', empty]);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain(empty);
      const noDir = await runExport([]);
      expect(noDir.code).toBe(2);
      expect(noDir.stderr).toContain('--data-dir');
    });
  });

  describe('beside a running hub', () => {
    let broker: Mosquitto;
    let app: HeadlessApp;
    const shown: NotificationRequest[] = [];
    const added: StoredMessage[] = [];
    let live: Expected[];

    beforeAll(async () => {
      broker = await startMosquitto(join(dir, 'broker'));
      const ui = join(dir, 'ui');
      mkdirSync(ui, { recursive: true });
      writeFileSync(join(ui, 'index.html'), '<!doctype html><title>ui</title>');
      const config = parseConfig({
        deviceId: 'export-desk',
        connections: [{ id: 'live', url: broker.url, reconnect: { baseMs: 100, capMs: 500 }, subscriptions: [{ topic: 'live/#', qos: 1, channel: 'Live' }] }],
      });
      app = await startHeadless({
        config,
        dataDir,
        notifier: { show: (n) => shown.push(n) },
        logger: silentLogger,
        uiDir: ui,
        signals: new ScriptedSignals(),
      });
      app.hub.on('messagesAdded', (batch) => added.push(...batch));
      await waitFor('the connection', () => (app.hub.connectionStatuses()[0]?.state === 'connected' ? true : undefined));
      // New messages that the hub has committed (in its WAL) while it keeps running.
      const publisher = await mqtt.connectAsync(broker.url);
      const probe = setInterval(() => void publisher.publishAsync('live/probe', JSON.stringify({ id: 'live-probe', title: 'probe' }), { qos: 1 }), 100);
      await waitFor('the subscription', () => (added.some((m) => m.id === 'live-probe') ? true : undefined)).finally(() => clearInterval(probe));
      await publisher.publishAsync('live/x', JSON.stringify({ id: 'live-1', title: '=1+1', message: 'while the hub runs,\n"live"' }), { qos: 1 });
      await publisher.endAsync();
      await waitFor('live-1', () => (added.some((m) => m.id === 'live-1') ? true : undefined));
      live = added
        .filter((m) => m.id.startsWith('live-'))
        .map((m) => ({
          seq: m.seq,
          id: m.id,
          connection: 'live',
          channel: 'Live',
          topic: m.topic,
          title: m.title,
          body: m.body,
          priority: 3,
          tags: [],
          click: null,
          receivedAt: new Date(m.receivedAtMs).toISOString(),
          sentAt: null,
          readAt: null,
          acknowledgedAt: null,
        }));
    });
    afterAll(async () => {
      await app?.stop();
      await broker?.stop();
    });

    const get = (path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: app.bridge.port, path, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.end();
      });
    const cookie = (): Record<string, string> => ({ Cookie: `pushdesk_${app.bridge.port}=${app.bridge.token}` });

    it('exports while the hub holds the data directory, including what it stored a moment ago', async () => {
      expect(existsSync(join(dataDir, 'pushdesk.lock'))).toBe(true);
      const result = await runExport(['--data-dir', dataDir]);
      expect(result.code, result.stderr).toBe(0);
      expect(jsonl(result.stdout)).toEqual([...expected, ...live]);
      const csv = await runExport(['--data-dir', dataDir, '--format', 'csv', '--channel', 'Live']);
      expect(parseCsv(csv.stdout).slice(1)).toEqual(live.map(csvRow));
      // The hub is unharmed and keeps working on the same store.
      expect(app.hub.listMessages({ limit: 100 })).toHaveLength(SPEC.length + live.length);
    });

    it('serves GET /export?format=csv as a download equal to the CLI output', async () => {
      const cli = await runExport(['--data-dir', dataDir, '--format', 'csv']);
      const reply = await get('/export?format=csv', cookie());
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(reply.headers['content-disposition']).toMatch(/^attachment; filename="pushdesk-\d{4}-\d{2}-\d{2}\.csv"$/);
      expect(reply.body).toBe(cli.stdout);
      expect(parseCsv(reply.body).slice(1)).toEqual([...expected, ...live].map(csvRow));
      const jsonDownload = await get('/export', cookie());
      expect(jsonDownload.status).toBe(200);
      expect(jsonDownload.headers['content-disposition']).toMatch(/\.jsonl"$/);
      expect(jsonDownload.body).toBe((await runExport(['--data-dir', dataDir])).stdout);
    });

    it('answers 401 to /export without the token, with a wrong one, and 400 to a bad format', async () => {
      for (const headers of [{}, { Cookie: `pushdesk_${app.bridge.port}=wrong` }, { Cookie: `pushdesk_1=${app.bridge.token}` }]) {
        const reply = await get('/export?format=csv', headers);
        expect(reply.status).toBe(401);
        expect(reply.body).toBe('');
        expect(reply.headers['content-disposition']).toBeUndefined();
      }
      expect((await get('/export?format=csv&token=wrong')).status).toBe(401);
      expect((await get('/export?format=xml', cookie())).status).toBe(400);
      expect((await get('/export?format=csv&since=yesterday', cookie())).status).toBe(400);
    });

    it('keeps the format, channel and since of an /export address that carries the token in its query', async () => {
      const sinceMs = Date.parse(live[0]?.receivedAt ?? '');
      const first = await get(`/export?format=csv&channel=Live&since=${sinceMs}&token=${app.bridge.token}`);
      expect(first.status).toBe(303);
      const setCookie = String(first.headers['set-cookie']);
      expect(setCookie).toContain(`pushdesk_${app.bridge.port}=${app.bridge.token}`);
      const location = String(first.headers.location);
      expect(location).not.toContain('token=');
      // The redirect keeps format, channel and since (it once went to the bare path "/export").
      const target = new URL(location, 'http://127.0.0.1');
      expect(target.pathname).toBe('/export');
      expect(Object.fromEntries(target.searchParams)).toEqual({ format: 'csv', channel: 'Live', since: String(sinceMs) });
      const followed = await get(location, cookie());
      expect(followed.status).toBe(200);
      expect(followed.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(parseCsv(followed.body).slice(1)).toEqual(live.map(csvRow));
    });

    it('hands out the download address through the contract (exportMessages) with the filters applied', async () => {
      const url = new URL(app.bridge.url);
      const ws = new WebSocket(`ws://${url.host}/ws`, { headers: { Origin: url.origin, ...cookie() } });
      const replies: { id?: number; ok?: boolean; value?: { href: string | null; path: string | null; count: number | null } }[] = [];
      ws.on('message', (data) => replies.push(JSON.parse(data.toString()) as (typeof replies)[number]));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const sinceMs = Date.parse(expected[3]?.receivedAt ?? '');
      ws.send(JSON.stringify({ type: 'call', id: 1, method: 'exportMessages', args: { format: 'csv', channel: OPS, sinceMs } }));
      const reply = await waitFor('the exportMessages result', () => replies.find((r) => r.id === 1));
      ws.close();
      expect(reply.ok).toBe(true);
      expect(reply.value?.path).toBeNull();
      const href = reply.value?.href ?? '';
      expect(href.startsWith('/export?')).toBe(true);
      const download = await get(href, cookie());
      expect(download.status).toBe(200);
      const cli = await runExport(['--data-dir', dataDir, '--format', 'csv', '--channel', OPS, '--since', new Date(sinceMs).toISOString()]);
      expect(download.body).toBe(cli.stdout);
      expect(parseCsv(download.body).slice(1)).toEqual(expected.filter((e) => e.channel === OPS && Date.parse(e.receivedAt) >= sinceMs).map(csvRow));
    });
  });
});
