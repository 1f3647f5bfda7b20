import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'electron';
import { isLocked, type PolicyOutcome } from '../core/config/policy.ts';
import type { Logger } from '../core/logger.ts';

/** Without a choice of the person's and without a policy, Pushdesk does not add itself to the login items. */
export const START_AT_LOGIN_DEFAULT = false;

/** Given to the app when the OS starts it at login: it starts in the tray, without its window. */
export const HIDDEN_FLAG = '--hidden';

/** Whether Pushdesk starts at login, and who decided. */
export interface StartAtLogin {
  readonly enabled: boolean;
  /** The managed policy locks it: the person cannot change it. */
  readonly locked: boolean;
  readonly decidedBy: 'policy lock' | 'person' | 'policy default' | 'built-in default';
}

/**
 * Start at login from the person's choice and the managed policy: a lock wins (with the policy's value,
 * or the built-in default when it gives none); otherwise the person's choice; otherwise the policy's
 * default; otherwise START_AT_LOGIN_DEFAULT.
 */
export function resolveStartAtLogin(chosen: boolean | undefined, policy: Pick<PolicyOutcome, 'locked' | 'startAtLogin'>): StartAtLogin {
  if (isLocked(policy.locked, 'startAtLogin')) {
    return { enabled: policy.startAtLogin ?? START_AT_LOGIN_DEFAULT, locked: true, decidedBy: 'policy lock' };
  }
  if (chosen !== undefined) return { enabled: chosen, locked: false, decidedBy: 'person' };
  if (policy.startAtLogin !== undefined) return { enabled: policy.startAtLogin, locked: false, decidedBy: 'policy default' };
  return { enabled: START_AT_LOGIN_DEFAULT, locked: false, decidedBy: 'built-in default' };
}

/** What applyStartAtLogin needs from the app and the machine. */
export interface LoginItemHost {
  readonly app: Pick<App, 'setLoginItemSettings' | 'isPackaged'>;
  readonly platform: NodeJS.Platform;
  /** The executable to start: process.execPath. */
  readonly execPath: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  /** Linux: the XDG autostart folder; default $XDG_CONFIG_HOME/autostart or ~/.config/autostart. */
  readonly autostartDir?: string;
}

/** The Linux autostart entry's file name. */
export const AUTOSTART_FILE = 'pushdesk.desktop';

/**
 * Registers or removes Pushdesk as a login item: app.setLoginItemSettings on Windows and macOS, an XDG
 * autostart entry on Linux (where Electron's call does nothing). A development run (not packaged) is
 * left alone: it would register the bare Electron binary.
 *
 * @returns what was done, for the log; failures are logged, never thrown.
 */
export function applyStartAtLogin(enabled: boolean, host: LoginItemHost): 'applied' | 'skipped: development run' | 'failed' {
  if (!host.app.isPackaged) {
    host.logger.info('start at login not applied: development run', { enabled });
    return 'skipped: development run';
  }
  try {
    if (host.platform === 'linux') {
      const dir = host.autostartDir ?? join(host.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'autostart');
      const file = join(dir, AUTOSTART_FILE);
      if (enabled) {
        mkdirSync(dir, { recursive: true });
        // An AppImage runs from a temporary mount: the entry must start the AppImage file itself.
        writeFileSync(file, autostartEntry(host.env.APPIMAGE || host.execPath), { mode: 0o644 });
      } else {
        rmSync(file, { force: true });
      }
    } else {
      // args: Windows only; macOS tells a login start by getLoginItemSettings().wasOpenedAtLogin.
      host.app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_FLAG] });
    }
    host.logger.info('start at login applied', { enabled });
    return 'applied';
  } catch (error) {
    host.logger.warn('could not change start at login', { enabled, error: (error as Error).message });
    return 'failed';
  }
}

/** An XDG autostart desktop entry starting `executable` in the tray. */
export function autostartEntry(executable: string): string {
  return ['[Desktop Entry]', 'Type=Application', 'Name=Pushdesk', `Exec=${quoteExec(executable)} ${HIDDEN_FLAG}`, 'X-GNOME-Autostart-enabled=true', ''].join('\n');
}

/**
 * Quotes a path for a desktop entry's Exec key: double quotes, with ", `, $ and \ escaped by a
 * backslash (the desktop entry specification), and % doubled (field codes).
 */
function quoteExec(path: string): string {
  const quoted = `"${path.replace(/(["`$\\])/g, '\\$1')}"`;
  // The key's value is itself an escaped string: each backslash written once more.
  return quoted.replace(/\\/g, '\\\\').replace(/%/g, '%%');
}

/** Whether this run was started by the OS at login (and so should stay in the tray). */
export function startedAtLogin(argv: readonly string[], app: { getLoginItemSettings?: () => { wasOpenedAtLogin?: boolean } }, platform: NodeJS.Platform): boolean {
  if (argv.includes(HIDDEN_FLAG)) return true;
  return platform === 'darwin' && app.getLoginItemSettings?.().wasOpenedAtLogin === true;
}
