/**
 * The pure part of the notification rules: one message, the settings and the time in, a decision out.
 *
 * Rules, in order (docs/notifications.md): priority filters, channel mute, priority 1, the channel's
 * minimum priority, the pause, quiet hours (with the urgent exception), then the presentation of the
 * priority with the global and the channel's sound switches. Storm control, the offline digest, replacing and critical
 * repeats keep state and live in NotificationRules.
 */
import type { Priority } from '../../message/message.ts';
import { ackRepeatSec } from './critical-alerts.ts';
import { formatWallTime } from './local-time.ts';
import { describePresentation, presentationFor, type Presentation } from './priority-presentation.ts';
import { adjustPriority, type FilterableMessage, type PriorityAdjustment } from './priority-filters.ts';
import { activeQuietWindow, describeQuietWindow } from './quiet-hours.ts';
import { clampPriority, DEFAULT_CHANNEL_RULE, type ChannelRule, type NotificationPolicy, type NotificationRuleSettings, type QuietWindow } from './rule-settings.ts';

/** What the rules need to know about a message; a StoredMessage plus the flags below fits. */
export interface RuleMessage extends FilterableMessage {
  /** The message's local seq, so a click can open it. */
  readonly seq: number;
  readonly connectionId: string;
  /** Versions of one message share a sequence id: a newer version updates the older's notification. */
  readonly sequenceId?: string | undefined;
  /** The sender asks for acknowledgement: the notification stays and is shown again until acknowledged. */
  readonly requiresAck?: boolean | undefined;
  /** How often to show an unacknowledged alert again, in seconds, as the sender asked (at least 30). */
  readonly ackRepeatSec?: number | undefined;
  /** Arrived in the backlog a reconnect delivered (held for the offline digest). */
  readonly fromBacklog?: boolean | undefined;
}

/** When and where a decision is made. */
export interface RuleContext {
  /** Now, in epoch milliseconds. */
  readonly nowMs: number;
  /** The IANA time zone quiet hours are read in, for example "Europe/Berlin". */
  readonly timeZone: string;
  /** The "pause notifications" switch: nothing pops up before this instant (epoch ms). */
  readonly pausedUntilMs?: number | undefined;
  readonly policy?: NotificationPolicy | undefined;
}

/** The rule that kept a message from popping up. */
export type SuppressingRule = 'mute' | 'priority' | 'min-priority' | 'pause' | 'quiet-hours';

/** The message goes to history and the unread count only. */
export interface SuppressedDecision {
  readonly show: false;
  /** The priority after the filters. */
  readonly priority: Priority;
  readonly rule: SuppressingRule;
  /** In words, for logs: `priority 3: quiet hours (mon-fri 22:00-07:00)`. */
  readonly reason: string;
}

/** The message pops up, presented like this. */
export interface ShownDecision extends Omit<Presentation, 'popup'> {
  readonly show: true;
  /** The priority after the filters. */
  readonly priority: Priority;
  readonly requiresAck: boolean;
  /** With `requiresAck`, how often to show it again until acknowledged, in seconds (at least 30). */
  readonly ackRepeatSec: number | undefined;
  /** In words, for logs: `priority 4 (raised from 3: tag "prod" +1): pop-up with sound`. */
  readonly reason: string;
}

/** What the rules decide for one message. */
export type RuleDecision = SuppressedDecision | ShownDecision;

/** The rules of `channel`, or the defaults when it has none. */
export function channelRuleFor(settings: NotificationRuleSettings, channel: string): ChannelRule {
  return settings.channels[channel] ?? DEFAULT_CHANNEL_RULE;
}

/** Whether urgent messages may pass quiet hours and the pause, and who decided. */
export function urgentBypass(settings: NotificationRuleSettings, policy: NotificationPolicy | undefined): { allowed: boolean; by: string } {
  const locked = policy?.urgentBypassesQuietHours;
  if (locked !== undefined) return { allowed: locked, by: locked ? 'allowed by IT policy' : 'forbidden by IT policy' };
  const allowed = settings.quietHours.urgentBypass;
  return { allowed, by: allowed ? 'allowed in settings' : 'not allowed in settings' };
}

/**
 * Decides whether and how one message pops up.
 *
 * Every message lands in history whatever this says; the decision is only about the pop-up.
 */
export function decideNotification(message: RuleMessage, settings: NotificationRuleSettings, context: RuleContext): RuleDecision {
  // Without filters (the usual case) the priority is the message's and the label a constant.
  const adjusted = settings.filters.length === 0 ? undefined : adjustPriority(message, settings.filters);
  const priority = adjusted === undefined ? clampPriority(message.priority + 0) : adjusted.priority;
  const label = adjusted === undefined || adjusted.matched.length === 0 ? PRIORITY_LABELS[priority] : priorityLabel(adjusted);

  const channel = channelRuleFor(settings, message.channel);
  const muted = muteReason(message.channel, channel, context);
  if (muted !== undefined) return suppress(priority, label, 'mute', muted);
  if (priority === 1) return suppress(priority, label, 'priority', 'history only');
  if (priority < channel.minPriority) return suppress(priority, label, 'min-priority', `below the minimum priority ${channel.minPriority} of channel "${message.channel}"`);

  // The reason: the presentation, then any notes, joined by "; ".
  let reason = label === PRIORITY_LABELS[priority] ? REASON_HEADS[priority] : `${label}: ${describePresentation(priority)}`;
  const quiet = quietReason(settings, context);
  if (quiet !== undefined) {
    const bypass = urgentBypass(settings, context.policy);
    if (priority === 5 && bypass.allowed) reason += `; passes ${quiet.why} as urgent (${bypass.by})`;
    else return suppress(priority, label, quiet.rule, priority === 5 ? `${quiet.why}; urgent messages may not pass (${bypass.by})` : quiet.why);
  }

  const presentation = PRESENTATIONS[priority];
  let { silent, sound } = presentation;
  if (!settings.sound) {
    silent = true;
    sound = false;
    reason += '; sound off for all notifications';
  } else if (!channel.sound) {
    silent = true;
    sound = false;
    reason += `; sound off for channel "${message.channel}"`;
  }
  const requiresAck = message.requiresAck === true;
  const repeatSec = requiresAck ? ackRepeatSec(message.ackRepeatSec, settings.critical) : undefined;
  if (repeatSec !== undefined) reason += `; requires acknowledgement, repeated every ${repeatSec} s`;
  return {
    show: true,
    priority,
    silent,
    sound,
    urgency: presentation.urgency,
    sticky: presentation.sticky || requiresAck,
    requiresAck,
    ackRepeatSec: repeatSec,
    reason,
  };
}

/** "priority 3", by priority. */
const PRIORITY_LABELS: Readonly<Record<Priority, string>> = { 1: 'priority 1', 2: 'priority 2', 3: 'priority 3', 4: 'priority 4', 5: 'priority 5' };
/** The presentation of each priority, read per message (presentationFor builds a new object). */
const PRESENTATIONS: Readonly<Record<Priority, Presentation>> = { 1: presentationFor(1), 2: presentationFor(2), 3: presentationFor(3), 4: presentationFor(4), 5: presentationFor(5) };
/** The start of the reason of a shown message when no filter matched: "priority 3: pop-up". */
const REASON_HEADS: Readonly<Record<Priority, string>> = {
  1: `priority 1: ${describePresentation(1)}`,
  2: `priority 2: ${describePresentation(2)}`,
  3: `priority 3: ${describePresentation(3)}`,
  4: `priority 4: ${describePresentation(4)}`,
  5: `priority 5: ${describePresentation(5)}`,
};

function suppress(priority: Priority, label: string, rule: SuppressingRule, why: string): SuppressedDecision {
  return { show: false, priority, rule, reason: `${label}: ${why}` };
}

function priorityLabel(adjusted: PriorityAdjustment): string {
  if (adjusted.matched.length === 0) return `priority ${adjusted.priority}`;
  const matched = adjusted.matched.join(', ');
  if (adjusted.priority === adjusted.original) return `priority ${adjusted.priority} (unchanged: ${matched})`;
  const direction = adjusted.priority > adjusted.original ? 'raised' : 'lowered';
  return `priority ${adjusted.priority} (${direction} from ${adjusted.original}: ${matched})`;
}

function muteReason(name: string, rule: ChannelRule, context: RuleContext): string | undefined {
  if (rule.muted) return `channel "${name}" is muted until turned off`;
  if (rule.mutedUntilMs !== undefined && context.nowMs < rule.mutedUntilMs) {
    return `channel "${name}" is muted until ${formatWallTime(rule.mutedUntilMs, context.timeZone)}`;
  }
  return undefined;
}

function quietReason(settings: NotificationRuleSettings, context: RuleContext): { rule: 'pause' | 'quiet-hours'; why: string } | undefined {
  if (context.pausedUntilMs !== undefined && context.nowMs < context.pausedUntilMs) {
    return { rule: 'pause', why: `notifications paused until ${formatWallTime(context.pausedUntilMs, context.timeZone)}` };
  }
  const window = activeQuietWindow(settings.quietHours, context.nowMs, context.timeZone);
  if (window !== undefined) return { rule: 'quiet-hours', why: quietWhy(window) };
  return undefined;
}

/** The last window described, so a night's messages do not describe it again one by one. */
let described: { window: QuietWindow; days: QuietWindow['days']; start: string; end: string; why: string } | undefined;

function quietWhy(window: QuietWindow): string {
  const last = described;
  if (last !== undefined && last.window === window && last.days === window.days && last.start === window.start && last.end === window.end) return last.why;
  const why = `quiet hours (${describeQuietWindow(window)})`;
  described = { window, days: window.days, start: window.start, end: window.end, why };
  return why;
}
