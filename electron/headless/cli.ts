import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/config/load-config.ts';
import { defaultPolicyPath, loadConfigWithPolicy } from '../core/config/policy.ts';
import { createJsonLogger } from '../core/logger.ts';
import { buildDiagnostics } from '../core/diagnostics.ts';
import { EXPORT_FORMATS, parseSince, writeExport, type ExportFormat } from '../core/store/export.ts';
import { MessageStore } from '../core/store/message-store.ts';
import { createHeadlessNotifier } from './node-notifier-adapter.ts';
import { startHeadless } from './headless-app.ts';

const USAGE = `usage: npm run hub -- --config <file.json> --data-dir <dir> [--port <n>]
       npm run hub -- export --data-dir <dir> [--format jsonl|csv] [--channel <name>] [--since <time>]
       npm run hub -- diagnostics --data-dir <dir> [--config <file.json>] [--policy <file>]

  --config    the configuration file (see docs/configuration.md)
  --data-dir  where the message store lives (created if missing)
  --port      port for the browser UI on 127.0.0.1 (default: a free one)
  --policy    a managed policy file (default: /etc/pushdesk/policy.json when it exists; see docs/deployment.md)

export prints the stored history, oldest first: JSONL (one message per line, the default) or CSV.
  --channel   only this channel
  --since     a date or date-time (2026-11-01, 2026-11-01T08:00:00Z) or an age (90m, 24h, 7d)
  It reads the store without locking it, so it works while the hub runs.

diagnostics prints one JSON document for support: versions, the configuration and policy with secrets
removed, store statistics, and the running hub's connections, heartbeat figures and recent problems
(from the snapshot it refreshes every minute in the data directory).`;

/** `npm run hub -- diagnostics ...`: the diagnostics bundle to standard output. */
function diagnosticsCommand(argv: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { 'data-dir': { type: 'string' }, config: { type: 'string' }, policy: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values['data-dir']) {
    process.stderr.write(`--data-dir is required\n${USAGE}\n`);
    return 2;
  }
  let config;
  let policy;
  if (values.config !== undefined) {
    const policyPath = values.policy === undefined ? defaultPolicyPath(process.platform) : resolve(BASE, values.policy);
    try {
      ({ config, policy } = loadConfigWithPolicy(resolve(BASE, values.config), policyPath, values.policy !== undefined));
    } catch (error) {
      // A broken configuration is exactly what support needs to see: say it, and go on without it.
      policy = undefined;
      config = undefined;
      process.stderr.write(`pushdesk diagnostics: ${(error as Error).message}\n`);
    }
  }
  const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const bundle = buildDiagnostics({ dataDir: resolve(BASE, values['data-dir']), config, policy, appVersion: version });
  process.stdout.write(`${JSON.stringify(bundle, null, 2)}\n`);
  return 0;
}

/** Where relative paths given on the command line start: the folder the user typed them in. */
const BASE = process.env.INIT_CWD ?? process.cwd();

/** `npm run hub -- export ...`: history to standard output. */
async function exportCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        format: { type: 'string', default: 'jsonl' },
        channel: { type: 'string' },
        since: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values['data-dir']) {
    process.stderr.write(`--data-dir is required\n${USAGE}\n`);
    return 2;
  }
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
    store = MessageStore.open(resolve(BASE, values['data-dir']), { readOnly: true });
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

/**
 * `npm run hub`: the core under plain Node with the browser bridge. Prints the UI address on one line.
 */
async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'export') return exportCommand(argv.slice(1));
  if (argv[0] === 'diagnostics') return diagnosticsCommand(argv.slice(1));
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        policy: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
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
  const logger = createJsonLogger();
  let app;
  try {
    const policyPath = values.policy === undefined ? defaultPolicyPath(process.platform) : resolve(BASE, values.policy);
    const { config, policy } = loadConfigWithPolicy(configPath, policyPath, values.policy !== undefined);
    app = await startHeadless({
      config,
      dataDir,
      notifier: createHeadlessNotifier({ appName: 'Pushdesk', logger }),
      logger,
      port,
      policy,
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
