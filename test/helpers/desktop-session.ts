import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './net.ts';
import { requireProgram } from './programs.ts';

/** One org.freedesktop.Notifications.Notify call as dbus-monitor printed it. */
export interface NotifyCall {
  readonly appName: string;
  readonly replacesId: number;
  readonly summary: string;
  readonly body: string;
  /** The urgency hint: 0 low, 1 normal, 2 critical; undefined when the hint was not sent. */
  readonly urgency: number | undefined;
  readonly expireTimeoutMs: number;
}

/** A line that starts an argument at the top level of a call. */
const TOP_LEVEL = /^ {3}(string "|uint32 |int32 |array \[)/;

/** Reads the top-level arguments of one call: strings (which may span lines), numbers, arrays. */
function topLevelArguments(lines: readonly string[]): (string | number | { array: true })[] {
  const args: (string | number | { array: true })[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('   string "')) {
      // dbus-monitor prints newlines inside a string as they are and does not escape quotes: the
      // string ends at a line ending in a quote that is followed by another argument or the end.
      let text = line.slice('   string "'.length);
      while (!(text.endsWith('"') && (i + 1 >= lines.length || TOP_LEVEL.test(lines[i + 1] as string) || lines[i + 1] === ''))) {
        i++;
        if (i >= lines.length) break;
        text += `\n${lines[i] as string}`;
      }
      args.push(text.endsWith('"') ? text.slice(0, -1) : text);
    } else if (line.startsWith('   array [')) {
      if (!line.trimEnd().endsWith(']')) while (i < lines.length && lines[i] !== '   ]') i++;
      args.push({ array: true });
    } else if (/^ {3}u?int32 /.test(line)) {
      args.push(Number(/(-?\d+)\s*$/.exec(line)?.[1] ?? NaN));
    }
  }
  return args;
}

/**
 * Parses dbus-monitor's text for Notify calls.
 *
 * Arguments: app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout.
 */
export function parseNotifyCalls(text: string): NotifyCall[] {
  const calls: NotifyCall[] = [];
  for (const block of text.split(/\n(?=(?:method call|signal|method return|error) time=)/)) {
    if (!/member=Notify\b/.test(block.split('\n', 1)[0] ?? '')) continue;
    const args = topLevelArguments(block.split('\n').slice(1));
    const urgencyLine = /string "urgency"\s*\n\s*variant\s+byte (\d+)/.exec(block);
    const asString = (v: unknown): string => (typeof v === 'string' ? v : '');
    calls.push({
      appName: asString(args[0]),
      replacesId: Number(args[1]),
      summary: asString(args[3]),
      body: asString(args[4]),
      urgency: urgencyLine ? Number(urgencyLine[1]) : undefined,
      expireTimeoutMs: Number(args[7]),
    });
  }
  return calls;
}

/**
 * A private desktop for notification tests: its own D-Bus session bus, an Xvfb display, dunst as the
 * notification server, and dbus-monitor recording every Notify call.
 */
export interface DesktopSession {
  /** Environment to give a process so its notifications go to this session. */
  readonly env: { DBUS_SESSION_BUS_ADDRESS: string; DISPLAY: string };
  /** Notify calls seen so far. */
  notifyCalls(): NotifyCall[];
  /** Waits for a Notify call whose summary matches. */
  waitForNotify(summary: string, timeoutMs?: number): Promise<NotifyCall>;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Starts the private session; fails naming the Debian package when a program is missing. */
export async function startDesktopSession(): Promise<DesktopSession> {
  const dbusDaemon = requireProgram('dbus-daemon', 'dbus');
  const dbusMonitor = requireProgram('dbus-monitor', 'dbus');
  const dbusSend = requireProgram('dbus-send', 'dbus');
  const xvfb = requireProgram('Xvfb', 'xvfb');
  const dunst = requireProgram('dunst', 'dunst');
  requireProgram('notify-send', 'libnotify-bin');

  const children: ChildProcess[] = [];
  const bus = spawn(dbusDaemon, ['--session', '--nofork', '--nopidfile', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(bus);
  let busOut = '';
  bus.stdout?.on('data', (d: Buffer) => (busOut += d.toString()));
  const address = await waitFor('the D-Bus session address', () => (busOut.includes('\n') ? busOut.trim() : undefined));

  const x = spawn(xvfb, ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  children.push(x);
  let displayOut = '';
  (x.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (displayOut += d.toString()));
  const display = `:${await waitFor('the Xvfb display number', () => (displayOut.includes('\n') ? displayOut.trim() : undefined))}`;

  const env = { DBUS_SESSION_BUS_ADDRESS: address, DISPLAY: display };
  const childEnv = { ...process.env, ...env };
  let monitorOut = '';
  const monitor = spawn(dbusMonitor, ['--session', "interface='org.freedesktop.Notifications',member='Notify'"], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  children.push(monitor);
  monitor.stdout?.on('data', (d: Buffer) => (monitorOut += d.toString()));
  children.push(spawn(dunst, [], { env: childEnv, stdio: 'ignore' }));

  const nameOwned = (): boolean | undefined => {
    try {
      const out = execFileSync(
        dbusSend,
        ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.Notifications'],
        { env: childEnv, encoding: 'utf8' },
      );
      return out.includes('boolean true') ? true : undefined;
    } catch {
      return undefined;
    }
  };
  await waitFor('dunst to own org.freedesktop.Notifications', nameOwned, 15_000, 100);
  await waitFor('dbus-monitor to start', () => (monitorOut.length > 0 ? true : undefined), 5000);

  return {
    env,
    notifyCalls: () => parseNotifyCalls(monitorOut),
    waitForNotify: (summary, timeoutMs = 10_000) =>
      waitFor(`a Notify call with summary "${summary}"`, () => parseNotifyCalls(monitorOut).find((c) => c.summary === summary), timeoutMs),
    stop: async () => {
      await Promise.all(children.reverse().map(stopChild));
    },
  };
}
