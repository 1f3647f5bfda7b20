import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A top-level array argument: the lines between `array [` and `]`. */
interface ArrayArgument {
  readonly array: true;
  readonly lines: string[];
}

/** Reads the top-level arguments of one call: strings (which may span lines), numbers, arrays. */
function topLevelArguments(lines: readonly string[]): (string | number | ArrayArgument)[] {
  const args: (string | number | ArrayArgument)[] = [];
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
      const start = i + 1;
      if (!line.trimEnd().endsWith(']')) while (i < lines.length && lines[i] !== '   ]') i++;
      args.push({ array: true, lines: i > start ? lines.slice(start, i) : [] });
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

/** One Notify call with the id the server returned for it, its actions and its hints. */
export interface NotifyExchange extends NotifyCall {
  /** The caller's unique bus name and the call's serial, which the reply names. */
  readonly sender: string;
  readonly serial: number;
  /** The notification id in the server's reply; undefined while no reply was seen (or the call failed). */
  readonly id: number | undefined;
  /** The actions as sent: pairs of action name and label. */
  readonly actions: readonly { readonly key: string; readonly label: string }[];
  /** Each hint as dbus-monitor printed its value, e.g. `byte 2`, `boolean true`, `string "im.received"`. */
  readonly hints: Readonly<Record<string, string>>;
}

/** Splits dbus-monitor output into messages, each starting with its header line. */
function messages(text: string): string[] {
  return text.split(/\n(?=(?:method call|signal|method return|error) time=)/);
}

/** Reads `   uint32 N` arguments of a message body. */
function uint32Arguments(block: string): number[] {
  return [...block.matchAll(/^ {3}uint32 (\d+)\s*$/gm)].map((m) => Number(m[1]));
}

/**
 * Parses dbus-monitor's text for Notify calls and the replies to them.
 *
 * The monitor must watch method returns too (startDesktopSession does) for `id` to be known.
 */
export function parseNotifyExchanges(text: string): NotifyExchange[] {
  const replies = new Map<string, number>();
  for (const block of messages(text)) {
    const header = /^method return time=\S+ sender=\S+ -> destination=(\S+) serial=\d+ reply_serial=(\d+)/.exec(block);
    const id = uint32Arguments(block)[0];
    if (header && id !== undefined) replies.set(`${header[1]}#${header[2]}`, id);
  }
  const exchanges: NotifyExchange[] = [];
  for (const block of messages(text)) {
    const header = /^method call time=\S+ sender=(\S+) -> destination=\S+ serial=(\d+) .*member=Notify$/m.exec(block.split('\n', 1)[0] ?? '');
    const call = parseNotifyCalls(block)[0];
    if (!header || !call) continue;
    const args = topLevelArguments(block.split('\n').slice(1));
    const arrays = args.filter((a): a is ArrayArgument => typeof a === 'object');
    const actionStrings = (arrays[0]?.lines ?? []).map((l) => /^ {6}string "(.*)"$/.exec(l)?.[1] ?? '');
    const actions: { key: string; label: string }[] = [];
    for (let i = 0; i + 1 < actionStrings.length; i += 2) actions.push({ key: actionStrings[i] as string, label: actionStrings[i + 1] as string });
    const hints: Record<string, string> = {};
    for (const m of (arrays[1]?.lines ?? []).join('\n').matchAll(/dict entry\(\n\s*string "([^"\n]*)"\n\s*variant\s+(.*)\n/g)) {
      hints[m[1] as string] = (m[2] as string).trim();
    }
    const sender = header[1] as string;
    const serial = Number(header[2]);
    exchanges.push({ ...call, sender, serial, id: replies.get(`${sender}#${serial}`), actions, hints });
  }
  return exchanges;
}

/** One org.freedesktop.Notifications.CloseNotification call. */
export interface CloseNotificationCall {
  readonly sender: string;
  readonly id: number;
}

/** Parses dbus-monitor's text for CloseNotification calls. */
export function parseCloseNotificationCalls(text: string): CloseNotificationCall[] {
  const calls: CloseNotificationCall[] = [];
  for (const block of messages(text)) {
    const header = /^method call time=\S+ sender=(\S+) .*member=CloseNotification$/.exec(block.split('\n', 1)[0] ?? '');
    const id = uint32Arguments(block)[0];
    if (header && id !== undefined) calls.push({ sender: header[1] as string, id });
  }
  return calls;
}

/** A NotificationClosed signal: reason 1 expired, 2 dismissed by the user, 3 closed by a call, 4 other. */
export interface NotificationClosedSignal {
  readonly id: number;
  readonly reason: number;
}

/** Parses dbus-monitor's text for NotificationClosed signals. */
export function parseNotificationClosedSignals(text: string): NotificationClosedSignal[] {
  const signals: NotificationClosedSignal[] = [];
  for (const block of messages(text)) {
    if (!/^signal time=.*member=NotificationClosed$/.test(block.split('\n', 1)[0] ?? '')) continue;
    const [id, reason] = uint32Arguments(block);
    if (id !== undefined && reason !== undefined) signals.push({ id, reason });
  }
  return signals;
}

/**
 * A private desktop for notification tests: its own D-Bus session bus, an Xvfb display, dunst as the
 * notification server (Debian's dunstrc, with a scripted stand-in for dmenu so tests can choose
 * actions), and dbus-monitor recording the Notifications interface's calls and signals and the
 * method returns (the ids Notify returned).
 */
export interface DesktopSession {
  /** Environment to give a process so its notifications go to this session. */
  readonly env: { DBUS_SESSION_BUS_ADDRESS: string; DISPLAY: string };
  /** Notify calls seen so far. */
  notifyCalls(): NotifyCall[];
  /** Waits for a Notify call whose summary matches. */
  waitForNotify(summary: string, timeoutMs?: number): Promise<NotifyCall>;
  /** Notify calls seen so far, with the ids the server returned, their actions and hints. */
  notifyExchanges(): NotifyExchange[];
  /** Waits for a Notify call that matches and whose reply (the id) was seen. */
  waitForExchange(what: string, match: (exchange: NotifyExchange) => boolean, timeoutMs?: number): Promise<NotifyExchange>;
  /** CloseNotification calls seen so far, from any client. */
  closeNotificationCalls(): CloseNotificationCall[];
  /** NotificationClosed signals seen so far. */
  closedSignals(): NotificationClosedSignal[];
  /**
   * Chooses an action of a displayed notification as a person would, through dunst's context menu
   * (`dunstctl context`, with a stand-in for dmenu that picks `[id,actionKey]`); "default" is a click.
   * Retries until dunst lists the notification.
   */
  invokeAction(id: number, actionKey: string, timeoutMs?: number): Promise<void>;
  /** Closes every notification as the person would (`dunstctl close-all`: NotificationClosed reason 2). */
  dismissAll(): Promise<void>;
  stop(): Promise<void>;
}

/** The dunstrc of a session: Debian's, with the context menu going to `picker` instead of dmenu. */
function dunstConfig(picker: string): string {
  const system = '/etc/xdg/dunst/dunstrc';
  const base = existsSync(system) ? readFileSync(system, 'utf8') : '[global]\n';
  const line = `    dmenu = ${picker}`;
  if (/^\s*dmenu\s*=.*$/m.test(base)) return base.replace(/^\s*dmenu\s*=.*$/m, line);
  return base.replace(/^\[global\]\s*$/m, `[global]\n${line}`);
}

/**
 * The stand-in for dmenu: dunst writes one line per action (`#Label (summary) [id,action]`) and runs the
 * line printed back. It prints the line holding the text in `choice` and records it in `picked`.
 */
function pickerScript(dir: string): string {
  return `#!/bin/sh
input=$(cat)
printf '%s\\n' "$input" >> '${dir}/menu.log'
choice=$(cat '${dir}/choice' 2>/dev/null)
[ -n "$choice" ] || exit 0
line=$(printf '%s\\n' "$input" | grep -F -- "$choice" | head -n 1)
[ -n "$line" ] && printf '%s\\n' "$line" >> '${dir}/picked'
printf '%s\\n' "$line"
`;
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
  const dunstctl = requireProgram('dunstctl', 'dunst');
  requireProgram('notify-send', 'libnotify-bin');

  const dir = mkdtempSync(join(tmpdir(), 'pushdesk-desktop-'));
  const picker = join(dir, 'pick-action.sh');
  writeFileSync(picker, pickerScript(dir));
  chmodSync(picker, 0o755);
  const dunstrc = join(dir, 'dunstrc');
  writeFileSync(dunstrc, dunstConfig(picker));

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
  // Every call and signal of the Notifications interface, and method returns for the ids Notify returned.
  const monitor = spawn(dbusMonitor, ['--session', "interface='org.freedesktop.Notifications'", "type='method_return'"], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  children.push(monitor);
  monitor.stdout?.on('data', (d: Buffer) => (monitorOut += d.toString()));
  children.push(spawn(dunst, ['-config', dunstrc], { env: childEnv, stdio: 'ignore' }));

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

  const dunstctlRun = (args: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      execFile(dunstctl, args, { env: childEnv, timeout: 10_000 }, (error, _stdout, stderr) =>
        error ? reject(new Error(`dunstctl ${args.join(' ')} failed: ${stderr || error.message}`)) : resolve(),
      );
    });

  return {
    env,
    notifyCalls: () => parseNotifyCalls(monitorOut),
    waitForNotify: (summary, timeoutMs = 10_000) =>
      waitFor(`a Notify call with summary "${summary}"`, () => parseNotifyCalls(monitorOut).find((c) => c.summary === summary), timeoutMs),
    notifyExchanges: () => parseNotifyExchanges(monitorOut),
    waitForExchange: (what, match, timeoutMs = 10_000) =>
      waitFor(`a Notify call (${what}) and its reply`, () => parseNotifyExchanges(monitorOut).find((e) => e.id !== undefined && match(e)), timeoutMs),
    closeNotificationCalls: () => parseCloseNotificationCalls(monitorOut),
    closedSignals: () => parseNotificationClosedSignals(monitorOut),
    invokeAction: async (id, actionKey, timeoutMs = 10_000) => {
      const pickedFile = join(dir, 'picked');
      const pickedCount = (): number => (existsSync(pickedFile) ? readFileSync(pickedFile, 'utf8').split('\n').length - 1 : 0);
      const before = pickedCount();
      writeFileSync(join(dir, 'choice'), `[${id},${actionKey}]`);
      const deadline = Date.now() + timeoutMs;
      try {
        for (;;) {
          await dunstctlRun(['context']);
          const picked = await waitFor('the picker', () => (pickedCount() > before ? true : undefined), 500).catch(() => false);
          if (picked) return;
          if (Date.now() > deadline) {
            const menus = existsSync(join(dir, 'menu.log')) ? readFileSync(join(dir, 'menu.log'), 'utf8') : '(never opened)';
            throw new Error(`dunst's context menu never offered [${id},${actionKey}]; menus seen:\n${menus}`);
          }
        }
      } finally {
        writeFileSync(join(dir, 'choice'), '');
      }
    },
    dismissAll: () => dunstctlRun(['close-all']),
    stop: async () => {
      await Promise.all(children.reverse().map(stopChild));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
