import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub, type HubOptions } from '../../electron/core/hub.ts';
import type { LogFields, Logger } from '../../electron/core/logger.ts';
import { BACKLOG_QUIET_MS } from '../../electron/core/notify/notification-center.ts';
import { createNotifySendNotifier, type NotifySendNotifier } from '../../electron/headless/notify-send-notifier.ts';
import type { DesktopSession } from './desktop-session.ts';
import { waitFor } from './net.ts';

/** One line a RecordingLogger received. */
export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields | undefined;
}

/** A Logger that keeps every line, for assertions on what the hub logged. */
export interface RecordingLogger extends Logger {
  readonly lines: LogLine[];
}

/** A logger that records every line in `lines`. */
export function recordingLogger(): RecordingLogger {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
  };
}

/** A Hub running in the test process, raising real notifications through notify-send on a private desktop. */
export interface InProcessHub {
  readonly hub: Hub;
  readonly notifier: NotifySendNotifier;
  readonly logger: RecordingLogger;
  /** Stops the hub, then the notifier's waiting notify-send processes (the notifications stay on screen); once. */
  stop(): Promise<void>;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts an in-process Hub on `dataDir` whose notifier is notify-send on `desktop`, and waits until every
 * connection is connected.
 *
 * With `pastBacklog` (the default) it also waits out the backlog window a fresh connection opens
 * (BACKLOG_QUIET_MS of silence), so what a test publishes next is live and not held for the offline digest.
 */
export async function startInProcessHub(options: {
  readonly config: unknown;
  readonly dataDir: string;
  readonly desktop: DesktopSession;
  readonly pastBacklog?: boolean;
  readonly hubOptions?: Partial<Pick<HubOptions, 'httpAction' | 'timeZone'>>;
}): Promise<InProcessHub> {
  const logger = recordingLogger();
  // The whole environment, not only the session's: notify-send, stdbuf and gdbus are found on its PATH.
  const notifier = createNotifySendNotifier({ appName: 'Pushdesk', logger, env: { ...process.env, ...options.desktop.env } });
  const hub = new Hub({ config: parseConfig(options.config), dataDir: options.dataDir, notifier, logger, ...options.hubOptions });
  hub.start();
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await hub.stop();
      notifier.dispose();
    })());
  try {
    await waitFor('every connection to connect', () => (hub.connectionStatuses().every((s) => s.state === 'connected') ? true : undefined), 15_000);
  } catch (error) {
    await stop();
    throw error;
  }
  if (options.pastBacklog !== false) await sleep(BACKLOG_QUIET_MS + 500);
  return { hub, notifier, logger, stop };
}
