import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../core/config/load-config.ts';
import { defaultPolicyPath, loadConfigWithPolicy } from '../core/config/policy.ts';
import { createShellLogger } from '../core/logger.ts';
import { buildDiagnostics, redact } from '../core/diagnostics.ts';
import { checkSecretName } from '../core/secrets.ts';
import { EXPORT_FORMATS, parseSince, writeExport, type ExportFormat } from '../core/store/export.ts';
import { MessageStore } from '../core/store/message-store.ts';
import { createHeadlessNotifier } from './node-notifier-adapter.ts';
import { startHeadless } from './headless-app.ts';
import { SecretFile } from './secret-file.ts';

const USAGE = `usage: npm run hub -- --config <file.json> --data-dir <dir> [--port <n>] [--log-dir <dir>]
       npm run hub -- export --data-dir <dir> [--format jsonl|csv] [--channel <name>] [--since <time>]
       npm run hub -- diagnostics --data-dir <dir> [--config <file.json>] [--policy <file>]
       npm run hub -- secret set <name> --data-dir <dir>      (the value is read from standard input)
       npm run hub -- secret delete <name> --data-dir <dir>
       npm run hub -- secret list --data-dir <dir>

  --config    the configuration file (see docs/configuration.md)
  --data-dir  where the message store lives (created if missing)
  --port      port for the browser UI on 127.0.0.1 (default: a free one)
  --policy    a managed policy file (default: /etc/pushdesk/policy.json when it exists; see docs/deployment.md)
  --log-dir   also write the log to <dir>/pushdesk.log (JSON lines, rotated at 5 MB, two older files kept)

export prints the stored history, oldest first: JSONL (one message per line, the default) or CSV.
  --channel   only this channel
  --since     a date or date-time (2026-11-01, 2026-11-01T08:00:00Z) or an age (90m, 24h, 7d)
  It reads the store without locking it, so it works while the hub runs.

diagnostics prints one JSON document for support: versions, the configuration and policy with secrets
removed, store statistics, and the running hub's connections, heartbeat figures and recent problems
(from the snapshot it refreshes every minute in the data directory).

secret keeps the secrets connections name with "passwordSecret" in <data-dir>/secrets.json, a file
only this user may read (mode 0600). set reads the value from standard input (typed at a terminal, it
is not shown), never from the command line, where other users could see it (ps). list prints the
names only.`;

/** Where relative paths given on the command line start: the folder the user typed them in. */
const BASE = process.env.INIT_CWD ?? process.cwd();

/** What parseArgs gives for a command's options (node:util does not export the type by name). */
type Parsed<T extends Omit<ParseArgsConfig, 'args' | 'strict'>> = ReturnType<typeof parseArgs<T & { args: string[]; strict: true }>>;

/**
 * Parses a command's options strictly; a wrong option or a missing required one is said on stderr
 * with the usage, and comes back as exit status 2.
 */
function parseCommand<const T extends Omit<ParseArgsConfig, 'args' | 'strict'>>(
  argv: string[],
  config: T,
  required: readonly string[] = [],
): Parsed<T> | 2 {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({ ...config, args: argv, strict: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const values = parsed.values as Record<string, unknown>;
  const missing = required.filter((name) => values[name] === undefined || values[name] === '');
  if (missing.length > 0) {
    process.stderr.write(`${missing.map((name) => `--${name}`).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required\n${USAGE}\n`);
    return 2;
  }
  return parsed;
}

/** The policy file to read: the one given (which must then exist), or the platform's location. */
function policyLocation(given: string | undefined): { path: string; required: boolean } {
  return given === undefined ? { path: defaultPolicyPath(process.platform), required: false } : { path: resolve(BASE, given), required: true };
}

/** `npm run hub -- diagnostics ...`: the diagnostics bundle to standard output. */
function diagnosticsCommand(argv: string[]): number {
  const parsed = parseCommand(argv, { options: { 'data-dir': { type: 'string' }, config: { type: 'string' }, policy: { type: 'string' } } }, ['data-dir']);
  if (parsed === 2) return 2;
  const { values } = parsed;
  let config;
  let policy;
  if (values.config !== undefined) {
    const location = policyLocation(values.policy);
    try {
      ({ config, policy } = loadConfigWithPolicy(resolve(BASE, values.config), location.path, location.required));
    } catch (error) {
      // A broken configuration is exactly what support needs to see: say it, and go on without it.
      policy = undefined;
      config = undefined;
      process.stderr.write(`pushdesk diagnostics: ${(error as Error).message}\n`);
    }
  }
  const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const bundle = buildDiagnostics({ dataDir: resolve(BASE, values['data-dir'] as string), config, policy, appVersion: version });
  process.stdout.write(`${JSON.stringify(bundle, null, 2)}\n`);
  return 0;
}

/** `npm run hub -- export ...`: history to standard output. */
async function exportCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    { options: { 'data-dir': { type: 'string' }, format: { type: 'string', default: 'jsonl' }, channel: { type: 'string' }, since: { type: 'string' } } },
    ['data-dir'],
  );
  if (parsed === 2) return 2;
  const { values } = parsed;
  const format = values.format as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) {
    process.stderr.write(`--format: "${values.format}" is not one of ${EXPORT_FORMATS.join(', ')}\n`);
    return 2;
  }
  let sinceMs: number | undefined;
  try {
    sinceMs = values.since === undefined ? undefined : parseSince(values.since, Date.now());
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  let store: MessageStore;
  try {
    store = MessageStore.open(resolve(BASE, values['data-dir'] as string), { readOnly: true });
  } catch (error) {
    process.stderr.write(`pushdesk export: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    const count = await writeExport(store.iterate({ channel: values.channel, sinceMs }), format, (chunk) =>
      process.stdout.write(chunk) ? undefined : new Promise<void>((done) => process.stdout.once('drain', () => done())),
    );
    process.stderr.write(`pushdesk export: ${count} messages\n`);
    return 0;
  } finally {
    store.close();
  }
}

/** Reads a line from the terminal without echoing it; undefined when the person pressed Ctrl-C or Ctrl-D. */
function readHiddenLine(prompt: string): Promise<string | undefined> {
  const input = process.stdin;
  return new Promise((resolve) => {
    let value = '';
    const finish = (result: string | undefined): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      resolve(result);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish(value);
        if (ch === '\u0003' || ch === '\u0004') return finish(undefined);
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    process.stderr.write(prompt);
    input.setEncoding('utf8');
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

/** Reads a secret's value: typed at a terminal (hidden), or all of standard input less one final line break. */
async function readSecretValue(name: string): Promise<string | undefined> {
  if (process.stdin.isTTY) return readHiddenLine(`value of the secret "${name}" (not shown): `);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** `npm run hub -- secret set|delete|list ...`: the headless shell's secrets file. */
async function secretCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { options: { 'data-dir': { type: 'string' } }, allowPositionals: true });
  if (parsed === 2) return 2;
  const { values, positionals } = parsed;
  const [action, name, ...extra] = positionals;
  const wanted = action === 'list' ? 0 : 1;
  if ((action !== 'set' && action !== 'delete' && action !== 'list') || positionals.length !== 1 + wanted) {
    // Whatever came after the name is not repeated: it may be the value typed where it does not belong.
    const why =
      action === 'set' && extra.length > 0
        ? 'secret set takes the value on standard input, not on the command line, where other users could see it (ps): nothing was stored'
        : 'secret needs set <name>, delete <name> or list';
    process.stderr.write(`${why}\n${USAGE}\n`);
    return 2;
  }
  if (!values['data-dir']) {
    process.stderr.write(`--data-dir is required\n${USAGE}\n`);
    return 2;
  }
  const store = new SecretFile(resolve(BASE, values['data-dir']));
  try {
    if (action === 'list') {
      for (const stored of store.list()) process.stdout.write(`${stored}\n`);
      return 0;
    }
    if (name === undefined) return 2;
    if (action === 'delete') {
      if (!store.list().includes(name)) {
        process.stderr.write(`pushdesk secret: no secret named "${name}" in ${store.path}\n`);
        return 1;
      }
      store.delete(name);
      process.stderr.write(`pushdesk secret: deleted "${name}" from ${store.path}\n`);
      return 0;
    }
    checkSecretName(name);
    const value = await readSecretValue(name);
    if (value === undefined || value === '') {
      process.stderr.write(`pushdesk secret: ${value === undefined ? 'cancelled' : 'the value on standard input is empty'}: nothing was stored\n`);
      return 1;
    }
    store.set(name, value);
    process.stderr.write(`pushdesk secret: stored "${name}" in ${store.path} (readable only by this user)\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`pushdesk secret: ${(error as Error).message}\n`);
    return 1;
  }
}

/**
 * `npm run hub`: the core under plain Node with the browser bridge. Prints the UI address on one line.
 */
async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'export') return exportCommand(argv.slice(1));
  if (argv[0] === 'diagnostics') return diagnosticsCommand(argv.slice(1));
  if (argv[0] === 'secret') return secretCommand(argv.slice(1));
  const parsed = parseCommand(argv, {
    options: {
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      policy: { type: 'string' },
      'log-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (parsed === 2) return 2;
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.config || !values['data-dir']) {
    process.stderr.write(`--config and --data-dir are required\n${USAGE}\n`);
    return 2;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port: "${values.port}" is not a port number (0 to 65535)\n`);
    return 2;
  }
  // npm runs scripts in the project folder; relative paths mean the folder the user typed them in.
  const configPath = resolve(BASE, values.config);
  const dataDir = resolve(BASE, values['data-dir']);
  // stderr always; with --log-dir, a rotating file too. Secrets are removed from both.
  let logger;
  try {
    ({ logger } = createShellLogger({ dir: values['log-dir'] === undefined ? undefined : resolve(BASE, values['log-dir']), redact }));
  } catch (error) {
    process.stderr.write(`--log-dir: ${(error as Error).message}\n`);
    return 2;
  }
  let app;
  try {
    const location = policyLocation(values.policy);
    const { config, policy } = loadConfigWithPolicy(configPath, location.path, location.required);
    app = await startHeadless({
      config,
      dataDir,
      notifier: createHeadlessNotifier({ appName: 'Pushdesk', logger }),
      logger,
      port,
      policy,
      secrets: new SecretFile(dataDir),
    });
  } catch (error) {
    process.stderr.write(`pushdesk: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`);
    return 2;
  }
  // The handlers come before the address line: whoever waits for that line may stop the hub at once,
  // and a SIGTERM that found no handler would end it without closing the store.
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write(`Pushdesk UI: ${app.bridge.url}\n`);
  logger.info('hub started', { port: app.bridge.port, database: app.hub.databasePath, deviceId: app.hub.deviceId });
  await stopRequested;
  await app.stop();
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
