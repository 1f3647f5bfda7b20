import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, parse } from 'node:path';
import electronLog from 'electron-log/node.js';

/** Fields attached to a log line (connection id, topic, counts...). Never put secrets here. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/**
 * The core's logging port.
 *
 * The headless shell writes JSON lines to stderr; the Electron shell may route them to a file.
 */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** The levels a line can have, most severe first. A threshold keeps its own level and those before it. */
export const LOG_LEVELS = ['error', 'warn', 'info'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Whether a string names a level (for `--log-level` style options). */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * One log line: a JSON object with time, level, message and the fields, without the newline.
 *
 * The fields come after the three fixed keys and cannot replace them.
 */
export function formatLogLine(level: LogLevel, message: string, fields: LogFields | undefined, nowMs: number): string {
  const line: Record<string, unknown> = { time: new Date(nowMs).toISOString(), level, message };
  for (const [key, value] of Object.entries(fields ?? {})) if (!(key in line)) line[key] = value;
  return JSON.stringify(line);
}

/** A logger writing one JSON object per line to a stream (stderr by default). */
export function createJsonLogger(write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const log = (level: LogLevel, message: string, fields?: LogFields): void => {
    write(`${formatLogLine(level, message, fields, Date.now())}\n`);
  };
  return {
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}

/** A logger that drops everything (benchmarks). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** A logger that passes each line to every one of `loggers`, in order. */
export function teeLogger(...loggers: Logger[]): Logger {
  return {
    info: (message, fields) => loggers.forEach((logger) => logger.info(message, fields)),
    warn: (message, fields) => loggers.forEach((logger) => logger.warn(message, fields)),
    error: (message, fields) => loggers.forEach((logger) => logger.error(message, fields)),
  };
}

/**
 * A logger that runs the message and the fields through `redact` before `inner` sees them.
 *
 * `redact` is the diagnostics bundle's (core/diagnostics.ts): password-like fields become "(removed)",
 * user:password@ leaves URLs. The shells wrap their logger once, so a careless field cannot reach a file.
 */
export function redactingLogger(inner: Logger, redact: (value: unknown) => unknown): Logger {
  const clean = (message: string, fields: LogFields | undefined): [string, LogFields | undefined] => [
    String(redact(message)),
    fields === undefined ? undefined : (redact(fields) as LogFields),
  ];
  return {
    info: (message, fields) => inner.info(...clean(message, fields)),
    warn: (message, fields) => inner.warn(...clean(message, fields)),
    error: (message, fields) => inner.error(...clean(message, fields)),
  };
}

/** A log file is rotated once it is larger than this (bytes). */
export const LOG_FILE_MAX_BYTES = 5 * 1024 * 1024;

/** How many rotated files are kept beside the current one (pushdesk.1.log is the newest). */
export const LOG_FILES_KEPT = 2;

/** What a rotating file logger writes where. */
export interface RotatingFileOptions {
  /** The folder, created (owner only) if missing. */
  readonly dir: string;
  /** The current file's name; rotated files insert .1, .2... before the extension. Default pushdesk.log. */
  readonly fileName?: string;
  /** Rotate when the file is larger than this; default LOG_FILE_MAX_BYTES. */
  readonly maxBytes?: number;
  /** Rotated files kept; default LOG_FILES_KEPT. */
  readonly keep?: number;
  /** The least severe level written; default info. */
  readonly level?: LogLevel;
  readonly now?: () => number;
  /** Told when a rotation failed (the file is then cut to its last quarter instead). */
  readonly onError?: (error: Error) => void;
}

/** A logger writing JSON lines to a rotating file. */
export interface FileLogger extends Logger {
  /** The current file's full path. */
  readonly path: string;
}

let fileLoggers = 0;

/**
 * A logger writing JSON lines (formatLogLine) to `<dir>/<fileName>`, through electron-log's file
 * transport: synchronous appends, and a rotation before a line that would find the file over
 * `maxBytes`. electron-log/node needs no Electron, so both shells use it.
 *
 * Files are created owner-only (0600). The logger does not redact: wrap it in redactingLogger.
 *
 * @throws when the folder cannot be created or the file cannot be written, naming the path, so a shell
 * can say so at start instead of losing every line later.
 */
export function createRotatingFileLogger(options: RotatingFileOptions): FileLogger {
  const fileName = options.fileName ?? 'pushdesk.log';
  const path = join(options.dir, fileName);
  const keep = Math.max(0, options.keep ?? LOG_FILES_KEPT);
  const now = options.now ?? Date.now;
  try {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    appendFileSync(path, '', { mode: 0o600 });
  } catch (error) {
    throw new Error(`cannot write the log file ${path}: ${(error as Error).message}`, { cause: error });
  }

  const log = electronLog.create({ logId: `pushdesk-file-${++fileLoggers}` });
  for (const [name, transport] of Object.entries(log.transports)) if (transport && name !== 'file') transport.level = false;
  const file = (log as typeof electronLog).transports.file;
  // The app name only feeds electron-log's default paths, which resolvePathFn replaces; without it
  // electron-log looks for a package.json and fails where there is none.
  file.setAppName('Pushdesk');
  file.resolvePathFn = () => path;
  file.level = options.level ?? 'info';
  file.maxSize = options.maxBytes ?? LOG_FILE_MAX_BYTES;
  file.sync = true;
  file.writeOptions = { flag: 'a', mode: 0o600, encoding: 'utf8' };
  // The line is already formatted: no template, no util.format (a "%s" in a message stays as it is).
  file.transforms = [({ data }) => String(data[0])];
  file.archiveLogFn = (current) => {
    try {
      rotate(path, keep);
    } catch (error) {
      options.onError?.(new Error(`could not rotate the log file ${path}: ${(error as Error).message}`));
      // electron-log's own fallback: keep the newest part rather than growing without bound.
      (current as typeof current & { crop(bytes: number): void }).crop(Math.min(Math.round(file.maxSize / 4), 256 * 1024));
    }
  };
  (log as typeof log & { processInternalErrorFn: (error: Error) => void }).processInternalErrorFn = (error) => options.onError?.(error);

  const write = (level: LogLevel, message: string, fields?: LogFields): void => log[level](formatLogLine(level, message, fields, now()));
  return {
    path,
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}

/** name.log → name.1.log → name.2.log ...; the oldest beyond `keep` goes (keep 0: the file is only emptied). */
function rotate(path: string, keep: number): void {
  const { dir, name, ext } = parse(path);
  const numbered = (n: number): string => join(dir, `${name}.${n}${ext}`);
  if (keep === 0) {
    rmSync(path, { force: true });
    return;
  }
  rmSync(numbered(keep), { force: true });
  for (let n = keep - 1; n >= 1; n--) if (existsSync(numbered(n))) renameSync(numbered(n), numbered(n + 1));
  renameSync(path, numbered(1));
}

/**
 * A shell's logger: JSON lines to stderr and, given `dir`, to a rotating file there too; secrets
 * removed from both by `redact` (core/diagnostics.ts).
 *
 * @throws when `dir` is given and cannot be written (see createRotatingFileLogger).
 */
export function createShellLogger(options: {
  readonly dir?: string | undefined;
  readonly redact: (value: unknown) => unknown;
  readonly level?: LogLevel;
  /** Where the stderr lines go; process.stderr by default. */
  readonly write?: (line: string) => void;
}): { logger: Logger; file: string | undefined } {
  const stderr = createJsonLogger(options.write);
  if (options.dir === undefined) return { logger: redactingLogger(stderr, options.redact), file: undefined };
  const file = createRotatingFileLogger({
    dir: options.dir,
    ...(options.level === undefined ? {} : { level: options.level }),
    // A rotation that failed is said on stderr only: the file is what failed.
    onError: (error) => stderr.warn('log file problem', { error: error.message }),
  });
  return { logger: redactingLogger(teeLogger(stderr, file), options.redact), file: file.path };
}
