import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { ApiService } from '../../electron/core/api-service.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import { exportHref, startBridge } from '../../electron/headless/bridge-server.ts';
import { DEFAULT_UI_DIR } from '../../electron/headless/headless-app.ts';

/**
 * The hub the window figures talk to: a child process, like `npm run hub`, built the way startHeadless
 * builds it (Hub, ApiService, the loopback bridge serving the built UI), with two differences that keep
 * the figures about the window:
 *
 *   --ui-batch-ms  the hub's own batching of messagesAdded (HubOptions.uiBatchMs; 50 by default, 0 for
 *                  the baseline with batching off end to end), which startHeadless does not expose;
 *   a notifier that shows nothing, so 1,000 notify-send processes a second do not take the CPU the
 *   browser is being measured on.
 *
 * argv: --config <json file> --data-dir <dir> [--ui-batch-ms <n>] [--ui-dir <dir>]. Prints
 * "Pushdesk UI: <address>" when ready; stops on SIGTERM or SIGINT.
 */
const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    'data-dir': { type: 'string' },
    'ui-batch-ms': { type: 'string', default: '50' },
    'ui-dir': { type: 'string' },
  },
  strict: true,
});
if (!values.config || !values['data-dir']) throw new Error('usage: ui-hub --config <file> --data-dir <dir> [--ui-batch-ms <n>] [--ui-dir <dir>]');
const config = parseConfig(JSON.parse(readFileSync(values.config, 'utf8')));
const hub = new Hub({
  config,
  dataDir: values['data-dir'],
  notifier: { show() {} },
  logger: silentLogger,
  uiBatchMs: Number(values['ui-batch-ms']),
});
const bridge = await startBridge({
  hub,
  service: new ApiService(hub, { exporter: (request) => Promise.resolve({ href: exportHref(request), path: null, count: null }) }),
  uiDir: values['ui-dir'] ?? DEFAULT_UI_DIR,
  logger: silentLogger,
  port: 0,
});
hub.start();
const stopRequested = new Promise<void>((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
process.stdout.write(`Pushdesk UI: ${bridge.url}\n`);
await stopRequested;
await bridge.close();
await hub.stop();
