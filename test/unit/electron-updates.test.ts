import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppUpdater } from 'electron-updater';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { PolicyOutcome } from '../../electron/core/config/policy.ts';
import type { Logger } from '../../electron/core/logger.ts';
import {
  CHECK_INTERVAL_HOURS,
  hasBuiltInFeed,
  isManagedInstall,
  resolveUpdates,
  startUpdates,
  type GenericFeed,
  type RunningUpdates,
  type StartUpdatesOptions,
  type Updater,
  type UpdaterLogger,
} from '../../electron/main/updates.ts';

/**
 * Updates against a stand-in for electron-updater's autoUpdater that behaves like it where Pushdesk
 * depends on it: a check emits 'update-available' and starts the download (autoDownload), a finished
 * download emits 'update-downloaded', a failure emits 'error' and then rejects with the same error,
 * and setting a channel turns allowDowngrade on.
 */
type Outcome = { kind: 'none' } | { kind: 'update'; version: string; download?: 'ok' | 'fails' } | { kind: 'fails'; message: string };

class StandInUpdater extends EventEmitter implements Updater {
  autoDownload = false;
  autoInstallOnAppQuit = false;
  allowDowngrade = false;
  logger: UpdaterLogger | null = null;
  feeds: GenericFeed[] = [];
  checks = 0;
  outcomes: Outcome[] = [];
  failFeed: Error | undefined;
  private channelValue: string | null = null;

  get channel(): string | null {
    return this.channelValue;
  }
  set channel(value: string | null) {
    this.channelValue = value;
    // As electron-updater: a channel allows downgrades.
    this.allowDowngrade = true;
  }
  setFeedURL(options: GenericFeed): void {
    if (this.failFeed) throw this.failFeed;
    this.feeds.push(options);
  }
  async checkForUpdates(): Promise<{ downloadPromise: Promise<string[]> | null } | null> {
    this.checks++;
    const outcome = this.outcomes.shift() ?? { kind: 'none' };
    await Promise.resolve();
    if (outcome.kind === 'fails') {
      const error = new Error(outcome.message);
      this.emit('error', error);
      throw error;
    }
    if (outcome.kind === 'none') return { downloadPromise: null };
    this.emit('update-available', { version: outcome.version });
    const downloadPromise = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (outcome.download === 'fails') {
        const error = new Error('sha512 checksum mismatch');
        this.emit('error', error);
        throw error;
      }
      this.emit('update-downloaded', { version: outcome.version, downloadedFile: '/tmp/update' });
      return ['/tmp/update'];
    })();
    return { downloadPromise: this.autoDownload ? downloadPromise : null };
  }
}

function recordingLogger(): Logger & { lines: { level: string; message: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, ...(fields ? { fields } : {}) });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** Interval timers the test advances by hand. */
function manualTimers() {
  const intervals = new Map<number, { callback: () => void; ms: number }>();
  let next = 1;
  return {
    intervals,
    setInterval: (callback: () => void, ms: number) => {
      intervals.set(next, { callback, ms });
      return next++;
    },
    clearInterval: (handle: unknown) => void intervals.delete(handle as number),
    /** Runs every interval due within `ms` (each at most once per call). */
    advance(ms: number) {
      for (const { callback, ms: every } of [...intervals.values()]) for (let t = every; t <= ms; t += every) callback();
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));

const NO_POLICY: Pick<PolicyOutcome, 'locked' | 'updates'> = { locked: [] };
const started: RunningUpdates[] = [];

function start(overrides: Partial<StartUpdatesOptions> & { autoUpdater: Updater }) {
  const logger = recordingLogger();
  const timers = manualTimers();
  const updates = startUpdates({ policy: NO_POLICY, managed: false, logger, packaged: true, builtInFeed: true, timers, ...overrides });
  started.push(updates);
  return { updates, logger, timers };
}

afterEach(() => {
  for (const updates of started.splice(0)) updates.stop();
});

describe('updates turned off', () => {
  it('does nothing at all when the policy turns updates off: no server set, no check, no timer', async () => {
    const updater = new StandInUpdater();
    const { updates, logger, timers } = start({ autoUpdater: updater, policy: { locked: [], updates: { enabled: false, url: 'https://updates.example/pushdesk' } } });
    await settle();
    expect(updates.settings.enabled).toBe(false);
    expect(updater.feeds).toEqual([]);
    expect(updater.checks).toBe(0);
    expect(updater.listenerCount('error')).toBe(0);
    expect(timers.intervals.size).toBe(0);
    await updates.check();
    expect(updater.checks).toBe(0);
    expect(logger.lines).toEqual([{ level: 'info', message: 'updates off', fields: { reason: 'the managed policy turns updates off (updates.enabled)' } }]);
  });

  it('does nothing without an update server: no updates.url in the policy and none built into the app', async () => {
    const updater = new StandInUpdater();
    const { updates, logger } = start({ autoUpdater: updater, builtInFeed: false });
    await settle();
    expect(updater.checks).toBe(0);
    expect(updates.settings.offBecause).toMatch(/no update server/);
    expect(logger.lines[0]?.message).toBe('updates off');
  });

  it('does nothing in a development run (not a packaged app)', async () => {
    const updater = new StandInUpdater();
    const { updates } = start({ autoUpdater: updater, packaged: false, policy: { locked: [], updates: { enabled: true, url: 'https://updates.example/pushdesk' } } });
    await settle();
    expect(updater.checks).toBe(0);
    expect(updates.settings.offBecause).toBe('development run');
  });
});

describe('where updates come from', () => {
  it("uses the policy's generic server and channel, checks at start and never allows a downgrade", async () => {
    const updater = new StandInUpdater();
    const { updates } = start({ autoUpdater: updater, policy: { locked: ['updates'], updates: { enabled: true, url: 'https://updates.example/pushdesk', channel: 'beta' } } });
    await settle();
    expect(updater.feeds).toEqual([{ provider: 'generic', url: 'https://updates.example/pushdesk', channel: 'beta' }]);
    expect(updater.checks).toBe(1);
    expect(updater.allowDowngrade).toBe(false);
    expect(updates.settings).toEqual({ enabled: true, url: 'https://updates.example/pushdesk', channel: 'beta', locked: true, offBecause: undefined });
  });

  it("keeps the app's built-in server when the policy names none, and pins the channel on it", async () => {
    const updater = new StandInUpdater();
    start({ autoUpdater: updater, policy: { locked: [], updates: { enabled: true, channel: 'beta' } } });
    await settle();
    expect(updater.feeds).toEqual([]);
    expect(updater.channel).toBe('beta');
    // Setting the channel turned downgrades on; Pushdesk turns them off again.
    expect(updater.allowDowngrade).toBe(false);
    expect(updater.checks).toBe(1);
  });

  it("lets the person choose the channel, unless the policy locks 'updates'", () => {
    const policy = { updates: { enabled: true, channel: 'latest' } };
    expect(resolveUpdates({ ...policy, locked: [] }, { channel: 'beta' }, true).channel).toBe('beta');
    expect(resolveUpdates({ ...policy, locked: ['updates'] }, { channel: 'beta' }, true)).toMatchObject({ channel: 'latest', locked: true });
    expect(resolveUpdates({ ...policy, locked: ['updates'] }, { enabled: false }, true).enabled).toBe(true);
    // A lock without values: the built-in defaults (on, the server's own channel), whatever the person chose.
    expect(resolveUpdates({ locked: ['updates'] }, { enabled: false, channel: 'beta' }, true)).toMatchObject({ enabled: true, channel: undefined });
    expect(resolveUpdates({ locked: [] }, { enabled: false }, true)).toMatchObject({ enabled: false, offBecause: 'turned off in the settings' });
  });

  it('counts a machine as managed when a policy file is present, even an invalid one', () => {
    expect(isManagedInstall({ source: '/etc/pushdesk/policy.json', error: undefined })).toBe(true);
    expect(isManagedInstall({ source: undefined, error: '/etc/pushdesk/policy.json: not valid JSON' })).toBe(true);
    expect(isManagedInstall({ source: undefined, error: undefined })).toBe(false);
  });

  it("finds the built-in server as electron-builder writes it: resources/app-update.yml", () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushdesk-resources-'));
    try {
      expect(hasBuiltInFeed(dir)).toBe(false);
      writeFileSync(join(dir, 'app-update.yml'), 'provider: generic\nurl: https://updates.example/pushdesk\n');
      expect(hasBuiltInFeed(dir)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('downloading and installing', () => {
  it('on a managed machine downloads silently and installs on quit, without a word to the person', async () => {
    const updater = new StandInUpdater();
    updater.outcomes.push({ kind: 'update', version: '0.2.0' });
    const told: string[] = [];
    const { logger } = start({ autoUpdater: updater, managed: true, notifyDownloaded: (version) => told.push(version) });
    await settle();
    expect(updater.autoDownload).toBe(true);
    expect(updater.autoInstallOnAppQuit).toBe(true);
    expect(told).toEqual([]);
    expect(logger.lines.map((line) => line.message)).toEqual(['updates on', 'update available; downloading it', 'update downloaded; it installs when Pushdesk quits']);
  });

  it('elsewhere tells the person once per downloaded version that it installs at the next quit', async () => {
    const updater = new StandInUpdater();
    updater.outcomes.push({ kind: 'update', version: '0.2.0' }, { kind: 'update', version: '0.2.0' }, { kind: 'update', version: '0.3.0' });
    const told: string[] = [];
    const { updates } = start({ autoUpdater: updater, notifyDownloaded: (version) => told.push(version) });
    await settle();
    await updates.check();
    await settle();
    await updates.check();
    await settle();
    expect(told).toEqual(['0.2.0', '0.3.0']);
  });
});

describe('failures', () => {
  it('logs a failed check once and never throws', async () => {
    const updater = new StandInUpdater();
    updater.outcomes.push({ kind: 'fails', message: 'getaddrinfo ENOTFOUND updates.example' });
    const { updates, logger } = start({ autoUpdater: updater });
    await settle();
    await expect(updates.check()).resolves.toBeUndefined();
    const failures = logger.lines.filter((line) => line.level === 'warn');
    expect(failures).toEqual([{ level: 'warn', message: 'update check or download failed; trying again later', fields: { error: 'getaddrinfo ENOTFOUND updates.example' } }]);
  });

  it('logs a failed download without an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const updater = new StandInUpdater();
      updater.outcomes.push({ kind: 'update', version: '0.2.0', download: 'fails' });
      const { logger } = start({ autoUpdater: updater });
      await settle();
      await settle();
      expect(logger.lines.filter((line) => line.level === 'warn').map((line) => line.fields?.error)).toEqual(['sha512 checksum mismatch']);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('stays off, with a warning, when the updater refuses the server', async () => {
    const updater = new StandInUpdater();
    updater.failFeed = new Error('invalid url');
    const { updates, logger } = start({ autoUpdater: updater, policy: { locked: [], updates: { enabled: true, url: 'https://updates.example/pushdesk' } } });
    await settle();
    expect(updates.settings.enabled).toBe(false);
    expect(updater.checks).toBe(0);
    expect(logger.lines).toContainEqual({ level: 'warn', message: 'updates off: the update server could not be set', fields: { error: 'invalid url' } });
  });

  it("passes only electron-updater's warnings on to the log", () => {
    const updater = new StandInUpdater();
    const { logger } = start({ autoUpdater: updater });
    updater.logger?.info('Checking for update');
    updater.logger?.warn('Cannot remove old update');
    expect(logger.lines).toContainEqual({ level: 'warn', message: 'updater warning', fields: { detail: 'Cannot remove old update' } });
    expect(logger.lines.some((line) => line.fields?.detail === 'Checking for update')).toBe(false);
  });
});

describe('schedule', () => {
  it(`checks at start and then every ${CHECK_INTERVAL_HOURS} hours, until stopped`, async () => {
    const updater = new StandInUpdater();
    const { updates, timers } = start({ autoUpdater: updater });
    await settle();
    expect(updater.checks).toBe(1);
    expect([...timers.intervals.values()].map((timer) => timer.ms)).toEqual([CHECK_INTERVAL_HOURS * 3_600_000]);
    timers.advance(CHECK_INTERVAL_HOURS * 3_600_000);
    await settle();
    expect(updater.checks).toBe(2);
    updates.stop();
    expect(timers.intervals.size).toBe(0);
    expect(updater.listenerCount('update-downloaded')).toBe(0);
  });

  it('takes the interval in hours', async () => {
    const updater = new StandInUpdater();
    const { timers } = start({ autoUpdater: updater, checkIntervalHours: 1 });
    expect([...timers.intervals.values()].map((timer) => timer.ms)).toEqual([3_600_000]);
  });

  it('does not start a second check while one is running', async () => {
    const updater = new StandInUpdater();
    const { updates } = start({ autoUpdater: updater });
    const both = Promise.all([updates.check(), updates.check()]);
    await both;
    expect(updater.checks).toBe(1);
  });
});

it("fits electron-updater's autoUpdater", () => {
  expectTypeOf<AppUpdater>().toExtend<Updater>();
});
