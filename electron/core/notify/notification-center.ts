import type { Logger } from '../logger.ts';
import type { StoredMessage } from '../message/message.ts';
import type { NotificationAction, Notifier, NotifierEvent } from './notifier.ts';
import { NotificationRules, notificationTag, sequenceTag, type NotificationEffect } from './rules/notification-rules.ts';
import type { NotificationPolicy, NotificationRuleSettings } from './rules/rule-settings.ts';

/** How long a connection's backlog lasts after it connects: until this much silence (ms)... */
export const BACKLOG_QUIET_MS = 1500;
/** ...and never longer than this (ms). */
export const BACKLOG_MAX_MS = 15_000;

/** A message action a notification button stands for (ntfy's view and http actions). */
export interface MessageAction {
  readonly action: 'view' | 'http';
  readonly label: string;
  readonly url: string;
}

/** The actions a message carries (kept in `extra.actions`), the valid ones only. */
export function messageActions(message: Pick<StoredMessage, 'extra'>): MessageAction[] {
  const raw = message.extra?.actions;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((a: unknown) => {
    const candidate = a as { action?: unknown; label?: unknown; url?: unknown };
    if ((candidate.action !== 'view' && candidate.action !== 'http') || typeof candidate.label !== 'string' || typeof candidate.url !== 'string') return [];
    return [{ action: candidate.action, label: candidate.label, url: candidate.url }];
  });
}

/** The buttons of a message's notification: its actions by index, then Acknowledge when it asks for it. */
export function notificationActions(message: Pick<StoredMessage, 'extra' | 'requiresAck'>): NotificationAction[] {
  const buttons: NotificationAction[] = messageActions(message).map((a, i) => ({ id: `${a.action}:${i}`, label: a.label }));
  if (message.requiresAck) buttons.push({ id: 'acknowledge', label: 'Acknowledge' });
  return buttons;
}

/** A connection's open backlog window. */
interface Backlog {
  timer: NodeJS.Timeout;
  /** It ends at this instant (epoch ms, on the center's clock) whatever arrives. */
  hardEndMs: number;
  /** It ends at this instant (performance.now()) unless a message extends it. */
  endsAt: number;
  /** When the armed timer fires (performance.now()); never after `endsAt`. */
  firesAt: number;
}

/** What the center asks of its owner (the hub). */
export interface NotificationCenterHost {
  /** The notification of this message was shown (for the displayed receipt). */
  displayed(message: StoredMessage): void;
  /** The person clicked a message's notification. */
  clicked(seq: number): void;
  /** The person chose a button of a message's notification (an action id from notificationActions). */
  chose(seq: number, actionId: string): void;
  /** The message of a seq, to repeat or act on it. */
  message(seq: number): StoredMessage | undefined;
}

/**
 * Applies the notification rules to stored messages and carries out what they decide through the
 * Notifier port: pop-ups, in-place updates, storm summaries, the offline digest, withdrawals, and the
 * repeats of alerts that wait for acknowledgement.
 *
 * A connection's backlog is what arrives in its first moments after it connects (until BACKLOG_QUIET_MS
 * of silence, at most BACKLOG_MAX_MS): those messages go to the offline digest.
 */
export class NotificationCenter {
  readonly #rules: NotificationRules;
  readonly #notifier: Notifier;
  readonly #logger: Logger;
  readonly #host: NotificationCenterHost;
  readonly #now: () => number;
  /** Open backlog windows by connection id. */
  readonly #backlogs = new Map<string, Backlog>();
  #repeatTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: {
    notifier: Notifier;
    settings: NotificationRuleSettings;
    policy?: NotificationPolicy | undefined;
    logger: Logger;
    host: NotificationCenterHost;
    now?: () => number;
    timeZone?: string | undefined;
  }) {
    this.#notifier = options.notifier;
    this.#logger = options.logger;
    this.#host = options.host;
    this.#now = options.now ?? Date.now;
    this.#rules = new NotificationRules({
      settings: options.settings,
      policy: options.policy,
      now: this.#now,
      ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }),
    });
    this.#notifier.onEvent?.((event) => this.#onNotifierEvent(event));
  }

  /** A connection (re)connected: what it delivers in the next moments is its backlog. */
  connected(connectionId: string): void {
    if (this.#stopped) return;
    this.#extendBacklog(connectionId, this.#now() + BACKLOG_MAX_MS);
  }

  /** Newly stored messages, oldest first. */
  messages(added: readonly StoredMessage[]): void {
    if (this.#stopped) return;
    for (const message of added) {
      const backlog = this.#backlogs.get(message.connectionId);
      if (backlog) this.#extendBacklog(message.connectionId, backlog.hardEndMs);
      // The stored message itself, unless the sender asked for a repeat interval (kept in `extra`).
      const ackRepeat = message.extra?.ackRepeatSec;
      const ruleMessage = typeof ackRepeat === 'number' ? { ...message, ackRepeatSec: ackRepeat } : message;
      const effect = this.#rules.handle(ruleMessage, backlog !== undefined);
      this.#perform(effect, message);
    }
    this.#armRepeats();
  }

  /** An ntfy clear or delete: the notification of that message (all its versions) goes. */
  withdrawSequence(connectionId: string, sequenceIdOrId: string, kind: 'clear' | 'delete'): void {
    this.#perform(this.#rules.withdraw(sequenceTag(connectionId, sequenceIdOrId), kind));
  }

  /** The person acknowledged a message: no more repeats, and its sticky notification goes. */
  acknowledged(message: StoredMessage): void {
    const tag = notificationTag(message);
    this.#rules.acknowledge(tag);
    this.#perform(this.#rules.withdraw(tag, 'clear'));
    this.#armRepeats();
  }

  /** Pauses pop-ups (an hour by default); returns the end. */
  pause(durationMs?: number): number {
    return this.#rules.pause(durationMs);
  }

  resume(): void {
    this.#rules.resume();
  }

  /** New settings from now on (storm buckets start full again). */
  update(settings: NotificationRuleSettings, policy?: NotificationPolicy): void {
    this.#rules.update(settings, policy);
  }

  get pausedUntilMs(): number | undefined {
    return this.#rules.pausedUntilMs;
  }

  /** Stops timers; nothing more is shown. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#repeatTimer);
    for (const { timer } of this.#backlogs.values()) clearTimeout(timer);
    this.#backlogs.clear();
  }

  /**
   * The backlog of `connectionId` lasts until BACKLOG_QUIET_MS from now, never past `hardEndMs`.
   *
   * Called for every message of a backlog, so it does not re-arm a timer each time: the armed timer
   * stays while it fires no later than the new end, and when it fires it waits for whatever is left.
   */
  #extendBacklog(connectionId: string, hardEndMs: number): void {
    const wait = Math.max(0, Math.min(BACKLOG_QUIET_MS, hardEndMs - this.#now()));
    const endsAt = performance.now() + wait;
    const existing = this.#backlogs.get(connectionId);
    if (existing !== undefined) {
      existing.hardEndMs = hardEndMs;
      existing.endsAt = endsAt;
      if (existing.firesAt <= endsAt) return;
      clearTimeout(existing.timer);
    }
    const backlog = existing ?? { timer: undefined as unknown as NodeJS.Timeout, hardEndMs, endsAt, firesAt: endsAt };
    this.#armBacklog(connectionId, backlog, wait);
    this.#backlogs.set(connectionId, backlog);
  }

  #armBacklog(connectionId: string, backlog: Backlog, waitMs: number): void {
    backlog.firesAt = performance.now() + waitMs;
    backlog.timer = setTimeout(() => {
      if (this.#backlogs.get(connectionId) !== backlog) return;
      const left = backlog.endsAt - performance.now();
      if (left > 0) this.#armBacklog(connectionId, backlog, left);
      else this.#endBacklog(connectionId);
    }, waitMs);
    backlog.timer.unref?.();
  }

  #endBacklog(connectionId: string): void {
    this.#backlogs.delete(connectionId);
    // The digest covers every connection's backlog: it closes when the last window does.
    if (this.#backlogs.size > 0 || this.#stopped) return;
    for (const effect of this.#rules.endBacklog()) this.#perform(effect, effect.kind === 'show' ? this.#host.message(effect.seq) : undefined);
    this.#armRepeats();
  }

  #armRepeats(): void {
    clearTimeout(this.#repeatTimer);
    this.#repeatTimer = undefined;
    const next = this.#rules.nextRepeatAtMs();
    if (next === undefined || this.#stopped) return;
    this.#repeatTimer = setTimeout(() => {
      for (const effect of this.#rules.dueRepeats()) {
        const message = effect.kind === 'show' ? this.#host.message(effect.seq) : undefined;
        // Its message is gone (deleted by the sender, or by retention): nothing left to acknowledge.
        if (effect.kind === 'show' && message === undefined) {
          this.#rules.acknowledge(effect.tag);
          this.#perform(this.#rules.withdraw(effect.tag, 'delete'));
          continue;
        }
        this.#perform(effect, message);
      }
      this.#armRepeats();
    }, Math.max(0, next - this.#now()));
    this.#repeatTimer.unref?.();
  }

  #perform(effect: NotificationEffect, message?: StoredMessage): void {
    try {
      switch (effect.kind) {
        case 'show': {
          // A repeat is not a new display; a first show reports the message it shows.
          const shown = effect.repeat ? undefined : message;
          const reports = this.#notifier.reportsShown === true;
          this.#notifier.show(
            {
              seq: effect.seq,
              title: effect.title,
              body: effect.body,
              urgency: effect.urgency,
              channel: effect.channel,
              tag: effect.tag,
              replace: effect.replace,
              silent: effect.silent,
              sound: effect.sound,
              sticky: effect.sticky,
              actions: message ? notificationActions(message) : undefined,
            },
            shown && reports ? () => this.#host.displayed(shown) : undefined,
          );
          if (shown && !reports) this.#host.displayed(shown);
          break;
        }
        case 'summary':
          this.#notifier.show({
            seq: 0,
            title: effect.title,
            body: `Latest: ${effect.latest}`,
            urgency: effect.urgency,
            channel: effect.channel,
            tag: effect.tag,
            replace: effect.replace,
            silent: effect.silent,
            // It stays until dismissed: a summary that expired would look dismissed (notify-send cannot
            // tell) and the next message would open a new one instead of updating the count.
            sticky: true,
          });
          break;
        case 'digest':
          this.#notifier.show({
            seq: 0,
            title: effect.title,
            body: 'Open Pushdesk to read them.',
            urgency: effect.urgency,
            channel: 'Pushdesk',
            tag: effect.tag,
            replace: true,
            silent: effect.silent,
          });
          break;
        case 'withdraw':
          this.#notifier.withdraw?.(effect.tag);
          break;
        case 'none':
          break;
      }
      // A storm's first summary and each digest are worth a log line; per-message decisions are not.
      if (effect.kind === 'digest' || (effect.kind === 'summary' && !effect.replace)) {
        this.#logger.info('notification rules', { effect: effect.kind, tag: effect.tag, reason: effect.reason });
      }
    } catch (error) {
      this.#logger.error('notifier failed', { tag: effect.tag, error: (error as Error).message });
    }
  }

  #onNotifierEvent(event: NotifierEvent): void {
    if (this.#stopped) return;
    // A click or a button also takes the notification off the screen (no dismissal follows them).
    this.#rules.dismissed(event.tag);
    if (event.kind === 'dismissed') return;
    if (event.seq <= 0) return; // a summary or the digest: nothing to open but the window
    if (event.kind === 'click') this.#host.clicked(event.seq);
    else this.#host.chose(event.seq, event.actionId);
  }
}
