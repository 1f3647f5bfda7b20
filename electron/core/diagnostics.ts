import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config/config-schema.ts';
import type { PolicyOutcome } from './config/policy.ts';
import type { LogFields, Logger } from './logger.ts';
import type { ConnectionStatus } from './sources/connection-status.ts';
import { DATABASE_FILE, MessageStore } from './store/message-store.ts';
import { SCHEMA_VERSION } from './store/migrations.ts';

/** File in the data directory where a running hub keeps its latest state for the diagnostics bundle. */
export const SNAPSHOT_FILE = 'diagnostics-snapshot.json';

/** One warning or error the hub logged, kept for the diagnostics bundle. */
export interface Problem {
  readonly time: string;
  readonly level: 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields | undefined;
}

/** What a running hub writes to SNAPSHOT_FILE: its connections (with heartbeat figures) and recent problems. */
export interface HubSnapshot {
  readonly writtenAt: string;
  readonly deviceId: string;
  readonly connections: readonly ConnectionStatus[];
  readonly recentProblems: readonly Problem[];
  readonly policy: PolicyOutcome;
}

/** How many warnings and errors the hub keeps for diagnostics. */
const PROBLEMS_KEPT = 100;

/** Field names whose values never leave the machine in a bundle or a log. */
const SECRET_KEY = /pass(word|phrase)?|secret|token|key$|authorization|credential/i;

/**
 * Wraps a logger so the hub keeps its last warnings and errors (secrets removed) for diagnostics.
 */
export function problemRecorder(inner: Logger, now: () => number = Date.now): { logger: Logger; problems: () => Problem[] } {
  const kept: Problem[] = [];
  const keep = (level: 'warn' | 'error', message: string, fields?: LogFields): void => {
    kept.push({ time: new Date(now()).toISOString(), level, message, fields: fields === undefined ? undefined : (redact(fields) as LogFields) });
    if (kept.length > PROBLEMS_KEPT) kept.shift();
  };
  return {
    logger: {
      info: (message, fields) => inner.info(message, fields),
      warn: (message, fields) => {
        keep('warn', message, fields);
        inner.warn(message, fields);
      },
      error: (message, fields) => {
        keep('error', message, fields);
        inner.error(message, fields);
      },
    },
    problems: () => [...kept],
  };
}

/**
 * A copy of a value with every secret replaced by "(removed)": fields named like passwords, tokens or
 * keys, and user:password@ in URLs. File names (passwordFile, keyFile) are kept: they are not secrets.
 */
export function redact(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redact);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) && !/File$|Env$/.test(key) && item !== undefined ? '(removed)' : redact(item);
    }
    return out;
  }
  return value;
}

/** Query parameters that carry credentials (ntfy's `auth`, tokens). */
const SECRET_PARAMS = /^(auth|token|access_token|password|passwd|secret|key|apikey|api_key)$/i;

/**
 * A string with the credentials of every URL in it removed: the password of its user info (or the user
 * info itself when it has no password: a bare token), also one with "@" in it, and credential query
 * parameters.
 */
function redactText(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (candidate) => {
    let url: URL;
    try {
      url = new URL(candidate);
    } catch {
      return candidate.replace(/\/\/([^/\s]*)@/, '//(removed)@');
    }
    const secretParams = [...url.searchParams.keys()].filter((name) => SECRET_PARAMS.test(name));
    if (url.password === '' && url.username === '' && secretParams.length === 0) return candidate;
    if (url.password !== '') url.password = 'removed';
    // "//token@host": user info without a password may be the credential itself.
    else if (url.username !== '') url.username = 'removed';
    for (const name of secretParams) url.searchParams.set(name, 'removed');
    return url.toString().replace('removed@', '(removed)@').replace(/=removed(&|$)/g, '=(removed)$1');
  });
}

/** Writes the snapshot atomically (a reader never sees half a file). */
export function writeSnapshot(dataDir: string, snapshot: HubSnapshot): void {
  const path = join(dataDir, SNAPSHOT_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(redact(snapshot), null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** The diagnostics bundle: everything support needs to answer "I didn't get the alert", nothing secret. */
export interface DiagnosticsBundle {
  readonly generatedAt: string;
  readonly versions: Record<string, string>;
  readonly platform: { os: string; arch: string; release: string };
  readonly configuration: unknown;
  readonly policy: unknown;
  readonly store: unknown;
  readonly hub: HubSnapshot | { readonly missing: string };
}

/**
 * Builds the bundle from a data directory (read-only: it works beside a running hub) and, when given,
 * the configuration and policy outcome.
 */
export function buildDiagnostics(options: {
  dataDir: string;
  config?: Config | undefined;
  policy?: PolicyOutcome | undefined;
  appVersion: string;
  now?: () => number;
}): DiagnosticsBundle {
  const snapshotPath = join(options.dataDir, SNAPSHOT_FILE);
  let hub: DiagnosticsBundle['hub'];
  try {
    hub = JSON.parse(readFileSync(snapshotPath, 'utf8')) as HubSnapshot;
  } catch (error) {
    hub = { missing: `no hub snapshot in ${options.dataDir} (${(error as NodeJS.ErrnoException).code ?? String(error)}): has the hub run here?` };
  }
  let store: unknown;
  const dbPath = join(options.dataDir, DATABASE_FILE);
  if (!existsSync(dbPath)) {
    store = { missing: `no message store in ${options.dataDir}` };
  } else {
    let opened: MessageStore | undefined;
    try {
      opened = MessageStore.open(options.dataDir, { readOnly: true });
      const channels = opened.channelCounts();
      store = {
        path: dbPath,
        fileBytes: statSync(dbPath).size,
        usedBytes: opened.usedBytes(),
        schemaVersion: opened.schemaVersion(),
        schemaVersionOfThisBuild: SCHEMA_VERSION,
        messages: channels.reduce((n, c) => n + c.total, 0),
        unread: channels.reduce((n, c) => n + c.unread, 0),
        channels,
        fullTextIndexedUpTo: opened.indexedUpTo,
        receiptsWaiting: opened.outboxSize(),
        dataTopics: opened.dataLatest().length,
      };
    } catch (error) {
      store = { error: `could not read the store: ${(error as Error).message}` };
    } finally {
      opened?.close();
    }
  }
  return {
    generatedAt: new Date((options.now ?? Date.now)()).toISOString(),
    versions: { pushdesk: options.appVersion, node: process.versions.node, sqlite: process.versions.sqlite ?? 'unknown', v8: process.versions.v8 },
    platform: { os: process.platform, arch: process.arch, release: process.release.name },
    configuration: options.config === undefined ? { missing: 'no configuration given (--config)' } : redact(options.config),
    policy: options.policy === undefined ? { missing: 'no policy read' } : redact(options.policy),
    store,
    hub,
  };
}
