/**
 * The person's own settings: the choices made in the window (Settings, Channels, Connections screens),
 * kept by the core in `<dataDir>/user-settings.json` for both shells (docs/configuration.md#the-settings-file).
 *
 * They are not the configuration file (which IT or an installer may write) and hold no secret: a
 * connection's password lives in the shell's secret store and the file only names it (`passwordSecret`).
 *
 * Precedence, lowest first: built-in defaults < configuration file < policy defaults < these settings <
 * policy locks. `effectiveConfig` computes the configuration the hub runs with; `settingsView` what the
 * Settings screen shows; the other helpers turn a call of the UI contract into new settings (pure,
 * refusing what a policy locks), which `UserSettingsFile.update` then writes.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../atomic-file.ts';
import { z } from 'zod';
import type { UiChannelRule, UiLock, UiSettings, UiSettingsPatch } from '../../api/contract.ts';
import { channelKindSchema, channelNameSchema, checkSecretFreeConnection, qosSchema, topicFilterSchema, configSchema, connectionSchema, type Config, issueMessage, type ConnectionConfig } from '../config/config-schema.ts';
import { FieldErrors, LockedError } from '../config/connection-input.ts';
import { describeIssues } from '../config/load-config.ts';
import { isLocked, type MandatoryChannel, type PolicyOutcome } from '../config/policy.ts';
import type { LogFields, Logger } from '../logger.ts';
import { DEFAULT_CHANNEL_RULE, prioritySchema, quietWindowSchema, type ChannelRule } from '../notify/rules/rule-settings.ts';

export { FieldErrors, LockedError };

/** The file's name in the data directory. */
export const USER_SETTINGS_FILE = 'user-settings.json';
/** The file's format; a file of another format is moved aside like an invalid one. */
export const USER_SETTINGS_FORMAT = 1;

/** The words of the error for a secret value in the settings. */
const NO_SECRETS = 'the settings file keeps no secrets: the secret goes to the secret store, and passwordSecret names it';

/** The person's rule for one channel: each field left out keeps the configuration's (or the default). */
const channelChoiceSchema = z
  .object({
    muted: z.boolean().optional(),
    /** Muted until then (epoch ms); null: no timed mute (over one in the configuration). */
    mutedUntilMs: z.number().int().nonnegative().nullable().optional(),
    minPriority: prioritySchema.optional(),
    sound: z.boolean().optional(),
  })
  .strict();

/** Quiet hours as the Settings screen sets them: all three fields at once. */
const quietHoursChoiceSchema = z
  .object({
    enabled: z.boolean(),
    windows: z.array(quietWindowSchema).max(14),
    urgentBypass: z.boolean(),
  })
  .strict();

/** A subscription the person added (a channel of the directory, or a topic typed in). */
const subscriptionChoiceSchema = z
  .object({
    topic: topicFilterSchema('must be a non-empty topic').pipe(z.string().max(1000)),
    channel: channelNameSchema,
    /** MQTT only; ignored on an ntfy connection. */
    kind: channelKindSchema.optional(),
    /** MQTT only; ignored on an ntfy connection. */
    qos: qosSchema.optional(),
  })
  .strict();

/**
 * A connection the person added or edited: the configuration file's JSON for one connection (checked
 * with its schema), with its secret only as a reference: `passwordSecret` (the secret store), or the
 * `passwordFile` (absolute) and `passwordEnv` an edited connection already had. Never `password`, nor a
 * password in the URL.
 */
export const userConnectionSchema = z.record(z.string(), z.unknown()).superRefine((connection, ctx) => {
  // There is no configuration folder to take a relative name from.
  checkSecretFreeConnection(connection, ctx, { passwordMessage: NO_SECRETS, fileMessage: 'must be an absolute file name', at: (...path) => path });
});

/** The person's subscription changes on one connection. */
const subscriptionChangesSchema = z
  .object({
    added: z.array(subscriptionChoiceSchema).max(1000).default([]),
    /** Topic filters (or ntfy topics) the person unsubscribed from. */
    removed: z.array(z.string().min(1).max(1000)).max(1000).default([]),
  })
  .strict();

/** The whole file (format 1). Every choice is optional: absent, the configuration and policy decide. */
export const userSettingsSchema = z
  .object({
    format: z.literal(USER_SETTINGS_FORMAT),
    notifications: z
      .object({
        quietHours: quietHoursChoiceSchema.optional(),
        /** The global sound switch. */
        sound: z.boolean().optional(),
        /** Per channel name. */
        channels: z.record(channelNameSchema, channelChoiceSchema).optional(),
      })
      .strict()
      .default({}),
    readReceipts: z.boolean().optional(),
    language: z.enum(['system', 'en', 'zh-CN']).optional(),
    theme: z.enum(['system', 'light', 'dark']).optional(),
    startAtLogin: z.boolean().optional(),
    retention: z
      .object({
        maxAgeDays: z.number().positive().max(36500).nullable(),
        maxCount: z.number().int().min(1).nullable(),
      })
      .strict()
      .optional(),
    /** Per connection id. */
    subscriptions: z.record(z.string().min(1).max(64), subscriptionChangesSchema).optional(),
    connections: z
      .object({
        added: z.array(userConnectionSchema).max(100).default([]),
        /** Ids of connections (of the configuration) the person removed. */
        removed: z.array(z.string().min(1).max(64)).max(1000).default([]),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The person's settings, as validated. */
export type UserSettings = z.output<typeof userSettingsSchema>;
/** The person's rule for one channel. */
export type ChannelChoice = z.output<typeof channelChoiceSchema>;
/** A subscription the person added. */
export type SubscriptionChoice = z.output<typeof subscriptionChoiceSchema>;

/** No choice made: the configuration and policy decide everything. */
export const DEFAULT_USER_SETTINGS: UserSettings = deepFreeze(userSettingsSchema.parse({ format: USER_SETTINGS_FORMAT }));

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** Validates settings; invalid ones throw FieldErrors naming each field. */
function validated(value: unknown): UserSettings {
  const result = userSettingsSchema.safeParse(value);
  if (!result.success) {
    throw new FieldErrors(
      result.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.') || '(top level)',
        message: issueMessage(issue),
      })),
    );
  }
  return result.data;
}

/**
 * `<dataDir>/user-settings.json`: read once at start, kept in memory, written atomically on each change.
 */
export class UserSettingsFile {
  /** The file. */
  readonly path: string;
  /** Where an unreadable file was moved at start, if it was. */
  readonly movedAside: string | undefined;
  #settings: UserSettings;

  private constructor(path: string, settings: UserSettings, movedAside: string | undefined) {
    this.path = path;
    this.#settings = deepFreeze(settings);
    this.movedAside = movedAside;
  }

  /**
   * Opens the settings of a data directory. A missing file is no choice made (it is written at the
   * first change). A file that is not JSON, fails the schema or has another format does not stop the
   * hub: it is moved aside to user-settings.invalid-<time>.json (kept for support), the defaults apply,
   * and a warning says so.
   *
   * @throws Error only when the file exists but cannot be read (permissions), or cannot be moved aside.
   */
  static open(dataDir: string, logger: Logger, now: () => number = Date.now): UserSettingsFile {
    const path = join(dataDir, USER_SETTINGS_FILE);
    if (!existsSync(path)) return new UserSettingsFile(path, DEFAULT_USER_SETTINGS, undefined);
    const text = readFileSync(path, 'utf8');
    let problem: string;
    try {
      const result = userSettingsSchema.safeParse(JSON.parse(text));
      if (result.success) return new UserSettingsFile(path, result.data, undefined);
      problem = describeIssues(result.error.issues).join('; ');
    } catch (error) {
      problem = `not valid JSON: ${(error as Error).message}`;
    }
    const aside = join(dataDir, `user-settings.invalid-${new Date(now()).toISOString().replace(/[:.]/g, '-')}.json`);
    renameSync(path, aside);
    logger.warn('the settings file could not be read; it was moved aside and the defaults apply', { error: problem.slice(0, 300), movedTo: aside });
    return new UserSettingsFile(path, DEFAULT_USER_SETTINGS, aside);
  }

  /** The settings (frozen: change them with `update`). */
  get(): UserSettings {
    return this.#settings;
  }

  /**
   * Changes the settings: `mutator` returns the new ones (the helpers below are such functions). They are
   * validated and written (temporary file, fsync, rename, mode 0600) before they are kept; when anything
   * throws, nothing changes.
   *
   * @returns the new settings.
   * @throws what `mutator` throws (LockedError, FieldErrors), FieldErrors for invalid settings, or the write's error.
   */
  update(mutator: (current: UserSettings) => UserSettings): UserSettings {
    const next = validated(mutator(this.#settings));
    if (JSON.stringify(next) === JSON.stringify(this.#settings)) return this.#settings;
    writeFileAtomically(this.path, `${JSON.stringify(next, null, 2)}\n`);
    this.#settings = deepFreeze(next);
    return this.#settings;
  }
}


/** What effectiveConfig needs of the policy besides its locks (a PolicyOutcome fits). */
export interface PolicyProvisions {
  readonly provisionedConnections?: readonly string[] | undefined;
  readonly mandatory?: readonly MandatoryChannel[] | undefined;
}

/** Read receipts are sent unless the person or the policy turned them off. */
export const READ_RECEIPTS_DEFAULT = true;

/**
 * Whether 'read' receipts are sent (the hub skips them when not): the policy's value when it locks
 * `readReceipts` (the built-in default, on, when it gives none), else the person's choice, else the
 * policy's default, else on. Cheap: call it per receipt.
 */
export function readReceiptsAllowed(user: UserSettings, policy: Pick<PolicyOutcome, 'locked' | 'readReceipts'>): boolean {
  if (isLocked(policy.locked, 'readReceipts')) return policy.readReceipts ?? READ_RECEIPTS_DEFAULT;
  return user.readReceipts ?? policy.readReceipts ?? READ_RECEIPTS_DEFAULT;
}

/** Whether a subscription is mandatory under the policy. */
export function isMandatory(policy: Pick<PolicyProvisions, 'mandatory'>, connectionId: string, topic: string): boolean {
  return (policy.mandatory ?? []).some((m) => m.connectionId === connectionId && m.topic === topic);
}

/** Whether a connection carries a mandatory subscription (it cannot be removed then). */
function carriesMandatory(policy: Pick<PolicyProvisions, 'mandatory'>, connectionId: string): boolean {
  return (policy.mandatory ?? []).some((m) => m.connectionId === connectionId);
}

/**
 * The configuration (with the managed policy already applied) plus the person's choices, for every
 * setting the policy does not lock (`locked`: PolicyOutcome.locked):
 *
 * - notifications: quiet hours (each of enabled, windows, urgentBypass), the global sound switch, and
 *   per channel muted, mutedUntilMs, minPriority and sound;
 * - store.retention.maxAgeDays and maxCount;
 * - connections the person added, edited (same id) or removed, unless `connections` is locked; never a
 *   connection the policy provisions, and a connection carrying a mandatory channel is never removed;
 * - subscriptions the person added or removed per connection; a mandatory one is never removed.
 *
 * Read receipts are not part of the configuration: readReceiptsAllowed(user, policy) decides them.
 *
 * Pure. Always returns a valid configuration (configSchema's output): a choice that would make it
 * invalid (every subscription or every connection removed, a stale connection) is left out, and `warn`
 * says which.
 *
 * @param options.policy the policy's provisioned connections and mandatory channels (pass the PolicyOutcome).
 */
export function effectiveConfig(
  config: Config,
  user: UserSettings,
  locked: readonly string[],
  options: { readonly policy?: PolicyProvisions | undefined; readonly warn?: ((message: string, fields?: LogFields) => void) | undefined } = {},
): Config {
  const policy = options.policy ?? {};
  const warn = options.warn ?? (() => undefined);
  const free = (path: string): boolean => !isLocked(locked, path);

  // Notifications.
  const n = config.notifications;
  const qh = user.notifications.quietHours;
  const quietHours = {
    enabled: qh !== undefined && free('notifications.quietHours.enabled') ? qh.enabled : n.quietHours.enabled,
    windows: qh !== undefined && free('notifications.quietHours.windows') ? qh.windows : n.quietHours.windows,
    urgentBypass: qh !== undefined && free('notifications.quietHours.urgentBypass') ? qh.urgentBypass : n.quietHours.urgentBypass,
  };
  const sound = user.notifications.sound !== undefined && free('notifications.sound') ? user.notifications.sound : n.sound;
  const channels: Record<string, ChannelRule> = { ...n.channels };
  for (const [name, choice] of Object.entries(user.notifications.channels ?? {})) {
    const rule: ChannelRule = { ...((Object.hasOwn(n.channels, name) ? n.channels[name] : undefined) ?? DEFAULT_CHANNEL_RULE) };
    const at = (field: string): boolean => free(`notifications.channels.${name}.${field}`);
    if (choice.muted !== undefined && at('muted')) rule.muted = choice.muted;
    if (choice.mutedUntilMs !== undefined && at('mutedUntilMs')) {
      if (choice.mutedUntilMs === null) delete rule.mutedUntilMs;
      else rule.mutedUntilMs = choice.mutedUntilMs;
    }
    if (choice.minPriority !== undefined && at('minPriority')) rule.minPriority = choice.minPriority;
    if (choice.sound !== undefined && at('sound')) rule.sound = choice.sound;
    // An own property whatever the name ("__proto__" included).
    Object.defineProperty(channels, name, { value: rule, enumerable: true, writable: true, configurable: true });
  }

  // Retention.
  const retention = { ...config.store.retention };
  if (user.retention !== undefined) {
    if (free('store.retention.maxAgeDays')) retention.maxAgeDays = user.retention.maxAgeDays;
    if (free('store.retention.maxCount')) {
      if (user.retention.maxCount === null) delete retention.maxCount;
      else retention.maxCount = user.retention.maxCount;
    }
  }

  const connections = personsConnections(config, user, locked, policy, warn);
  const settingsOnly = { ...config, notifications: { ...n, quietHours, sound, channels }, store: { ...config.store, retention } };
  for (const candidate of [{ ...settingsOnly, connections }, settingsOnly]) {
    const result = configSchema.safeParse(candidate);
    if (result.success) return result.data;
    warn('the person\u2019s settings do not make a valid configuration; some are left out', { problems: describeIssues(result.error.issues).join('; ').slice(0, 500) });
  }
  return config;
}

/** The configuration's connections with the person's additions, edits, removals and subscriptions. */
function personsConnections(
  config: Config,
  user: UserSettings,
  locked: readonly string[],
  policy: PolicyProvisions,
  warn: (message: string, fields?: LogFields) => void,
): ConnectionConfig[] {
  const provisioned = new Set(policy.provisionedConnections ?? []);
  let connections: ConnectionConfig[] = [...config.connections];
  if (user.connections !== undefined && !isLocked(locked, 'connections')) {
    for (const id of user.connections.removed) {
      if (provisioned.has(id) || carriesMandatory(policy, id)) {
        warn('a connection the organisation provides or requires cannot be removed; it stays', { connection: id });
        continue;
      }
      connections = connections.filter((c) => c.id !== id);
    }
    for (const json of user.connections.added) {
      const parsed = connectionSchema.safeParse(json);
      if (!parsed.success) {
        warn('a connection of the person\u2019s settings is not valid; it is left out', { connection: String(json.id), problems: describeIssues(parsed.error.issues).join('; ').slice(0, 300) });
        continue;
      }
      const added = parsed.data;
      if (provisioned.has(added.id)) {
        warn('a connection the organisation provides cannot be changed; the person\u2019s version is left out', { connection: added.id });
        continue;
      }
      const at = connections.findIndex((c) => c.id === added.id);
      if (at === -1) connections.push(added);
      else connections[at] = keepMandatory(added, connections[at] as ConnectionConfig, policy);
    }
  }
  for (const [id, change] of Object.entries(user.subscriptions ?? {})) {
    const at = connections.findIndex((c) => c.id === id);
    // A connection that is gone: its choices wait, harmless, in case it comes back.
    if (at === -1) continue;
    const connection = connections[at] as ConnectionConfig;
    const removed = new Set(change.removed);
    const kept = connection.subscriptions.filter((s) => !removed.has(s.topic) || isMandatory(policy, id, s.topic));
    const subscriptions: unknown[] = [...kept];
    for (const a of change.added) {
      if (removed.has(a.topic) || subscriptions.some((s) => (s as { topic: string }).topic === a.topic)) continue;
      subscriptions.push(
        connection.kind === 'ntfy'
          ? { topic: a.topic, channel: a.channel }
          : { topic: a.topic, channel: a.channel, ...(a.kind === undefined ? {} : { kind: a.kind }), ...(a.qos === undefined ? {} : { qos: a.qos }) },
      );
    }
    if (subscriptions.length === 0) {
      warn('the person unsubscribed from every topic of a connection; its subscriptions stay', { connection: id });
      continue;
    }
    const parsed = connectionSchema.safeParse({ ...connection, subscriptions });
    if (!parsed.success) {
      warn('the person\u2019s subscriptions of a connection are not valid; they are left out', { connection: id, problems: describeIssues(parsed.error.issues).join('; ').slice(0, 300) });
      continue;
    }
    connections[at] = parsed.data;
  }
  if (connections.length === 0) {
    warn('the person\u2019s settings leave no connection; the configured ones stay');
    return [...config.connections];
  }
  return connections;
}

/** A connection the person edited, with the mandatory subscriptions of the one it replaces added back. */
function keepMandatory(edited: ConnectionConfig, original: ConnectionConfig, policy: PolicyProvisions): ConnectionConfig {
  // The organisation's subscriptions stay exactly as it set them (channel, kind, QoS, critical): an
  // edit can neither drop one nor rename its channel to escape its rules.
  const required = original.subscriptions.filter((s) => isMandatory(policy, original.id, s.topic));
  if (required.length === 0) return edited;
  const byTopic = new Map(required.map((s) => [s.topic, s]));
  const kept = edited.subscriptions.map((s) => byTopic.get(s.topic) ?? s);
  const missing = required.filter((s) => !edited.subscriptions.some((e) => e.topic === s.topic));
  const parsed = connectionSchema.safeParse({ ...edited, subscriptions: [...kept, ...missing] });
  return parsed.success ? parsed.data : original;
}

/** The Settings screen's paths, and the configuration or policy settings behind each. */
const UI_SETTINGS: Readonly<Record<string, readonly string[]>> = {
  'notifications.quietHours': ['notifications.quietHours'],
  'notifications.sound': ['notifications.sound'],
  readReceipts: ['readReceipts'],
  language: ['language'],
  theme: ['theme'],
  startAtLogin: ['startAtLogin'],
  retention: ['store.retention.maxAgeDays', 'store.retention.maxCount'],
};

/** The UiSettings paths a lock can be on ('notifications.quietHours.urgentBypass' too, see uiLocks). */
export const UI_LOCK_PATHS = Object.keys(UI_SETTINGS);

/** Whether a policy lock on `lock` covers any part of the setting at `path` (above, at or below it). */
function lockTouches(lock: string, path: string): boolean {
  return lock === path || path.startsWith(`${lock}.`) || lock.startsWith(`${path}.`);
}

/** The reason of a policy lock, for a person: "Set by your organisation (managed policy /etc/pushdesk/policy.json)". */
export function lockReason(policy: Pick<PolicyOutcome, 'source'>): string {
  return `Set by your organisation (${policy.source === undefined ? 'managed policy' : `managed policy ${policy.source}`})`;
}

/**
 * The Settings screen's locks under a policy. A lock on a section or anything in a setting locks it
 * ('notifications', 'notifications.quietHours.enabled' → 'notifications.quietHours'; 'store',
 * 'store.retention.maxCount' → 'retention'). The policy's `urgentBypassesQuietHours` locks
 * 'notifications.quietHours.urgentBypass' alone. startAtLogin is left out when the shell has none.
 */
export function uiLocks(policy: Pick<PolicyOutcome, 'source' | 'locked' | 'notifications'>, shell: { readonly startAtLogin: boolean | null } = { startAtLogin: false }): UiLock[] {
  const reason = lockReason(policy);
  const locks: UiLock[] = [];
  for (const [path, settings] of Object.entries(UI_SETTINGS)) {
    if (path === 'startAtLogin' && shell.startAtLogin === null) continue;
    if (policy.locked.some((lock) => settings.some((setting) => lockTouches(lock, setting)))) locks.push({ path, reason });
  }
  if (policy.notifications?.urgentBypassesQuietHours !== undefined && !locks.some((l) => l.path === 'notifications.quietHours')) {
    locks.push({ path: 'notifications.quietHours.urgentBypass', reason });
  }
  return locks;
}

/**
 * What the Settings screen shows: the effective values and the locks.
 *
 * @param effective the result of effectiveConfig.
 * @param shell `startAtLogin`: the shell's state as it applies it (desktop: resolveStartAtLogin(user.startAtLogin,
 *   policy).enabled), null where the shell cannot start at login (the headless hub).
 */
export function settingsView(
  effective: Config,
  user: UserSettings,
  policy: PolicyOutcome,
  shell: { readonly startAtLogin: boolean | null },
): { settings: UiSettings; locks: UiLock[] } {
  const locked = (path: string): boolean => isLocked(policy.locked, path);
  const choice = <T>(path: string, mine: T | undefined, given: T | undefined, fallback: T): T =>
    locked(path) ? (given ?? fallback) : (mine ?? given ?? fallback);
  const qh = effective.notifications.quietHours;
  const settings: UiSettings = {
    notifications: {
      quietHours: {
        enabled: qh.enabled,
        windows: qh.windows.map((w) => ({ days: [...w.days], start: w.start, end: w.end })),
        urgentBypass: policy.notifications?.urgentBypassesQuietHours ?? qh.urgentBypass,
      },
      sound: effective.notifications.sound,
    },
    readReceipts: readReceiptsAllowed(user, policy),
    language: choice('language', user.language, policy.language, 'system'),
    theme: choice('theme', user.theme, policy.theme, 'system'),
    startAtLogin: shell.startAtLogin,
    retention: { maxAgeDays: effective.store.retention.maxAgeDays, maxCount: effective.store.retention.maxCount ?? null },
  };
  return { settings, locks: uiLocks(policy, shell) };
}

/** A setting's name in a sentence, and whether it takes "is" or "are". */
const SUBJECTS: Readonly<Record<string, readonly [string, 'is' | 'are']>> = {
  'notifications.quietHours': ['Quiet hours', 'are'],
  'notifications.quietHours.urgentBypass': ['Whether urgent messages pass quiet hours', 'is'],
  'notifications.sound': ['The notification sound', 'is'],
  readReceipts: ['Read receipts', 'are'],
  language: ['The language', 'is'],
  theme: ['The theme', 'is'],
  startAtLogin: ['Starting at login', 'is'],
  retention: ['How long messages are kept', 'is'],
  connections: ['Connections', 'are'],
};

/** The LockedError for a setting: "Quiet hours are set by your organisation (managed policy …) and cannot be changed here." */
export function lockedError(path: string, reason: string, subject?: readonly [string, 'is' | 'are']): LockedError {
  const [what, verb] = subject ?? SUBJECTS[path] ?? [`The setting ${path}`, 'is'];
  const organisation = /^Set (?:by|up by) your organisation (.*)$/.exec(reason);
  const message = organisation
    ? `${what} ${verb} set by your organisation ${organisation[1] as string} and cannot be changed here.`
    : `${what} cannot be changed here: ${reason}`;
  return new LockedError(path, message);
}

/**
 * Applies a change of the Settings screen (already validated by the contract) to the person's settings.
 *
 * @param locks the locks settingsView gave.
 * @throws LockedError when the patch touches a locked setting (nothing is changed), FieldErrors when the
 *   result is not valid (two quiet-hours windows on the same day list, for example).
 */
export function applySettingsPatch(user: UserSettings, patch: UiSettingsPatch, locks: readonly UiLock[]): UserSettings {
  const touched: string[] = [];
  if (patch.notifications?.quietHours !== undefined) touched.push('notifications.quietHours');
  if (patch.notifications?.sound !== undefined) touched.push('notifications.sound');
  for (const key of ['readReceipts', 'language', 'theme', 'startAtLogin', 'retention'] as const) if (patch[key] !== undefined) touched.push(key);
  for (const path of touched) {
    // A lock on a part of it (urgentBypass in quiet hours) is decided elsewhere: the rest may change.
    const lock = locks.find((l) => l.path === path || path.startsWith(`${l.path}.`));
    if (lock !== undefined) throw lockedError(path, lock.reason);
  }
  const next: Record<string, unknown> = { ...user, notifications: { ...user.notifications } };
  const notifications = next.notifications as Record<string, unknown>;
  if (patch.notifications?.quietHours !== undefined) notifications.quietHours = patch.notifications.quietHours;
  if (patch.notifications?.sound !== undefined) notifications.sound = patch.notifications.sound;
  for (const key of ['readReceipts', 'language', 'theme', 'startAtLogin', 'retention'] as const) if (patch[key] !== undefined) next[key] = patch[key];
  return validated(next);
}

/** A change of a channel's rule, as the contract's setChannelRule gives it. */
export interface ChannelRuleChange {
  /** true: muted until unmuted; false: unmuted (a timed mute ends too). */
  readonly muted?: boolean | undefined;
  /** Mute for this many minutes (overrides `muted`). */
  readonly muteMinutes?: number | undefined;
  readonly minPriority?: number | undefined;
  readonly sound?: boolean | undefined;
}

/** Why the person may not change a channel's rule (a policy lock on it, or above it), or null. */
export function channelRuleLockedReason(policy: Pick<PolicyOutcome, 'source' | 'locked'>, channel: string): string | null {
  const path = `notifications.channels.${channel}`;
  return policy.locked.some((lock) => lockTouches(lock, path)) ? lockReason(policy) : null;
}

/** A channel's rule as the Channels screen shows it, from the effective configuration. */
export function channelRuleView(effective: Config, channel: string): UiChannelRule {
  const channels = effective.notifications.channels;
  const rule = (Object.hasOwn(channels, channel) ? channels[channel] : undefined) ?? DEFAULT_CHANNEL_RULE;
  return { muted: rule.muted, mutedUntilMs: rule.mutedUntilMs ?? null, minPriority: rule.minPriority, sound: rule.sound };
}

/**
 * Changes the person's rule of a channel. `muteMinutes` mutes until now + that many minutes; `muted:
 * true` mutes until unmuted; `muted: false` unmutes (ending a timed mute too).
 *
 * @param policy when given, a rule the policy locks is refused.
 * @throws LockedError when the policy locks the channel's rules; FieldErrors for an invalid value.
 */
export function setChannelRule(
  user: UserSettings,
  channel: string,
  change: ChannelRuleChange,
  now: number,
  policy?: Pick<PolicyOutcome, 'source' | 'locked'>,
): UserSettings {
  if (policy !== undefined) {
    const reason = channelRuleLockedReason(policy, channel);
    if (reason !== null) throw lockedError(`notifications.channels.${channel}`, reason, [`The rules of channel "${channel}"`, 'are']);
  }
  const named = channelNameSchema.safeParse(channel);
  if (!named.success) throw new FieldErrors(named.error.issues.map((issue) => ({ path: 'channel', message: issue.message })));
  const mine = user.notifications.channels;
  const rule: Record<string, unknown> = { ...((mine && Object.hasOwn(mine, channel) ? mine[channel] : undefined) ?? {}) };
  if (change.muteMinutes !== undefined) {
    rule.muted = false;
    rule.mutedUntilMs = Math.round(now + change.muteMinutes * 60_000);
  } else if (change.muted !== undefined) {
    rule.muted = change.muted;
    rule.mutedUntilMs = null;
  }
  if (change.minPriority !== undefined) rule.minPriority = change.minPriority;
  if (change.sound !== undefined) rule.sound = change.sound;
  return validated({ ...user, notifications: { ...user.notifications, channels: { ...user.notifications.channels, [channel]: rule } } });
}

/**
 * Subscribes the person to a topic of a connection, or unsubscribes them.
 *
 * @param policy when given, unsubscribing from a mandatory channel is refused.
 * @throws LockedError for a mandatory channel; FieldErrors for an invalid topic or channel.
 */
export function setSubscribed(
  user: UserSettings,
  connectionId: string,
  sub: SubscriptionChoice,
  subscribed: boolean,
  policy?: Pick<PolicyOutcome, 'source' | 'mandatory'>,
): UserSettings {
  if (!subscribed && policy !== undefined && isMandatory(policy, connectionId, sub.topic)) {
    throw lockedError(`subscriptions.${connectionId}`, lockReason(policy), [`The channel "${sub.channel}"`, 'is']);
  }
  const before = (user.subscriptions && Object.hasOwn(user.subscriptions, connectionId) ? user.subscriptions[connectionId] : undefined) ?? { added: [], removed: [] };
  const added = before.added.filter((a) => a.topic !== sub.topic);
  const removed = before.removed.filter((topic) => topic !== sub.topic);
  if (subscribed) added.push(sub);
  else removed.push(sub.topic);
  return validated({ ...user, subscriptions: { ...user.subscriptions, [connectionId]: { added, removed } } });
}

/** Why the person may not edit or remove a connection, or null. */
export function connectionLockedReason(
  policy: Pick<PolicyOutcome, 'source' | 'locked' | 'provisionedConnections'> & Partial<Pick<PolicyOutcome, 'mandatory'>>,
  id: string,
): string | null {
  if ((policy.provisionedConnections ?? []).includes(id)) return `Set up by your organisation (${policy.source === undefined ? 'managed policy' : `managed policy ${policy.source}`})`;
  if (isLocked(policy.locked, 'connections')) return lockReason(policy);
  // Its server and credentials carry channels the organisation requires: pointing it elsewhere would
  // silence them.
  if (carriesMandatory(policy, id)) return lockReason(policy);
  return null;
}

/**
 * Adds a connection the person entered, or replaces one (`replaceId`, which may differ from the new id:
 * a rename). `connection` is the configuration's JSON of one connection (connectionFromInput's `json`),
 * with the secret only as a reference. The person's subscription changes of that connection are
 * dropped: the connection's own list is now what they chose.
 *
 * @param policy when given, refused when connections are locked or the connection is provisioned.
 * @throws LockedError as above; FieldErrors naming each invalid field of the connection.
 */
export function addOrReplaceConnection(
  user: UserSettings,
  connection: unknown,
  replaceId?: string,
  policy?: Pick<PolicyOutcome, 'source' | 'locked' | 'provisionedConnections' | 'mandatory'>,
): UserSettings {
  const parsed = userConnectionSchema.safeParse(connection);
  if (!parsed.success) {
    throw new FieldErrors(
      parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(connection)', message: issue.message })),
    );
  }
  const json = parsed.data;
  const id = String(json.id);
  if (policy !== undefined) {
    for (const which of new Set([id, ...(replaceId === undefined ? [] : [replaceId])])) {
      const reason = connectionLockedReason(policy, which);
      if (reason !== null) throw lockedError('connections', reason, [`The connection "${which}"`, 'is']);
    }
  }
  const before = user.connections ?? { added: [], removed: [] };
  const gone = new Set([id, ...(replaceId === undefined ? [] : [replaceId])]);
  const added = [...before.added.filter((c) => !gone.has(String(c.id))), json];
  const removed = before.removed.filter((r) => r !== id);
  if (replaceId !== undefined && replaceId !== id && !removed.includes(replaceId)) removed.push(replaceId);
  const subscriptions = Object.fromEntries(Object.entries(user.subscriptions ?? {}).filter(([key]) => !gone.has(key)));
  return validated({ ...user, connections: { added, removed }, subscriptions });
}

/**
 * Removes a connection: one the person added, or one of the configuration file.
 *
 * @param policy when given, refused when connections are locked, the connection is provisioned, or it
 *   carries a mandatory channel.
 * @throws LockedError as above.
 */
export function removeConnection(
  user: UserSettings,
  id: string,
  policy?: Pick<PolicyOutcome, 'source' | 'locked' | 'provisionedConnections' | 'mandatory'>,
): UserSettings {
  if (policy !== undefined) {
    const reason = connectionLockedReason(policy, id);
    if (reason !== null) throw lockedError('connections', reason, [`The connection "${id}"`, 'is']);
  }
  const before = user.connections ?? { added: [], removed: [] };
  const added = before.added.filter((c) => String(c.id) !== id);
  const removed = before.removed.includes(id) ? before.removed : [...before.removed, id];
  const subscriptions = Object.fromEntries(Object.entries(user.subscriptions ?? {}).filter(([key]) => key !== id));
  return validated({ ...user, connections: { added, removed }, subscriptions });
}
