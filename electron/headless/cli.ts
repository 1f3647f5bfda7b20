import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../core/config/load-config.ts';
import { createJsonLogger } from '../core/logger.ts';
import { createNodeNotifier } from './node-notifier-adapter.ts';
import { startHeadless } from './headless-app.ts';

const USAGE = `usage: npm run hub -- --config <file.json> --data-dir <dir> [--port <n>]

  --config    the configuration file (see docs/configuration.md)
  --data-dir  where the message store lives (created if missing)
  --port      port for the browser UI on 127.0.0.1 (default: a free one)`;

/**
 * `npm run hub`: the core under plain Node with the browser bridge. Prints the UI address on one line.
 */
async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        port: { type: 'string' },
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
  const base = process.env.INIT_CWD ?? process.cwd();
  const configPath = resolve(base, values.config);
  const dataDir = resolve(base, values['data-dir']);
  const logger = createJsonLogger();
  let app;
  try {
    const config = loadConfigFile(configPath);
    app = await startHeadless({
      config,
      dataDir,
      notifier: createNodeNotifier({ appName: 'Pushdesk', logger }),
      logger,
      port,
    });
  } catch (error) {
    process.stderr.write(`pushdesk: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`);
    return 2;
  }
  process.stdout.write(`Pushdesk UI: ${app.bridge.url}\n`);
  logger.info('hub started', { port: app.bridge.port, database: app.hub.databasePath, deviceId: app.hub.deviceId });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await app.stop();
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
