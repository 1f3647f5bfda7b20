/**
 * The notification rule settings and the IT policy that bounds them, as zod schemas (docs/notifications.md).
 *
 * The configuration's `notifications` section is notificationRulesSchema; a managed policy can set and
 * lock any of it, and its top-level `urgentBypassesQuietHours` is notificationPolicySchema's field.
 */
import { z } from 'zod';
import type { Priority } from '../../message/message.ts';

/** The days a quiet-hours window can start on, in the order the schedule lists them. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** A day of the week, lower-case and three letters. */
export type Weekday = (typeof WEEKDAYS)[number];

/** An ntfy priority from 1 (min) to 5 (urgent). */
export const prioritySchema = z.literal([1, 2, 3, 4, 5], { error: 'must be a priority from 1 (min) to 5 (urgent)' });

/** A time of day on the local wall clock, "HH:MM" on 24 hours. */
const clockTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM, from 00:00 to 23:59');

/**
 * One weekly quiet-hours window.
 *
 * `days` are the days the window starts on. When `end` is not after `start` the window crosses
 * midnight and ends on the next day ("22:00" to "07:00"); `start` equal to `end` is a full 24 hours.
 */
export const quietWindowSchema = z
  .object({
    days: z
      .array(z.enum(WEEKDAYS, { error: 'must be mon, tue, wed, thu, fri, sat or sun' }))
      .min(1, 'needs at least one day')
      .refine((days) => new Set(days).size === days.length, 'each day may appear only once'),
    start: clockTimeSchema,
    end: clockTimeSchema,
  })
  .strict();

/**
 * Quiet hours: a weekly schedule on the local wall clock during which nothing pops up.
 *
 * `urgentBypass` lets priority-5 messages through; the IT policy's `urgentBypassesQuietHours`, when
 * set, overrides it.
 */
export const quietHoursSchema = z
  .object({
    enabled: z.boolean().default(false),
    windows: z.array(quietWindowSchema).default([]),
    urgentBypass: z.boolean().default(true),
  })
  .strict();

/**
 * The rules of one channel.
 *
 * `muted` mutes until it is turned off; `mutedUntilMs` (epoch milliseconds) mutes until then and
 * expires by itself. `minPriority` is the lowest priority that pops up; `sound: false` makes every
 * notification of the channel silent.
 */
export const channelRuleSchema = z
  .object({
    muted: z.boolean().default(false),
    mutedUntilMs: z.number().int().nonnegative().optional(),
    minPriority: prioritySchema.default(1),
    sound: z.boolean().default(true),
  })
  .strict();

/**
 * A filter that raises or lowers the priority of matching messages.
 *
 * A message matches when its title or body contains one of `keywords`, or it carries one of `tags`;
 * both compare case-insensitively. `channels`, when given, limits the filter to those channels.
 * `adjust` is added to the priority (positive raises, negative lowers); the result is kept within 1 to 5.
 */
export const priorityFilterSchema = z
  .object({
    keywords: z.array(z.string().trim().min(1, 'must not be empty')).default([]),
    tags: z.array(z.string().trim().min(1, 'must not be empty')).default([]),
    channels: z.array(z.string().min(1)).min(1, 'give at least one channel, or leave channels out for all').optional(),
    adjust: z
      .number()
      .int('must be a whole number')
      .min(-4)
      .max(4)
      .refine((v) => v !== 0, 'must raise (1 to 4) or lower (-1 to -4) the priority, not 0'),
  })
  .strict()
  .refine((f) => f.keywords.length + f.tags.length > 0, { message: 'needs at least one keyword or tag to match', path: ['keywords'] });

/**
 * Storm control: a token bucket per channel and one for all channels.
 *
 * A bucket holds up to `…Burst` notifications and refills at `…PerMinute`. Beyond either, messages of a
 * channel are counted into one summary notification; the storm of a channel ends after `stormEndSec`
 * without a new message in it.
 */
export const stormSchema = z
  .object({
    enabled: z.boolean().default(true),
    channelBurst: z.number().int().min(1).max(1000).default(5),
    channelPerMinute: z.number().min(0.1).max(6000).default(10),
    globalBurst: z.number().int().min(1).max(1000).default(10),
    globalPerMinute: z.number().min(0.1).max(6000).default(30),
    stormEndSec: z.number().int().min(1).max(3600).default(60),
  })
  .strict();

/**
 * The offline digest: a backlog delivered after a reconnect becomes one summary notification.
 *
 * A backlog with fewer than `minMessages` messages is shown message by message.
 */
export const digestSchema = z
  .object({
    enabled: z.boolean().default(true),
    minMessages: z.number().int().min(1).max(10_000).default(3),
  })
  .strict();

/** The smallest repeat interval of an alert that requires acknowledgement, in seconds. */
export const MIN_ACK_REPEAT_SEC = 30;

/** Critical alerts: how often a message that requires acknowledgement is shown again when it does not say. */
export const criticalSchema = z
  .object({
    defaultRepeatSec: z.number().int().min(MIN_ACK_REPEAT_SEC, `must be at least ${MIN_ACK_REPEAT_SEC} s`).max(86_400).default(60),
  })
  .strict();

/** All notification rules (docs/notifications.md). Every part has defaults: `{}` is valid. */
export const notificationRulesSchema = z
  .object({
    /** Rules per channel, keyed by channel name; a channel not listed has the defaults. */
    channels: z.record(z.string().min(1), channelRuleSchema).default({}),
    quietHours: quietHoursSchema.prefault({}),
    filters: z.array(priorityFilterSchema).default([]),
    storm: stormSchema.prefault({}),
    digest: digestSchema.prefault({}),
    critical: criticalSchema.prefault({}),
    /** The global sound switch: false makes every notification silent, urgent ones and summaries too. */
    sound: z.boolean().default(true),
  })
  .strict();

/**
 * What IT policy decides about notifications. Unset fields leave the choice to the user's settings.
 */
export const notificationPolicySchema = z
  .object({
    /** True: urgent messages always pass quiet hours and the pause; false: never. */
    urgentBypassesQuietHours: z.boolean().optional(),
  })
  .strict();

/** Validated notification rules, defaults filled in. */
export type NotificationRuleSettings = z.output<typeof notificationRulesSchema>;
/** Validated rules of one channel. */
export type ChannelRule = z.output<typeof channelRuleSchema>;
/** Validated quiet hours. */
export type QuietHours = z.output<typeof quietHoursSchema>;
/** One validated quiet-hours window. */
export type QuietWindow = z.output<typeof quietWindowSchema>;
/** One validated priority filter. */
export type PriorityFilter = z.output<typeof priorityFilterSchema>;
/** Validated storm control settings. */
export type StormSettings = z.output<typeof stormSchema>;
/** Validated offline digest settings. */
export type DigestSettings = z.output<typeof digestSchema>;
/** Validated critical alert settings. */
export type CriticalSettings = z.output<typeof criticalSchema>;
/** Validated notification policy. */
export type NotificationPolicy = z.output<typeof notificationPolicySchema>;

/** The rules with every default: no mutes, no quiet hours, no filters, storm control and digest on. */
export const DEFAULT_NOTIFICATION_RULES: NotificationRuleSettings = notificationRulesSchema.parse({});

/** The rules of a channel with no entry: not muted, minimum priority 1, sound on. */
export const DEFAULT_CHANNEL_RULE: ChannelRule = channelRuleSchema.parse({});

/** Keeps a number within the priorities 1 to 5 (rounded). */
export function clampPriority(value: number): Priority {
  const rounded = Math.round(value);
  if (!(rounded >= 1)) return 1;
  if (rounded >= 5) return 5;
  return rounded as Priority;
}
