import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Logger } from '../core/logger.ts';
import type { NotificationRequest, Notifier, NotifierEvent } from '../core/notify/notifier.ts';
import { plainTextArgument } from './node-notifier-adapter.ts';

/** The action name libnotify servers invoke when the notification itself is clicked. */
export const DEFAULT_ACTION = 'default';
/** The freedesktop category sent with every notification unless configured otherwise. */
export const DEFAULT_CATEGORY = 'im.received';

/** notify-send processes allowed at once before their id came back; more wait in a queue. */
const MAX_IN_FLIGHT = 4;
/** Requests allowed to wait for a process; beyond this the oldest waiting show is dropped (it stays in history). */
const MAX_QUEUED = 32;
/** notify-send processes kept open to report clicks and actions; beyond this a notification is shown without them. */
const MAX_LISTENING = 16;
/** Tags whose D-Bus id is remembered for replace and withdraw; the oldest is forgotten beyond this. */
const MAX_TAGS = 1000;
/** A notify-send or close that has not answered by then is killed and logged. */
const PROCESS_TIMEOUT_MS = 30_000;
/** Longest title and body handed to notify-send, in code points (argv entries are limited to 128 KiB). */
const MAX_TITLE_CHARS = 1000;
const MAX_BODY_CHARS = 10_000;
const MAX_LABEL_CHARS = 100;

/** The action name notify-send gets for `request.actions[index]`; ids go back through the index, so they need no escaping. */
export function actionName(index: number): string {
  return `action-${index}`;
}

/** Removes NUL bytes (child_process refuses them) and cuts text to `maxChars` code points. */
function argumentText(text: string, maxChars: number): string {
  const clean = text.replaceAll('\0', '');
  if (clean.length <= maxChars) return clean;
  const points = Array.from(clean);
  return points.length <= maxChars ? clean : `${points.slice(0, maxChars - 1).join('')}…`;
}

/** How to build one notify-send command line. */
export interface NotifySendArgsOptions {
  /** Shown by the notification server as the sender (`--app-name`). */
  readonly appName: string;
  /** The D-Bus id of the notification that has the request's tag, when one is known: with `replace` it is updated in place. */
  readonly knownId?: number | undefined;
  /** The freedesktop category hint; DEFAULT_CATEGORY when not given. */
  readonly category?: string | undefined;
  /** An icon file name or icon theme name. */
  readonly iconPath?: string | undefined;
  /** Add the request's buttons (`--action`). notify-send then waits until the notification closes. */
  readonly withActions?: boolean | undefined;
  /** Add the "default" action so a click on the notification is reported. notify-send then waits too. */
  readonly reportClick?: boolean | undefined;
}

/**
 * The notify-send arguments (without the program) for one request.
 *
 * Always `--print-id`, so the id of the notification comes back on stdout. Options use the `--name=value`
 * form and the texts follow `--`, so no text can be read as an option; texts also go through
 * plainTextArgument (markup escaped in the body, a word joiner before a leading dash) and lose NUL bytes.
 * Action buttons are named `action-<index>`: the request's ids never reach the command line.
 */
export function notifySendArgs(request: NotificationRequest, options: NotifySendArgsOptions): string[] {
  const args = ['--print-id', `--app-name=${argumentText(options.appName, MAX_LABEL_CHARS)}`, `--urgency=${request.urgency}`];
  args.push(`--category=${argumentText(options.category ?? DEFAULT_CATEGORY, MAX_LABEL_CHARS)}`);
  if (options.iconPath !== undefined && options.iconPath !== '') args.push(`--icon=${argumentText(options.iconPath, 4096)}`);
  if (request.sticky === true) args.push('--expire-time=0');
  if (request.silent === true) args.push('--hint=boolean:suppress-sound:true');
  // The freedesktop sound naming spec's sound for a message that wants attention (priority 4 and up).
  else if (request.sound === true) args.push('--hint=string:sound-name:message-new-instant');
  if (request.replace === true && options.knownId !== undefined && options.knownId > 0) {
    args.push(`--replace-id=${Math.trunc(options.knownId)}`);
  }
  if (options.reportClick === true) args.push(`--action=${DEFAULT_ACTION}=Open`);
  if (options.withActions === true) {
    (request.actions ?? []).forEach((action, index) => {
      args.push(`--action=${actionName(index)}=${plainTextArgument(argumentText(action.label, MAX_LABEL_CHARS), false)}`);
    });
  }
  // notify-send refuses an empty summary ("No summary specified").
  const title = argumentText(request.title, MAX_TITLE_CHARS);
  args.push('--', plainTextArgument(title === '' ? argumentText(options.appName, MAX_LABEL_CHARS) : title, false));
  args.push(plainTextArgument(argumentText(request.body, MAX_BODY_CHARS), true));
  return args;
}

/**
 * Turns a line that a waiting notify-send printed after the id into an event.
 *
 * "default" is a click; `action-<index>` is that button of the request. Anything else (which notify-send
 * does not print for the actions it was given) is undefined. The event's tag is the request's, or ''
 * for a request without one.
 */
export function eventForOutput(request: NotificationRequest, line: string): NotifierEvent | undefined {
  const tag = request.tag ?? '';
  if (line === DEFAULT_ACTION) return { kind: 'click', tag, seq: request.seq };
  const index = /^action-(\d+)$/.exec(line)?.[1];
  const action = index === undefined ? undefined : request.actions?.[Number(index)];
  return action ? { kind: 'action', tag, seq: request.seq, actionId: action.id } : undefined;
}

/** Finds an executable on the PATH of `env`. */
function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/**
 * Whether notify-send (Debian: libnotify-bin) is on the PATH.
 *
 * The headless shell uses createNotifySendNotifier on Linux when this is true and node-notifier otherwise.
 */
export function notifySendAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  return findOnPath('notify-send', env) !== undefined;
}

/** Options of createNotifySendNotifier. */
export interface NotifySendNotifierOptions {
  /** The application name the notification server shows. */
  readonly appName: string;
  readonly logger: Logger;
  /** An icon file (or icon theme name) for every notification. */
  readonly iconPath?: string | undefined;
  /** The freedesktop category hint; DEFAULT_CATEGORY by default. */
  readonly category?: string | undefined;
  /**
   * Keep a notify-send process open per notification (up to 16) so a click comes back as a 'click'
   * event; true by default. Buttons are reported either way.
   */
  readonly reportClicks?: boolean | undefined;
  /** Environment of the processes (DBUS_SESSION_BUS_ADDRESS above all); process.env by default. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /**
   * Program paths, found on the PATH by default. null means absent: without stdbuf no process waits
   * (no buttons, no events); without gdbus, withdraw uses dbus-send.
   */
  readonly programs?:
    | {
        readonly notifySend?: string | undefined;
        readonly stdbuf?: string | null | undefined;
        readonly gdbus?: string | null | undefined;
        readonly dbusSend?: string | null | undefined;
      }
    | undefined;
}

/** What createNotifySendNotifier returns: the port plus counters and a shutdown. */
export interface NotifySendNotifier extends Notifier {
  readonly reportsShown: true;
  show(request: NotificationRequest, shown?: () => void): void;
  withdraw(tag: string): void;
  onEvent(listener: (event: NotifierEvent) => void): void;
  /** Shows dropped before they ran (a burst beyond the queue, or a replace overtaken by a newer one). */
  dropped(): number;
  /** notify-send processes open to report clicks and actions. */
  listening(): number;
  /** Stops the listening processes (the notifications stay on screen, their events are no longer reported) and drops the queue. */
  dispose(): void;
}

type Operation =
  | { readonly kind: 'show'; readonly request: NotificationRequest; readonly shown: (() => void) | undefined }
  | { readonly kind: 'withdraw'; readonly tag: string };

/** A notify-send process kept open after its notification was shown, to report what the person does. */
interface Listener {
  readonly child: ChildProcess;
  readonly request: NotificationRequest;
  /** Only the click is reported (no buttons): such a listener may make room for one with buttons. */
  readonly clickOnly: boolean;
  /** Why its output no longer counts: the notification was withdrawn, replaced, or the listener stopped. */
  ended: 'withdrawn' | 'superseded' | 'evicted' | 'disposed' | undefined;
  /** A click or action was reported: its closing is not a dismissal. */
  acted: boolean;
}

/**
 * The headless shell's Notifier on Linux: one notify-send (libnotify-bin 0.8) per notification.
 *
 * Unlike node-notifier it updates a notification in place: notify-send prints the D-Bus id
 * (`--print-id`), the id is remembered per tag and a later request with `replace` passes it as
 * `--replace-id`. withdraw closes that id with CloseNotification (gdbus, else dbus-send). A notification
 * with buttons, or any notification while clicks are reported, keeps its notify-send open
 * (stdbuf -oL, since notify-send's stdout is a pipe): it prints the chosen action and exits when the
 * notification closes, which becomes a 'click', 'action' or 'dismissed' event. notify-send cannot say
 * why a notification closed, so one that expired is reported as dismissed too (it is off screen either
 * way); one this notifier withdrew or replaced is not.
 *
 * At most four processes run until their id comes back, requests for the same tag run in order, and a
 * burst waits in a short queue (the oldest is dropped beyond it; its message is already in history).
 * Open processes are counted apart, at most 16: beyond that a notification is shown without buttons and
 * without click reporting (one with buttons first stops the oldest click-only process). `shown` is
 * called once the notification server returned the id. Nothing throws: failures are logged with the seq.
 */
export function createNotifySendNotifier(options: NotifySendNotifierOptions): NotifySendNotifier {
  const env = options.env ?? process.env;
  const programs = options.programs ?? {};
  const pick = (given: string | null | undefined, name: string): string | undefined =>
    given === null ? undefined : (given ?? findOnPath(name, env));
  const notifySend = programs.notifySend ?? findOnPath('notify-send', env) ?? 'notify-send';
  const stdbuf = pick(programs.stdbuf, 'stdbuf');
  const gdbus = pick(programs.gdbus, 'gdbus');
  const dbusSend = pick(programs.dbusSend, 'dbus-send');
  const reportClicks = options.reportClicks ?? true;
  const logger = options.logger;

  const ids = new Map<string, number>();
  const busyTags = new Set<string>();
  const listeners = new Map<number, Listener>();
  /** Processes started to listen whose id has not come back yet: they count against the cap. */
  let listenersStarting = 0;
  let queue: Operation[] = [];
  let inFlight = 0;
  let dropped = 0;
  let failuresLogged = 0;
  let overflowLogged = false;
  let stdbufMissingLogged = false;
  let pumping = false;
  let pumpAgain = false;
  let disposed = false;
  let eventListener: ((event: NotifierEvent) => void) | undefined;

  const logFailure = (message: string, fields: Record<string, string | number | undefined>): void => {
    if (failuresLogged++ < 20 || failuresLogged % 100 === 0) logger.warn(message, { ...fields, failures: failuresLogged });
  };

  const remember = (tag: string, id: number): void => {
    ids.delete(tag);
    ids.set(tag, id);
    if (ids.size > MAX_TAGS) ids.delete(ids.keys().next().value as string);
  };

  const emit = (event: NotifierEvent): void => {
    try {
      eventListener?.(event);
    } catch (error) {
      logger.error('notification event listener failed', { seq: event.seq, kind: event.kind, error: String(error).slice(0, 300) });
    }
  };

  const stopListener = (id: number, why: 'superseded' | 'evicted' | 'disposed'): void => {
    const listener = listeners.get(id);
    if (!listener) return;
    listener.ended ??= why;
    listeners.delete(id);
    listener.child.kill('SIGTERM');
  };

  const operationTag = (operation: Operation): string | undefined => (operation.kind === 'show' ? operation.request.tag : operation.tag);

  const pump = (): void => {
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        for (let i = 0; i < queue.length && inFlight < MAX_IN_FLIGHT; ) {
          const operation = queue[i] as Operation;
          const tag = operationTag(operation);
          if (tag !== undefined && busyTags.has(tag)) {
            i++;
            continue;
          }
          queue.splice(i, 1);
          inFlight++;
          if (tag !== undefined) busyTags.add(tag);
          let finished = false;
          const finish = (): void => {
            if (finished) return;
            finished = true;
            inFlight--;
            if (tag !== undefined) busyTags.delete(tag);
            pump();
          };
          if (operation.kind === 'show') runShow(operation.request, operation.shown, finish);
          else runWithdraw(operation.tag, finish);
        }
      } while (pumpAgain);
    } finally {
      pumping = false;
    }
  };

  /** Whether this request gets an open process, making room for buttons if needed. */
  const chooseListening = (request: NotificationRequest): boolean => {
    const hasActions = (request.actions?.length ?? 0) > 0;
    if (!hasActions && !reportClicks) return false;
    if (stdbuf === undefined) {
      if (hasActions && !stdbufMissingLogged) {
        stdbufMissingLogged = true;
        logger.warn('stdbuf not found: notifications are shown without buttons and clicks are not reported', { seq: request.seq });
      }
      return false;
    }
    if (listeners.size + listenersStarting < MAX_LISTENING) return true;
    if (hasActions) {
      for (const [id, listener] of listeners) {
        if (listener.clickOnly) {
          stopListener(id, 'evicted');
          return true;
        }
      }
    }
    if (hasActions && !overflowLogged) {
      overflowLogged = true;
      logger.warn('too many notifications open: this one is shown without buttons', { seq: request.seq, listening: listeners.size });
    }
    return false;
  };

  const runShow = (request: NotificationRequest, shown: (() => void) | undefined, finish: () => void): void => {
    const tag = request.tag;
    const knownId = tag !== undefined && request.replace === true ? ids.get(tag) : undefined;
    // The notification being replaced gets its events through the new process from now on (which also
    // frees its place among the open processes).
    if (knownId !== undefined) stopListener(knownId, 'superseded');
    const listen = chooseListening(request);
    const hasActions = (request.actions?.length ?? 0) > 0;
    const args = notifySendArgs(request, {
      appName: options.appName,
      knownId,
      category: options.category,
      iconPath: options.iconPath,
      withActions: listen,
      reportClick: listen && reportClicks,
    });

    let child: ChildProcess;
    try {
      child = listen
        ? spawn(stdbuf as string, ['-oL', notifySend, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(notifySend, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      logFailure('notification not shown', { seq: request.seq, error: String(error).slice(0, 300) });
      finish();
      return;
    }

    let id: number | undefined;
    let settled = false;
    let stdout = '';
    let stderr = '';
    let listener: Listener | undefined;
    if (listen) listenersStarting++;
    const fail = (error: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (listen) listenersStarting--;
      logFailure('notification not shown', { seq: request.seq, error: error.slice(0, 300) });
      finish();
    };
    const timer = setTimeout(() => {
      fail(`notify-send gave no notification id within ${PROCESS_TIMEOUT_MS} ms (is a notification server running?)`);
      child.kill('SIGKILL');
    }, PROCESS_TIMEOUT_MS);
    timer.unref();

    const onLine = (line: string): void => {
      if (id === undefined) {
        id = Number(line.trim());
        if (!Number.isInteger(id) || id <= 0) {
          // notify-send prints 0 when the Notify call failed; the reason follows on stderr.
          id = undefined;
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (tag !== undefined) remember(tag, id);
        if (listen) {
          listenersStarting--;
          listener = { child, request, clickOnly: !hasActions, ended: undefined, acted: false };
          listeners.set(id, listener);
          // An open notification must not keep the shell alive.
          child.unref();
          (child.stdout as { unref?: () => void } | null)?.unref?.();
          (child.stderr as { unref?: () => void } | null)?.unref?.();
        }
        finish();
        try {
          shown?.();
        } catch (error) {
          logger.error('shown callback failed', { seq: request.seq, error: String(error).slice(0, 300) });
        }
        return;
      }
      if (!listener || listener.ended !== undefined || line === '') return;
      const event = eventForOutput(request, line);
      if (!event) {
        logger.warn('notify-send reported an unknown action', { seq: request.seq, action: line.slice(0, 100) });
        return;
      }
      listener.acted = true;
      emit(event);
    };

    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
      for (let end = stdout.indexOf('\n'); end >= 0; end = stdout.indexOf('\n')) {
        const line = stdout.slice(0, end);
        stdout = stdout.slice(end + 1);
        onLine(line);
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < 1000) stderr += chunk;
    });
    child.on('error', (error) => fail(`could not run ${notifySend}: ${error.message}`));
    child.on('close', (code, signal) => {
      if (stdout !== '') onLine(stdout);
      stdout = '';
      if (id === undefined) {
        fail(`notify-send failed (${signal ?? `exit code ${String(code)}`}): ${stderr.trim() || 'no output'}`);
        return;
      }
      if (!listener) return;
      if (listeners.get(id) === listener) listeners.delete(id);
      if (listener.ended !== undefined) return;
      // The notification is gone (clicked, acted on, dismissed or expired): a later replace makes a new one.
      if (tag !== undefined && ids.get(tag) === id) ids.delete(tag);
      if (!listener.acted) emit({ kind: 'dismissed', tag: tag ?? '', seq: request.seq });
    });
  };

  const runWithdraw = (tag: string, finish: () => void): void => {
    const id = ids.get(tag);
    if (id === undefined) {
      finish();
      return;
    }
    ids.delete(tag);
    const listener = listeners.get(id);
    if (listener) listener.ended = 'withdrawn';
    let command: [string, string[]];
    if (gdbus !== undefined) {
      command = [
        gdbus,
        ['call', '--session', '--dest', 'org.freedesktop.Notifications', '--object-path', '/org/freedesktop/Notifications', '--method', 'org.freedesktop.Notifications.CloseNotification', String(id)],
      ];
    } else if (dbusSend !== undefined) {
      command = [
        dbusSend,
        ['--session', '--type=method_call', '--print-reply', '--dest=org.freedesktop.Notifications', '/org/freedesktop/Notifications', 'org.freedesktop.Notifications.CloseNotification', `uint32:${id}`],
      ];
    } else {
      logFailure('notification not withdrawn: neither gdbus nor dbus-send is installed (Debian: libglib2.0-bin or dbus)', { tag });
      finish();
      return;
    }
    let settled = false;
    let stderr = '';
    const done = (error: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== undefined) logFailure('notification not withdrawn', { tag, id, error: error.slice(0, 300) });
      finish();
    };
    let child: ChildProcess;
    try {
      child = spawn(command[0], command[1], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      logFailure('notification not withdrawn', { tag, id, error: String(error).slice(0, 300) });
      finish();
      return;
    }
    const timer = setTimeout(() => {
      done(`${command[0]} did not answer within ${PROCESS_TIMEOUT_MS} ms`);
      child.kill('SIGKILL');
    }, PROCESS_TIMEOUT_MS);
    timer.unref();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < 1000) stderr += chunk;
    });
    child.on('error', (error) => done(`could not run ${command[0]}: ${error.message}`));
    child.on('close', (code, signal) => {
      done(code === 0 ? undefined : `${command[0]} failed (${signal ?? `exit code ${String(code)}`}): ${stderr.trim() || 'no output'}`);
    });
  };

  return {
    reportsShown: true,
    show(request: NotificationRequest, shown?: () => void): void {
      if (disposed) return;
      const tag = request.tag;
      if (tag !== undefined && request.replace === true) {
        // A replace that has not started yet is overtaken by this newer one.
        const before = queue.length;
        queue = queue.filter((o) => !(o.kind === 'show' && o.request.tag === tag && o.request.replace === true));
        dropped += before - queue.length;
      }
      queue.push({ kind: 'show', request, shown });
      if (queue.length > MAX_QUEUED) {
        const oldest = queue.findIndex((o) => o.kind === 'show');
        queue.splice(oldest >= 0 ? oldest : 0, 1);
        if (dropped++ % 100 === 0) logger.warn('notification burst: pop-ups dropped, messages kept in history', { dropped });
      }
      pump();
    },
    withdraw(tag: string): void {
      if (disposed) return;
      // Shows of this tag that have not started would be closed right away.
      const before = queue.length;
      queue = queue.filter((o) => !(o.kind === 'show' && o.request.tag === tag));
      dropped += before - queue.length;
      if (!ids.has(tag) && !busyTags.has(tag)) return;
      queue.push({ kind: 'withdraw', tag });
      pump();
    },
    onEvent(listener: (event: NotifierEvent) => void): void {
      eventListener = listener;
    },
    dropped: () => dropped,
    listening: () => listeners.size,
    dispose(): void {
      disposed = true;
      queue = [];
      for (const id of [...listeners.keys()]) stopListener(id, 'disposed');
    },
  };
}
