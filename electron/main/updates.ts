import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isLocked, type PolicyOutcome } from '../core/config/policy.ts';
import type { Logger } from '../core/logger.ts';

/**
 * Updates through electron-updater from a generic server (static files: latest.yml and the
 * installers), as the managed policy allows.
 *
 * Updates download in the background and install when Pushdesk quits; nothing ever asks the person
 * anything. On a managed machine (a policy file is present) nothing is shown at all; elsewhere one
 * notification says that the downloaded version installs at the next quit.
 */

/** Hours between update checks after the one at start. */
export const CHECK_INTERVAL_HOURS = 4;

/** Longest error text logged (electron-updater's errors can carry a whole HTTP response). */
const MAX_ERROR_LENGTH = 300;

/** The update information electron-updater passes with its events, as much as Pushdesk reads. */
export interface UpdateVersion {
  readonly version: string;
}

/** electron-updater's logger interface. */
export interface UpdaterLogger {
  info(message?: unknown): void;
  warn(message?: unknown): void;
  error(message?: unknown): void;
}

/** A generic update server: a folder of static files served over HTTPS. */
export interface GenericFeed {
  readonly provider: 'generic';
  readonly url: string;
  readonly channel?: string;
}

/**
 * electron-updater's `autoUpdater`, as much as Pushdesk uses (tests pass a stand-in; the unit test
 * checks that the real AppUpdater fits this type).
 */
export interface Updater {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowDowngrade: boolean;
  channel: string | null;
  logger: UpdaterLogger | null;
  setFeedURL(options: GenericFeed): void;
  /** Resolves null when the updater is inactive (not a packaged app). */
  checkForUpdates(): Promise<{ readonly downloadPromise?: Promise<unknown> | null | undefined } | null>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'update-available' | 'update-downloaded', listener: (info: UpdateVersion) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'update-available' | 'update-downloaded', listener: (info: UpdateVersion) => void): unknown;
}

/** The person's own choices about updates, from the shell's settings (none exist yet). */
export interface UpdateChoices {
  readonly enabled?: boolean | undefined;
  readonly channel?: string | undefined;
}

/** Whether updates run, from where, on which channel, and who decided. */
export interface UpdateSettings {
  readonly enabled: boolean;
  /** The update server; undefined: the one built into the app (resources/app-update.yml). */
  readonly url: string | undefined;
  /** The channel; undefined: the server's default (latest). */
  readonly channel: string | undefined;
  /** The managed policy locks `updates`: the person can change neither whether nor the channel. */
  readonly locked: boolean;
  /** Why updates are off, in words for the log; undefined when they are on. */
  readonly offBecause: string | undefined;
}

/**
 * Update settings from the managed policy and the person's choices, like every shell setting: a lock
 * on `updates` makes the policy's values win (with the built-in defaults, updates on and the server's
 * channel, where it gives none); without a lock the person's choice wins over the policy's default.
 * The server is never the person's to choose: the policy's `updates.url`, else the built-in one.
 *
 * @param builtInFeed whether the app carries a built-in update server (resources/app-update.yml).
 */
export function resolveUpdates(
  policy: Pick<PolicyOutcome, 'locked' | 'updates'>,
  chosen: UpdateChoices | undefined,
  builtInFeed: boolean,
): UpdateSettings {
  const locked = isLocked(policy.locked, 'updates');
  const given = policy.updates;
  const enabled = locked ? (given?.enabled ?? true) : (chosen?.enabled ?? given?.enabled ?? true);
  const channel = locked ? given?.channel : (chosen?.channel ?? given?.channel);
  const url = given?.url;
  let offBecause: string | undefined;
  if (!enabled) {
    offBecause = !locked && chosen?.enabled === false ? 'turned off in the settings' : 'the managed policy turns updates off (updates.enabled)';
  } else if (url === undefined && !builtInFeed) {
    offBecause = 'no update server: the managed policy names none (updates.url) and this build has none built in';
  }
  return { enabled: offBecause === undefined, url, channel, locked, offBecause };
}

/** Whether a managed policy file is present (valid or not): such a machine is IT's, and is never nagged. */
export function isManagedInstall(policy: Pick<PolicyOutcome, 'source' | 'error'>): boolean {
  return policy.source !== undefined || policy.error !== undefined;
}

/** Whether the packaged app carries a built-in update server (written when the build names one). */
export function hasBuiltInFeed(resourcesPath: string): boolean {
  return existsSync(join(resourcesPath, 'app-update.yml'));
}

/** The timers the checks run on (tests pass fakes). */
export interface UpdateTimers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** What startUpdates needs. */
export interface StartUpdatesOptions {
  /** electron-updater's autoUpdater. */
  readonly autoUpdater: Updater;
  readonly policy: Pick<PolicyOutcome, 'locked' | 'updates'>;
  /** A managed install (isManagedInstall): updates are silent, without even a notification. */
  readonly managed: boolean;
  readonly logger: Logger;
  /** app.isPackaged: a development run never updates. */
  readonly packaged: boolean;
  /** hasBuiltInFeed(process.resourcesPath). */
  readonly builtInFeed: boolean;
  readonly chosen?: UpdateChoices | undefined;
  /** Told once per version when an update has downloaded, on installs that are not managed. */
  readonly notifyDownloaded?: ((version: string) => void) | undefined;
  readonly checkIntervalHours?: number | undefined;
  readonly timers?: UpdateTimers | undefined;
}

/** Running updates: the settings they run with, a check on demand, and stop. */
export interface RunningUpdates {
  readonly settings: UpdateSettings;
  /** Checks now (a check already running is not repeated). Never rejects: failures are logged. */
  check(): Promise<void>;
  /** Stops the periodic checks and stops listening to the updater (a downloaded update still installs on quit). */
  stop(): void;
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_LENGTH);

/**
 * Starts updates as the policy and settings allow: configures the updater, checks at once and every
 * `checkIntervalHours`. Updates off (by the policy, in a development run, without a server) → the
 * updater is not touched and no check runs.
 *
 * Downgrades are never allowed, even to a pinned channel whose version is older: a message store
 * written by a newer version does not open in an older one.
 *
 * @returns the running updates; never throws (a failure is logged and updates stay off).
 */
export function startUpdates(options: StartUpdatesOptions): RunningUpdates {
  const { autoUpdater: updater, logger } = options;
  const resolved = resolveUpdates(options.policy, options.chosen, options.builtInFeed);
  const settings: UpdateSettings = options.packaged || !resolved.enabled ? resolved : { ...resolved, enabled: false, offBecause: 'development run' };
  const off: RunningUpdates = { settings, check: async () => {}, stop: () => {} };
  if (!settings.enabled) {
    logger.info('updates off', { reason: settings.offBecause });
    return off;
  }

  try {
    // electron-updater's own lines: warnings only; errors arrive as 'error' events, below.
    updater.logger = {
      info: () => {},
      warn: (message) => logger.warn('updater warning', { detail: errorText(message) }),
      error: () => {},
    };
    updater.autoDownload = true;
    updater.autoInstallOnAppQuit = true;
    if (settings.url !== undefined) {
      updater.setFeedURL({ provider: 'generic', url: settings.url, ...(settings.channel === undefined ? {} : { channel: settings.channel }) });
    } else if (settings.channel !== undefined) {
      updater.channel = settings.channel;
    }
    // After the channel: setting a channel allows downgrades.
    updater.allowDowngrade = false;
  } catch (error) {
    logger.warn('updates off: the update server could not be set', { error: errorText(error) });
    return { ...off, settings: { ...settings, enabled: false, offBecause: errorText(error) } };
  }

  const reported = new WeakSet<object>();
  const notified = new Set<string>();
  const onError = (error: Error): void => {
    if (error instanceof Object) reported.add(error);
    logger.warn('update check or download failed; trying again later', { error: errorText(error) });
  };
  const onAvailable = (info: UpdateVersion): void => logger.info('update available; downloading it', { version: info.version });
  const onDownloaded = (info: UpdateVersion): void => {
    logger.info('update downloaded; it installs when Pushdesk quits', { version: info.version });
    if (options.managed || notified.has(info.version)) return;
    notified.add(info.version);
    try {
      options.notifyDownloaded?.(info.version);
    } catch (error) {
      logger.warn('could not tell about the downloaded update', { error: errorText(error) });
    }
  };
  updater.on('error', onError);
  updater.on('update-available', onAvailable);
  updater.on('update-downloaded', onDownloaded);

  let running: Promise<void> | undefined;
  const check = (): Promise<void> => {
    running ??= (async () => {
      try {
        const result = await updater.checkForUpdates();
        // A failed download is reported by the 'error' event; nobody else awaits this promise.
        result?.downloadPromise?.catch(() => {});
      } catch (error) {
        // electron-updater emits 'error' and then rejects with the same error: log it once.
        if (!(error instanceof Object && reported.has(error))) onError(error as Error);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const hours = options.checkIntervalHours ?? CHECK_INTERVAL_HOURS;
  const timers = options.timers ?? { setInterval: (callback, ms) => setInterval(callback, ms), clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout) };
  const interval = timers.setInterval(() => void check(), hours * 3_600_000);
  logger.info('updates on', {
    server: settings.url ?? 'built in',
    channel: settings.channel ?? 'latest',
    lockedByPolicy: settings.locked,
    managed: options.managed,
    everyHours: hours,
  });
  void check();
  return {
    settings,
    check,
    stop: () => {
      timers.clearInterval(interval);
      updater.removeListener('error', onError);
      updater.removeListener('update-available', onAvailable);
      updater.removeListener('update-downloaded', onDownloaded);
    },
  };
}
