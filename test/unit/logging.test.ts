import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redact } from '../../electron/core/diagnostics.ts';
import { createRotatingFileLogger, createShellLogger, formatLogLine, redactingLogger, teeLogger, type Logger } from '../../electron/core/logger.ts';
import { createAppLogger } from '../../electron/main/logging.ts';
import { startHubProcess } from '../helpers/hub-process.ts';

const NOW = Date.UTC(2026, 10, 22, 12, 0);
const lines = (path: string): Record<string, unknown>[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('log lines', () => {
  it('are one JSON object with time, level and message first, then the fields', () => {
    const line = formatLogLine('warn', 'broker refused', { connection: 'office', attempts: 3 }, NOW);
    expect(Object.keys(JSON.parse(line))).toEqual(['time', 'level', 'message', 'connection', 'attempts']);
    expect(JSON.parse(line)).toEqual({ time: '2026-11-22T12:00:00.000Z', level: 'warn', message: 'broker refused', connection: 'office', attempts: 3 });
  });

  it('cannot have their level or message replaced by a field', () => {
    expect(JSON.parse(formatLogLine('error', 'real', { level: 'info', message: 'fake' }, NOW))).toMatchObject({ level: 'error', message: 'real' });
  });
});

describe('redaction and tee', () => {
  it('removes passwords, tokens and URL credentials before any logger sees them', () => {
    const seen: [string, unknown][] = [];
    const inner: Logger = { info: (m, f) => seen.push([m, f]), warn: (m, f) => seen.push([m, f]), error: (m, f) => seen.push([m, f]) };
    const logger = redactingLogger(inner, redact);
    logger.warn('connecting to mqtt://alice:hunter2@broker.example', { password: 'hunter2', token: 'abc', passwordFile: '/etc/pw', topic: 'a/b' });
    expect(seen).toEqual([
      ['connecting to mqtt://alice:(removed)@broker.example', { password: '(removed)', token: '(removed)', passwordFile: '/etc/pw', topic: 'a/b' }],
    ]);
  });

  it('passes each line to every logger in turn', () => {
    const a: string[] = [];
    const b: string[] = [];
    const into = (list: string[]): Logger => ({ info: (m) => list.push(`info ${m}`), warn: (m) => list.push(`warn ${m}`), error: (m) => list.push(`error ${m}`) });
    const logger = teeLogger(into(a), into(b));
    logger.info('one');
    logger.error('two');
    expect(a).toEqual(['info one', 'error two']);
    expect(b).toEqual(a);
  });
});

describe('the rotating log file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-logs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates its folder and an owner-only file, and appends JSON lines', () => {
    const logger = createRotatingFileLogger({ dir: join(dir, 'nested', 'logs'), now: () => NOW });
    logger.info('hub started', { port: 8080 });
    logger.error('store failed', { error: 'disk full' });
    expect(logger.path).toBe(join(dir, 'nested', 'logs', 'pushdesk.log'));
    expect(lines(logger.path)).toEqual([
      { time: '2026-11-22T12:00:00.000Z', level: 'info', message: 'hub started', port: 8080 },
      { time: '2026-11-22T12:00:00.000Z', level: 'error', message: 'store failed', error: 'disk full' },
    ]);
    if (process.platform !== 'win32') expect(statSync(logger.path).mode & 0o777).toBe(0o600);
  });

  it('writes a message with printf-like text as it is', () => {
    const logger = createRotatingFileLogger({ dir });
    logger.info('100%s done %d %o', { topic: 'a/%s' });
    expect(lines(logger.path)[0]).toMatchObject({ message: '100%s done %d %o', topic: 'a/%s' });
  });

  it('keeps only lines at or above its level', () => {
    const logger = createRotatingFileLogger({ dir, level: 'warn' });
    logger.info('chatty');
    logger.warn('worth knowing');
    logger.error('broken');
    expect(lines(logger.path).map((l) => l.message)).toEqual(['worth knowing', 'broken']);
  });

  it('rotates past its size, keeping the newest older files and dropping the oldest', () => {
    const logger = createRotatingFileLogger({ dir, fileName: 'hub.log', maxBytes: 400, keep: 2 });
    for (let i = 0; i < 60; i++) logger.info('message', { i, padding: 'x'.repeat(40) });
    expect(readdirSync(dir).sort()).toEqual(['hub.1.log', 'hub.2.log', 'hub.log']);
    const current = lines(join(dir, 'hub.log')).map((l) => l.i as number);
    const first = lines(join(dir, 'hub.1.log')).map((l) => l.i as number);
    const second = lines(join(dir, 'hub.2.log')).map((l) => l.i as number);
    // Newest last, no gaps between the kept files, and each file near the limit.
    expect([...second, ...first, ...current]).toEqual(Array.from({ length: second.length + first.length + current.length }, (_, k) => (second[0] as number) + k));
    expect(current.at(-1)).toBe(59);
    for (const name of ['hub.1.log', 'hub.2.log']) expect(statSync(join(dir, name)).size).toBeLessThan(400 + 120);
  });

  it('continues an existing file after a restart', () => {
    createRotatingFileLogger({ dir }).info('before restart');
    createRotatingFileLogger({ dir }).info('after restart');
    expect(lines(join(dir, 'pushdesk.log')).map((l) => l.message)).toEqual(['before restart', 'after restart']);
  });

  it('refuses a folder it cannot write, naming the path', () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    expect(() => createRotatingFileLogger({ dir: join(blocker, 'logs') })).toThrow(/cannot write the log file .*a-file.logs.pushdesk\.log/);
  });
});

describe('the shells\' loggers', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-logs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('write the same redacted lines to stderr and to the file', () => {
    const stderr: string[] = [];
    const { logger, file } = createShellLogger({ dir, redact, write: (line) => stderr.push(line) });
    logger.warn('auth failed', { connection: 'office', password: 'hunter2', url: 'wss://bob:s3cret@host/mqtt' });
    const written = lines(file as string);
    expect(written).toEqual([expect.objectContaining({ level: 'warn', password: '(removed)', url: 'wss://bob:(removed)@host/mqtt' })]);
    expect(JSON.parse(stderr[0] as string)).toEqual(written[0]);
    expect(readFileSync(file as string, 'utf8')).not.toMatch(/hunter2|s3cret/);
  });

  it('log to stderr alone without a folder', () => {
    const stderr: string[] = [];
    const { logger, file } = createShellLogger({ redact, write: (line) => stderr.push(line) });
    logger.info('hello');
    expect(file).toBeUndefined();
    expect(stderr).toHaveLength(1);
  });

  it('desktop: a logs folder that cannot be written means stderr only, said in the first line', () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    const stderr: string[] = [];
    const { logger, file } = createAppLogger({ logsDir: join(blocker, 'logs'), write: (line) => stderr.push(line) });
    logger.info('still working');
    expect(file).toBeUndefined();
    expect(stderr.map((line) => JSON.parse(line).message)).toEqual(['logging to stderr only', 'still working']);
    expect(JSON.parse(stderr[0] as string).error).toMatch(/cannot write the log file/);
  });

  it('desktop: writes pushdesk.log in the logs folder', () => {
    const { logger, file } = createAppLogger({ logsDir: dir, write: () => {} });
    logger.error('boom', { token: 'abc' });
    expect(file).toBe(join(dir, 'pushdesk.log'));
    expect(lines(join(dir, 'pushdesk.log'))).toEqual([expect.objectContaining({ level: 'error', message: 'boom', token: '(removed)' })]);
  });
});

describe('the headless hub with --log-dir', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-headless-logs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes its log to <dir>/pushdesk.log as well as stderr, without the connection\'s password', async () => {
    const configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({ deviceId: 'log-test', connections: [{ id: 'c', url: 'mqtt://127.0.0.1:1', username: 'u', password: 'hunter2', subscriptions: [{ topic: 'a', channel: 'A' }] }] }),
    );
    const hub = await startHubProcess({ configPath, dataDir: join(dir, 'data'), extraArgs: ['--log-dir', join(dir, 'logs')] });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await hub.stop();
    }
    const written = lines(join(dir, 'logs', 'pushdesk.log'));
    expect(written).toContainEqual(expect.objectContaining({ level: 'info', message: 'hub started', deviceId: 'log-test' }));
    expect(hub.output()).toContain('"message":"hub started"');
    expect(readFileSync(join(dir, 'logs', 'pushdesk.log'), 'utf8')).not.toContain('hunter2');
  });

  it('refuses a log folder it cannot write, before starting anything', async () => {
    const { spawnSync } = await import('node:child_process');
    writeFileSync(join(dir, 'a-file'), '');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ connections: [] }));
    const cli = join(import.meta.dirname, '../../electron/headless/cli.ts');
    const result = spawnSync(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', cli, '--config', join(dir, 'config.json'), '--data-dir', join(dir, 'data'), '--log-dir', join(dir, 'a-file', 'logs')],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--log-dir: cannot write the log file/);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });
});
