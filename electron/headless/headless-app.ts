import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isOpenableLink } from '../api/links.ts';
import { ApiService } from '../core/api-service.ts';
import type { Config } from '../core/config/config-schema.ts';
import type { PolicyOutcome } from '../core/config/policy.ts';
import { Hub } from '../core/hub.ts';
import type { Logger } from '../core/logger.ts';
import type { Notifier } from '../core/notify/notifier.ts';
import type { SecretStore } from '../core/secrets.ts';
import type { SystemSignals } from '../core/heartbeat/system-signals.ts';
import { DIAGNOSTICS_PATH, exportHref, startBridge, type Bridge } from './bridge-server.ts';
import { readFileSync } from 'node:fs';
import { LinuxSignals } from './linux-signals.ts';

/** Where `npm run build` puts the UI. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../out/renderer', import.meta.url));

/** This build's version, for the diagnostics bundle. */
const APP_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A running headless hub with its browser bridge. */
export interface HeadlessApp {
  readonly hub: Hub;
  readonly bridge: Bridge;
  stop(): Promise<void>;
}

/**
 * Starts the core and the loopback bridge that serves the UI.
 */
export async function startHeadless(options: {
  config: Config;
  dataDir: string;
  notifier: Notifier;
  logger: Logger;
  port?: number;
  uiDir?: string;
  /** Machine signals; on Linux the /sys, interface and logind readings by default. */
  signals?: SystemSignals;
  /** What the managed policy did to the configuration. */
  policy?: PolicyOutcome;
  /** Where `passwordSecret` names are looked up (the CLI passes the data directory's secrets file). */
  secrets?: SecretStore;
}): Promise<HeadlessApp> {
  const signals = options.signals ?? (process.platform === 'linux' ? new LinuxSignals() : undefined);
  const hub = new Hub({
    config: options.config,
    dataDir: options.dataDir,
    notifier: options.notifier,
    logger: options.logger,
    ...(signals ? { signals } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
  });
  // A notification's view action: the link was checked by the core; the desktop's browser opens it.
  hub.on('openLink', (url) => {
    if (!isOpenableLink(url)) return;
    const opener = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
    opener.on('error', (error) => options.logger.warn('could not open a link (xdg-open)', { error: error.message }));
    opener.unref();
  });
  let bridge: Bridge | undefined;
  try {
    bridge = await startBridge({
      hub,
      service: new ApiService(hub, {
        exporter: (request) => Promise.resolve({ href: exportHref(request), path: null, count: null }),
        diagnosticsExporter: () => Promise.resolve({ href: DIAGNOSTICS_PATH, path: null }),
      }),
      diagnostics: () => hub.diagnostics(APP_VERSION),
      uiDir: options.uiDir ?? DEFAULT_UI_DIR,
      logger: options.logger,
      port: options.port ?? 0,
    });
    hub.start();
  } catch (error) {
    await bridge?.close();
    await hub.stop();
    throw error;
  }
  return {
    hub,
    bridge,
    stop: async () => {
      await bridge.close();
      await hub.stop();
      (options.notifier as { dispose?: () => void }).dispose?.();
    },
  };
}
