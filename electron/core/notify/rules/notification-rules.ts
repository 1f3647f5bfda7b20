/**
 * The notification rules engine: the pure decision plus the state the rules need (storm buckets, the
 * offline digest, notifications on screen, alerts awaiting acknowledgement, the pause switch).
 *
 * It decides and remembers; it shows nothing. The owner (the hub) performs each effect through the
 * Notifier port and calls back when the user dismisses or acknowledges a notification.
 */
import type { Priority } from '../../message/message.ts';
import type { NotificationRequest, Urgency } from '../notifier.ts';
import { ackRepeatSec, CriticalAlerts } from './critical-alerts.ts';
import { decideNotification, type RuleContext, type RuleMessage, type ShownDecision } from './decide-notification.ts';
import { isTimeZone, systemTimeZone } from './local-time.ts';
import { OfflineDigest } from './offline-digest.ts';
import type { NotificationPolicy, NotificationRuleSettings } from './rule-settings.ts';
import { StormControl } from './storm-control.ts';

/** How long the "pause notifications" switch pauses when no duration is given: one hour. */
export const DEFAULT_PAUSE_MS = 60 * 60 * 1000;

/** How many notifications are remembered as on screen at most. */
const ON_SCREEN_KEPT = 500;

/** The tag of the offline digest notification. */
export const DIGEST_TAG = 'digest';

/** The tag of all versions of one message (same sequence id on one connection). */
export function sequenceTag(connectionId: string, sequenceId: string): string {
  return `seq:${connectionId}:${sequenceId}`;
}

/**
 * The tag that identifies a message's notification, so a later version can update it and a clear or
 * delete can withdraw it: by sequence id when it has one, else by its own id (ntfy's default sequence
 * id; ids are unique per connection), else by its local seq.
 */
export function notificationTag(message: Pick<RuleMessage, 'connectionId' | 'sequenceId' | 'seq'> & { readonly id?: string | undefined }): string {
  const key = message.sequenceId || message.id;
  return key !== undefined && key !== '' ? sequenceTag(message.connectionId, key) : `msg:${message.connectionId}:${message.seq}`;
}

/** The tag of a channel's storm summary. */
export function summaryTag(channel: string): string {
  return `summary:${channel}`;
}

/** Pop up (or update, with `replace`) the notification of one message. */
export interface ShowEffect extends NotificationRequest {
  readonly kind: 'show';
  readonly tag: string;
  /** The priority after the filters. */
  readonly priority: Priority;
  readonly silent: boolean;
  readonly sound: boolean;
  readonly sticky: boolean;
  readonly requiresAck: boolean;
  /** Update the notification with this tag in place rather than add one (a newer version, or a repeat). */
  readonly replace: boolean;
  /** A repeat of an alert that is not yet acknowledged. */
  readonly repeat: boolean;
  readonly reason: string;
}

/** Pop up, or update in place, a channel's storm summary: "14 new in Build failures". */
export interface SummaryEffect {
  readonly kind: 'summary';
  readonly tag: string;
  readonly channel: string;
  readonly count: number;
  /** The summary text, the notification's title. */
  readonly title: string;
  /** The title of the latest message counted, for the body. */
  readonly latest: string;
  readonly urgency: Urgency;
  /** True for updates: only the first pop-up of a summary may make a sound. */
  readonly silent: boolean;
  readonly replace: boolean;
  readonly reason: string;
}

/** Pop up the offline digest: "23 messages while you were away, 3 high priority". */
export interface DigestEffect {
  readonly kind: 'digest';
  readonly tag: string;
  readonly count: number;
  readonly highPriority: number;
  readonly title: string;
  readonly urgency: Urgency;
  readonly silent: boolean;
  readonly sound: boolean;
  readonly reason: string;
}

/** Remove the notification with this tag, if it is still there. */
export interface WithdrawEffect {
  readonly kind: 'withdraw';
  readonly tag: string;
  readonly reason: string;
}

/** Nothing pops up (the message is in history and counted unread all the same). */
export interface NoneEffect {
  readonly kind: 'none';
  readonly tag: string;
  readonly reason: string;
}

/** One thing for the owner to do, with the reason for its log. */
export type NotificationEffect = ShowEffect | SummaryEffect | DigestEffect | WithdrawEffect | NoneEffect;

/** How to build the engine. */
export interface NotificationRulesOptions {
  readonly settings: NotificationRuleSettings;
  readonly policy?: NotificationPolicy | undefined;
  /** The clock, in epoch ms; Date.now by default. */
  readonly now?: () => number;
  /** The IANA time zone of the wall clock, asked at each decision so travel is followed; the system's by default. */
  readonly timeZone?: string | (() => string);
}

/** What a tag on screen stands for. */
type OnScreen = { readonly kind: 'message'; readonly priority: Priority } | { readonly kind: 'summary'; readonly channel: string } | { readonly kind: 'digest' };

interface Pending {
  readonly message: RuleMessage;
  readonly tag: string;
  readonly decision: ShownDecision;
}

/**
 * Applies all notification rules to each message and keeps their state.
 *
 * Per message, after the pure rules (decideNotification): a newer version of a message whose
 * notification is on screen updates it in place (silently, unless its priority went up); a backlog message is held for the offline digest
 * (urgent and acknowledgement-required ones are shown); the rest go through storm control; alerts
 * that require acknowledgement are then repeated until acknowledged.
 */
export class NotificationRules {
  #settings: NotificationRuleSettings;
  #policy: NotificationPolicy | undefined;
  readonly #now: () => number;
  readonly #timeZone: () => string;
  #storm: StormControl;
  #digest: OfflineDigest<Pending>;
  readonly #alerts: CriticalAlerts<RuleMessage>;
  /** The notifications shown and neither dismissed nor withdrawn, by tag. */
  readonly #onScreen = new Map<string, OnScreen>();
  #pausedUntilMs: number | undefined;

  constructor(options: NotificationRulesOptions) {
    this.#settings = options.settings;
    this.#policy = options.policy;
    this.#now = options.now ?? Date.now;
    const zone = options.timeZone ?? systemTimeZone;
    if (typeof zone === 'string' && !isTimeZone(zone)) {
      throw new RangeError(`unknown time zone "${zone}": use an IANA name such as Europe/Berlin or America/New_York`);
    }
    this.#timeZone = typeof zone === 'string' ? () => zone : zone;
    this.#storm = new StormControl(this.#settings.storm, this.#now);
    this.#digest = new OfflineDigest(this.#settings.digest);
    this.#alerts = new CriticalAlerts(this.#now);
  }

  /**
   * Takes new settings or policy. Storm buckets start full again only when the storm settings changed
   * (muting a channel in the middle of a storm must not refill every bucket); while a backlog is being
   * held, the new digest settings apply from the next backlog.
   */
  update(settings: NotificationRuleSettings, policy?: NotificationPolicy): void {
    const stormChanged = JSON.stringify(settings.storm) !== JSON.stringify(this.#settings.storm);
    this.#settings = settings;
    this.#policy = policy;
    if (stormChanged) this.#storm = new StormControl(settings.storm, this.#now);
    if (!this.#digest.open) this.#digest = new OfflineDigest(settings.digest);
  }

  /** Until when notifications are paused (epoch ms), or undefined when they are not. */
  get pausedUntilMs(): number | undefined {
    const until = this.#pausedUntilMs;
    return until !== undefined && this.#now() < until ? until : undefined;
  }

  /** Pauses pop-ups for `durationMs` (an hour by default); urgent messages pass as with quiet hours. Returns the end. */
  pause(durationMs: number = DEFAULT_PAUSE_MS): number {
    if (!Number.isFinite(durationMs) || durationMs <= 0) throw new RangeError(`a pause must last a positive number of milliseconds, not ${durationMs}`);
    this.#pausedUntilMs = this.#now() + durationMs;
    return this.#pausedUntilMs;
  }

  /** Ends a pause early. */
  resume(): void {
    this.#pausedUntilMs = undefined;
  }

  /**
   * Decides what to do for one newly stored message. `fromBacklog` overrides the message's own flag, so
   * the owner need not copy a stored message to set it.
   */
  handle(message: RuleMessage, fromBacklog: boolean = message.fromBacklog === true): NotificationEffect {
    const tag = notificationTag(message);
    const decision = decideNotification(message, this.#settings, this.#context());
    if (!decision.show) {
      // An alert kept back by quiet hours or a pause still waits for acknowledgement: it is tracked, so
      // its repeats come (each decided again) once the quiet time is over. Muted or below the channel's
      // minimum, it is not.
      if (message.requiresAck && (decision.rule === 'quiet-hours' || decision.rule === 'pause')) {
        this.#alerts.track(tag, ackRepeatSec(message.ackRepeatSec, this.#settings.critical), message);
      } else {
        this.#alerts.acknowledge(tag);
      }
      this.#digest.drop(tag);
      if (this.#onScreen.delete(tag)) return { kind: 'withdraw', tag, reason: `replaced by a version that does not pop up: ${decision.reason}` };
      return { kind: 'none', tag, reason: decision.reason };
    }
    const earlier = this.#onScreen.get(tag);
    if (earlier?.kind === 'message') {
      // An update alerts again only when it escalates; progress updates ("Deploy 50%") stay quiet.
      if (decision.priority > earlier.priority) {
        return this.#show(message, tag, decision, { replace: true, repeat: false, note: `updates the notification of its earlier version (priority ${earlier.priority}), alerting again` });
      }
      const hushed: ShownDecision = { ...decision, silent: true, sound: false };
      return this.#show(message, tag, hushed, { replace: true, repeat: false, note: 'updates the notification of its earlier version silently' });
    }
    const exempt = decision.priority === 5 || decision.requiresAck;
    if (fromBacklog && this.#settings.digest.enabled) {
      if (exempt) {
        this.#digest.countShown(decision.priority);
      } else {
        this.#alerts.acknowledge(tag);
        const count =
          this.#digest.holdCounted(tag, decision.priority, decision.silent, decision.sound) ??
          this.#digest.hold({ tag, priority: decision.priority, silent: decision.silent, sound: decision.sound, item: { message, tag, decision } });
        return { kind: 'none', tag, reason: `${decision.reason}; held for the offline digest (${count} so far)` };
      }
    }
    return this.#admit({ message, tag, decision });
  }

  /**
   * Ends the current backlog window: one digest, or the held messages one by one when there were few.
   *
   * The owner calls it when a reconnect's backlog has been delivered.
   */
  endBacklog(): NotificationEffect[] {
    const outcome = this.#digest.close();
    // Settings changed while this backlog was held apply from the next one.
    this.#digest = new OfflineDigest(this.#settings.digest);
    if (outcome.kind === 'empty') return [];
    if (outcome.kind === 'release') return outcome.items.map((pending) => this.#admit(pending, outcome.reason));
    const { summary } = outcome;
    this.#onScreen.set(DIGEST_TAG, { kind: 'digest' });
    return [
      {
        kind: 'digest',
        tag: DIGEST_TAG,
        count: summary.count,
        highPriority: summary.highPriority,
        title: summary.text,
        urgency: 'normal',
        silent: summary.silent,
        sound: summary.sound,
        reason: outcome.reason,
      },
    ];
  }

  /**
   * A message was cleared or deleted: withdraw its notification, stop repeating it, forget it in the digest.
   *
   * `tag` is sequenceTag(connection, sequence id) for an ntfy clear or delete, notificationTag(message)
   * otherwise. The withdraw is returned even when the notification is not known to be on screen (after a
   * restart); removing an absent notification does nothing.
   */
  withdraw(tag: string, event: 'clear' | 'delete'): WithdrawEffect {
    this.#alerts.acknowledge(tag);
    this.#digest.drop(tag);
    const known = this.#onScreen.delete(tag);
    return { kind: 'withdraw', tag, reason: `message ${event === 'clear' ? 'cleared' : 'deleted'}${known ? '' : ' (no notification known on screen)'}` };
  }

  /** The user dismissed the notification with this tag (it is no longer on screen); a summary's count starts again. */
  dismissed(tag: string): void {
    const shown = this.#onScreen.get(tag);
    this.#onScreen.delete(tag);
    if (shown?.kind === 'summary') this.#storm.summaryDismissed(shown.channel);
  }

  /** The user acknowledged an alert: it is not repeated any more. True if it was waiting. Dismissing is not acknowledging. */
  acknowledge(tag: string): boolean {
    return this.#alerts.acknowledge(tag);
  }

  /** When the next repeat of an unacknowledged alert is due (epoch ms), to arm a timer; undefined when none waits. */
  nextRepeatAtMs(): number | undefined {
    return this.#alerts.nextDueAtMs();
  }

  /**
   * The repeats of unacknowledged alerts due now.
   *
   * Each is decided again under the rules of now: a repeat that falls in quiet hours or a mute is
   * skipped (a `none` effect with the reason) and the alert stays due for later.
   */
  dueRepeats(): NotificationEffect[] {
    return this.#alerts.due().map(({ tag, item, repeats }) => {
      const decision = decideNotification(item, this.#settings, this.#context());
      if (!decision.show) return { kind: 'none', tag, reason: `repeat ${repeats} skipped: ${decision.reason}` };
      return this.#show(item, tag, decision, { replace: true, repeat: true, note: `repeat ${repeats}, not yet acknowledged` });
    });
  }

  #context(): RuleContext {
    const nowMs = this.#now();
    const until = this.#pausedUntilMs;
    return { nowMs, timeZone: this.#timeZone(), pausedUntilMs: until !== undefined && nowMs < until ? until : undefined, policy: this.#policy };
  }

  #admit(pending: Pending, note?: string): ShowEffect | SummaryEffect {
    const { message, tag, decision } = pending;
    const verdict = this.#storm.admit(message.channel, { exempt: decision.priority === 5 || decision.requiresAck });
    if (verdict.kind === 'pass') return this.#show(message, tag, decision, { replace: false, repeat: false, note: note === undefined ? verdict.reason : `${note}; ${verdict.reason}` });
    const sumTag = summaryTag(message.channel);
    this.#onScreen.set(sumTag, { kind: 'summary', channel: message.channel });
    this.#alerts.acknowledge(tag);
    return {
      kind: 'summary',
      tag: sumTag,
      channel: message.channel,
      count: verdict.count,
      title: verdict.text,
      latest: message.title,
      urgency: 'normal',
      silent: !verdict.opened || decision.silent,
      replace: !verdict.opened,
      reason: `${decision.reason}; ${verdict.reason}`,
    };
  }

  #show(message: RuleMessage, tag: string, decision: ShownDecision, how: { replace: boolean; repeat: boolean; note: string }): ShowEffect {
    this.#onScreen.delete(tag);
    this.#onScreen.set(tag, { kind: 'message', priority: decision.priority });
    // A notifier that reports no dismissals (node-notifier) would let this grow for ever: the oldest go,
    // as the OS has long since removed them.
    if (this.#onScreen.size > ON_SCREEN_KEPT) this.#onScreen.delete(this.#onScreen.keys().next().value as string);
    if (!how.repeat) {
      if (decision.requiresAck && decision.ackRepeatSec !== undefined) this.#alerts.track(tag, decision.ackRepeatSec, message);
      else this.#alerts.acknowledge(tag);
    }
    return {
      kind: 'show',
      tag,
      seq: message.seq,
      title: message.title,
      body: message.body,
      channel: message.channel,
      priority: decision.priority,
      urgency: decision.urgency,
      silent: decision.silent,
      sound: decision.sound,
      sticky: decision.sticky,
      requiresAck: decision.requiresAck,
      replace: how.replace,
      repeat: how.repeat,
      reason: how.note === '' ? decision.reason : `${decision.reason}; ${how.note}`,
    };
  }
}
