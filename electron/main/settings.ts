import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import Store, { type Options, type Schema } from 'electron-store';
import type { Logger } from '../core/logger.ts';

/**
 * The desktop shell's own settings (the window, start at login) in `<userData>/settings.json`,
 * through electron-store with a JSON schema and versioned migrations.
 *
 * They are not the Pushdesk configuration (`config.json`, connections and rules, which IT may manage),
 * nor the person's settings both shells share (language, theme, quiet hours…: the core keeps those and
 * the Settings screen changes them through the contract): these are choices about this app on this
 * machine that only the desktop has.
 */

/** A window's position and size in screen coordinates (DIP), as Electron's Rectangle. */
export interface Rectangle {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The main window as it was last left. */
export interface WindowState {
  /** Its normal (not maximized) bounds. */
  readonly bounds: Rectangle;
  readonly maximized: boolean;
}

/** What settings.json holds (format SETTINGS_FORMAT). */
export interface ShellSettings {
  window?: WindowState;
  /** The person's choice; absent until they make one (the policy's default or the built-in one applies). */
  startAtLogin?: boolean;
}

/** The file name, without .json. Not "config": that is the Pushdesk configuration in the same folder. */
export const SETTINGS_NAME = 'settings';

/**
 * The format of settings.json, as electron-store's migration version (not the app's version, so a
 * format change is a deliberate step here, not a side effect of a release number).
 *
 * 1.0.0: the first format; the window as `windowBounds` ({x, y, width, height}) alone.
 * 2.0.0: the window as `window` ({bounds, maximized}), so a maximized window comes back maximized
 *        instead of as a huge normal one.
 * 3.0.0: no `language` and `theme`: they moved to the core's user settings, shared by both shells
 *        (the UI never read the ones kept here).
 */
export const SETTINGS_FORMAT = '3.0.0';

/** Window sizes outside these are not a window a person left (a corrupt or hand-edited file). */
export const MIN_WINDOW_SIZE = 200;
const MAX_WINDOW_SIZE = 100_000;
const MAX_COORDINATE = 1_000_000;

const coordinate = { type: 'integer', minimum: -MAX_COORDINATE, maximum: MAX_COORDINATE } as const;
const size = { type: 'integer', minimum: MIN_WINDOW_SIZE, maximum: MAX_WINDOW_SIZE } as const;

/** The JSON schema electron-store validates the file against on every read and write. */
export const settingsSchema: Schema<ShellSettings> = {
  window: {
    type: 'object',
    properties: {
      bounds: {
        type: 'object',
        properties: { x: coordinate, y: coordinate, width: size, height: size },
        required: ['x', 'y', 'width', 'height'],
        additionalProperties: false,
      },
      maximized: { type: 'boolean' },
    },
    required: ['bounds', 'maximized'],
    additionalProperties: false,
  },
  startAtLogin: { type: 'boolean' },
};

/** Whether a value is a rectangle the schema accepts as window bounds. */
export function isWindowBounds(value: unknown): value is Rectangle {
  if (value === null || typeof value !== 'object') return false;
  const r = value as Record<string, unknown>;
  const within = (v: unknown, min: number, max: number): boolean => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
  return (
    within(r.x, -MAX_COORDINATE, MAX_COORDINATE) &&
    within(r.y, -MAX_COORDINATE, MAX_COORDINATE) &&
    within(r.width, MIN_WINDOW_SIZE, MAX_WINDOW_SIZE) &&
    within(r.height, MIN_WINDOW_SIZE, MAX_WINDOW_SIZE)
  );
}

/**
 * Steps from each earlier format, keyed by the format they produce. A file with no recorded format is
 * taken as the first one. A step that throws leaves the file as it was (electron-store restores it).
 */
export const settingsMigrations: NonNullable<Options<ShellSettings>['migrations']> = {
  '2.0.0': (store) => {
    // The old keys are not in ShellSettings: read and write the store untyped.
    const raw = store as unknown as { get(key: string): unknown; set(key: string, value: unknown): void; delete(key: string): void };
    const old = raw.get('windowBounds');
    raw.delete('windowBounds');
    if (isWindowBounds(old)) {
      raw.set('window', { bounds: { x: old.x, y: old.y, width: old.width, height: old.height }, maximized: false });
    }
  },
  '3.0.0': (store) => {
    // Whatever they held (even a value the old schema would refuse): the core's settings decide now.
    const raw = store as unknown as { delete(key: string): void };
    raw.delete('language');
    raw.delete('theme');
  },
};

/** The opened settings, and the unreadable file moved aside at start, if there was one. */
export interface OpenedSettings {
  readonly store: Store<ShellSettings>;
  readonly movedAside: string | undefined;
}

/**
 * Opens (creating if needed) `<dir>/settings.json`, migrating an older format.
 *
 * A file that is not JSON, fails the schema, or fails a migration does not stop the app: it is moved
 * aside to settings.invalid-<time>.json (kept for support) and the defaults apply; a warning says so.
 *
 * @param dir an absolute folder: the app's user-data folder.
 */
export function openSettings(options: { dir: string; logger: Logger; now?: () => number }): OpenedSettings {
  const open = (): Store<ShellSettings> =>
    new Store<ShellSettings>({
      name: SETTINGS_NAME,
      cwd: options.dir,
      projectVersion: SETTINGS_FORMAT,
      schema: settingsSchema,
      migrations: settingsMigrations,
      configFileMode: 0o600,
    });
  try {
    return { store: open(), movedAside: undefined };
  } catch (error) {
    const path = join(options.dir, `${SETTINGS_NAME}.json`);
    if (!existsSync(path)) throw error;
    const aside = join(options.dir, `${SETTINGS_NAME}.invalid-${new Date((options.now ?? Date.now)()).toISOString().replace(/[:.]/g, '-')}.json`);
    renameSync(path, aside);
    options.logger.warn('the settings file could not be read; it was moved aside and the defaults apply', {
      error: (error as Error).message.slice(0, 300),
      movedTo: aside,
    });
    return { store: open(), movedAside: aside };
  }
}
