import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { notificationRulesSchema } from '../notify/rules/rule-settings.ts';
import { channelKindSchema, channelNameSchema, checkSecretFreeConnection, heartbeatSchema, issueMessage, qosSchema, storeSchema, topicFilterSchema } from './config-schema.ts';
import type { Config } from './config-schema.ts';
import { describeIssues, loadConfigFile } from './load-config.ts';
import type { ManagedPolicy } from './policy-sources.ts';

/** The settings sections a managed policy can set and lock (more come with the desktop shell's settings). */
export const POLICY_SECTIONS = ['heartbeat', 'notifications', 'store'] as const;

/** Settings of the desktop shell a policy can lock besides the sections (they have no value in the configuration file). */
export const SHELL_SETTINGS = ['startAtLogin', 'updates', 'language', 'theme'] as const;

/**
 * Other settings a policy can lock by name: `connections` (the person may not add, edit or remove
 * connections in the window) and `readReceipts` (whether read receipts are sent).
 */
export const PERSON_SETTINGS = ['connections', 'readReceipts'] as const;

const lockPathSchema = z
  .string()
  .regex(
    new RegExp(`^((${POLICY_SECTIONS.join('|')})(\\.[A-Za-z0-9_-]+)*|${[...SHELL_SETTINGS, ...PERSON_SETTINGS].join('|')})$`),
    `must name a setting: a section (${POLICY_SECTIONS.join(', ')}) or a field in one, such as heartbeat.acIntervalSec, or one of ${[...SHELL_SETTINGS, ...PERSON_SETTINGS].join(', ')}`,
  );

/** The words of the error for a password in a policy. */
export const POLICY_PASSWORD_ERROR = 'a policy must not hold passwords: use passwordSecret, passwordEnv or passwordFile (a reference to the secret)';

/** A subscription the policy adds to a connection; the person cannot remove it. */
const mandatoryChannelSchema = z
  .object({
    connectionId: z.string().min(1, 'must name a connection of the policy or the configuration'),
    topic: topicFilterSchema('must be a non-empty topic (an MQTT filter, or an ntfy topic)').pipe(z.string().max(1000)),
    channel: channelNameSchema,
    /** MQTT only. */
    kind: channelKindSchema.optional(),
    /** MQTT only. */
    qos: qosSchema.optional(),
    critical: z.boolean().optional(),
  })
  .strict();

/** A channel offered to the person in the channel directory: not subscribed until they subscribe. */
const offeredChannelSchema = z
  .object({
    connectionId: z.string().min(1, 'must name a connection of the policy or the configuration'),
    topic: topicFilterSchema('must be a non-empty topic (an MQTT filter, or an ntfy topic)').pipe(z.string().max(1000)),
    channel: channelNameSchema,
    description: z.string().max(500).optional(),
    /** MQTT only. */
    kind: channelKindSchema.optional(),
  })
  .strict();

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Checks the policy's connections: each a valid connection, no passwords, absolute file names, unique ids. */
function checkPolicyConnections(connections: readonly Record<string, unknown>[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  connections.forEach((connection, index) => {
    const at = (...path: PropertyKey[]): PropertyKey[] => ['connections', index, ...path];
    // There is no folder to take a relative name from (the policy may come from the registry).
    const c = checkSecretFreeConnection(connection, ctx, { passwordMessage: POLICY_PASSWORD_ERROR, fileMessage: 'must be an absolute file name in a policy', at });
    if (!c) return;
    if (seen.has(c.id)) ctx.addIssue({ code: 'custom', message: `the connection id "${c.id}" appears twice in the policy`, path: at('id') });
    seen.add(c.id);
  });
}

/** Refuses a second entry for the same connection and topic in a list of the policy. */
function checkUniqueTopics(list: readonly { connectionId: string; topic: string }[], field: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  list.forEach((entry, index) => {
    const key = JSON.stringify([entry.connectionId, entry.topic]);
    if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `the topic "${entry.topic}" of connection "${entry.connectionId}" appears twice`, path: [field, index, 'topic'] });
    seen.add(key);
  });
}

/**
 * A managed policy file: values IT sets for the sections above, and the settings it locks.
 *
 * An unlocked value is a default (the person's configuration may change it); a locked one always wins.
 * Locking a setting the policy gives no value for locks the built-in default.
 */
export const policySchema = z
  .object({
    heartbeat: z.record(z.string(), z.unknown()).optional(),
    notifications: z.record(z.string(), z.unknown()).optional(),
    store: z.record(z.string(), z.unknown()).optional(),
    lock: z.array(lockPathSchema).default([]),
    /** True: urgent messages always pass quiet hours and the pause; false: never (over the person's setting). */
    urgentBypassesQuietHours: z.boolean().optional(),
    /** Updates: off entirely, or from this generic server and channel (the desktop shell's electron-updater). */
    updates: z
      .object({
        enabled: z.boolean().default(true),
        url: z
          .string()
          .refine((u) => /^https?:\/\//.test(u), 'must be the update server address, starting with https:// (or http://)')
          .optional(),
        channel: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a channel name such as latest or beta').optional(),
      })
      .strict()
      .optional(),
    /** Start at login: the default on managed machines (the person may change it unless `startAtLogin` is locked). */
    startAtLogin: z.boolean().optional(),
    /** Whether read receipts are sent (the person's choice unless `readReceipts` is locked). */
    readReceipts: z.boolean().optional(),
    /** The window's language: a default, or with `language` locked the only one. */
    language: z.enum(['system', 'en', 'zh-CN'], { error: 'must be "system", "en" or "zh-CN"' }).optional(),
    /** The window's theme: a default, or with `theme` locked the only one. */
    theme: z.enum(['system', 'light', 'dark'], { error: 'must be "system", "light" or "dark"' }).optional(),
    /**
     * Provisioned connections: added to the configuration's (replacing one with the same id). The person
     * can neither edit nor remove them. Secrets only as references (passwordSecret, passwordEnv, passwordFile).
     */
    connections: z.array(z.record(z.string(), z.unknown())).max(100).optional(),
    /** Subscriptions added to a connection (of the policy or the configuration) that the person cannot remove. */
    mandatoryChannels: z.array(mandatoryChannelSchema).max(1000).optional(),
    /** Channels offered to the person in the channel directory, to subscribe to or not. */
    channels: z.array(offeredChannelSchema).max(1000).optional(),
  })
  .strict()
  .superRefine((policy, ctx) => {
    if (policy.connections !== undefined) checkPolicyConnections(policy.connections, ctx);
    if (policy.mandatoryChannels !== undefined) checkUniqueTopics(policy.mandatoryChannels, 'mandatoryChannels', ctx);
    if (policy.channels !== undefined) checkUniqueTopics(policy.channels, 'channels', ctx);
    // Each section's values must be valid settings of that section (defaults filled only for checking).
    const sections = { heartbeat: heartbeatSchema, notifications: notificationRulesSchema, store: storeSchema } as const;
    for (const name of POLICY_SECTIONS) {
      const value = policy[name];
      if (value === undefined) continue;
      const result = sections[name].safeParse(value);
      if (!result.success) {
        for (const issue of result.error.issues) {
          ctx.addIssue({ code: 'custom', message: issueMessage(issue), path: [name, ...issue.path] });
        }
      }
    }
  });

export type Policy = z.output<typeof policySchema>;

/** A subscription the policy makes mandatory: always subscribed, never removable by the person. */
export interface MandatoryChannel {
  readonly connectionId: string;
  readonly topic: string;
}

/** A channel the policy offers in the channel directory. */
export interface OfferedChannel {
  readonly connectionId: string;
  readonly topic: string;
  readonly channel: string;
  readonly description: string | null;
  readonly kind: 'notification' | 'data';
}

/**
 * What the policy did to the configuration, for the status, the UI and diagnostics.
 *
 * The fields marked optional are always set by loadConfigWithPolicy; they are optional so that an
 * outcome written by hand (tests, "no policy") stays short. `NO_POLICY` is the outcome without a policy.
 */
export interface PolicyOutcome {
  /** The policy file read, if any. */
  readonly source: string | undefined;
  /** The settings that are locked. */
  readonly locked: readonly string[];
  /** Values of the configuration the policy overrode because they are locked. */
  readonly overridden: readonly { path: string; configured: unknown; policy: unknown }[];
  /** Why the policy file was not applied (the field named), when it was invalid. */
  readonly error: string | undefined;
  /** What the policy decides about notifications beyond settings (urgent messages in quiet hours). */
  readonly notifications?: { readonly urgentBypassesQuietHours?: boolean | undefined } | undefined;
  /** Update server, channel, or updates turned off. */
  readonly updates?: { readonly enabled: boolean; readonly url?: string | undefined; readonly channel?: string | undefined } | undefined;
  /** The start-at-login default. */
  readonly startAtLogin?: boolean | undefined;
  /** Whether read receipts are sent: the default, or with `readReceipts` locked the rule. */
  readonly readReceipts?: boolean | undefined;
  /** The language and theme defaults (or, locked, the only choice). */
  readonly language?: 'system' | 'en' | 'zh-CN' | undefined;
  readonly theme?: 'system' | 'light' | 'dark' | undefined;
  /** Ids of the connections the policy provisions: the person cannot edit or remove them. */
  readonly provisionedConnections?: readonly string[] | undefined;
  /** Subscriptions the policy makes mandatory. */
  readonly mandatory?: readonly MandatoryChannel[] | undefined;
  /** Channels the policy offers in the channel directory. */
  readonly offered?: readonly OfferedChannel[] | undefined;
}

/** The outcome when there is no policy at all. */
export const NO_POLICY: PolicyOutcome = Object.freeze({
  source: undefined,
  locked: [],
  overridden: [],
  error: undefined,
  provisionedConnections: [],
  mandatory: [],
  offered: [],
});

/**
 * Reads the configuration file with the managed policy applied. An invalid policy is not applied: the
 * configuration is used as it is, and `policy.error` says what was wrong (the shells show and log it).
 *
 * `managed`, when given (loadManagedPolicy: the Windows registry or macOS managed preferences), takes
 * precedence over the policy file: the file is then not read at all.
 *
 * @throws ConfigError when the configuration itself is invalid (with the policy's values, if any).
 */
export function loadConfigWithPolicy(
  configPath: string,
  policyPath: string | undefined,
  required: boolean,
  managed?: ManagedPolicy | undefined,
): { config: Config; policy: PolicyOutcome } {
  const source = managed !== undefined ? managed.source : policyPath;
  const loaded =
    managed !== undefined
      ? managed.error !== undefined
        ? { policy: undefined, error: `${managed.source}: ${managed.error}` }
        : parsePolicy(managed.raw, managed.source)
      : policyPath === undefined
        ? { policy: undefined, error: undefined }
        : loadPolicy(policyPath, required);
  let overridden: PolicyOutcome['overridden'] = [];
  let applyError: string | undefined;
  const config = loadConfigFile(configPath, (raw) => {
    if (!loaded.policy) return raw;
    const applied = applyPolicy(raw, loaded.policy);
    if (applied.problems.length > 0) {
      // Not applied at all: half a policy would be a machine configured as nobody intended.
      applyError = `${source}: ${applied.problems.join('; ')}`;
      return raw;
    }
    overridden = applied.overridden;
    return applied.raw;
  });
  const policy = applyError === undefined ? loaded.policy : undefined;
  if (policy === undefined) return { config, policy: { ...NO_POLICY, error: loaded.error ?? applyError } };
  return { config, policy: outcomeOf(policy, source, overridden) };
}

/** The outcome of a policy that was applied. */
function outcomeOf(policy: Policy, source: string | undefined, overridden: PolicyOutcome['overridden']): PolicyOutcome {
  return {
    source,
    locked: policy.lock,
    overridden,
    error: undefined,
    ...(policy.urgentBypassesQuietHours === undefined ? {} : { notifications: { urgentBypassesQuietHours: policy.urgentBypassesQuietHours } }),
    ...(policy.updates === undefined ? {} : { updates: policy.updates }),
    ...(policy.startAtLogin === undefined ? {} : { startAtLogin: policy.startAtLogin }),
    ...(policy.readReceipts === undefined ? {} : { readReceipts: policy.readReceipts }),
    ...(policy.language === undefined ? {} : { language: policy.language }),
    ...(policy.theme === undefined ? {} : { theme: policy.theme }),
    provisionedConnections: (policy.connections ?? []).map((c) => String(c.id)),
    mandatory: (policy.mandatoryChannels ?? []).map((m) => ({ connectionId: m.connectionId, topic: m.topic })),
    offered: (policy.channels ?? []).map((o) => ({
      connectionId: o.connectionId,
      topic: o.topic,
      channel: o.channel,
      description: o.description ?? null,
      kind: o.kind ?? 'notification',
    })),
  };
}

/** Where each platform's managed policy lives (the headless shell also takes --policy). */
export function defaultPolicyPath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'Pushdesk', 'policy.json');
  if (platform === 'darwin') return '/Library/Application Support/Pushdesk/policy.json';
  return '/etc/pushdesk/policy.json';
}

/**
 * Reads a policy file. A missing file is no policy unless `required` (given on the command line).
 *
 * @returns the policy, or the error naming the file and the field; never throws.
 */
export function loadPolicy(path: string, required: boolean): { policy: Policy | undefined; error: string | undefined } {
  if (!existsSync(path)) return { policy: undefined, error: required ? `${path}: the policy file does not exist` : undefined };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return { policy: undefined, error: `${path}: not valid JSON: ${(error as Error).message}` };
  }
  return parsePolicy(value, path);
}

/**
 * Validates a policy read from anywhere (a file, the registry, managed preferences).
 *
 * @returns the policy, or the error naming `source` and each field; never throws.
 */
export function parsePolicy(value: unknown, source: string): { policy: Policy | undefined; error: string | undefined } {
  const result = policySchema.safeParse(value);
  if (!result.success) return { policy: undefined, error: `${source}: ${describeIssues(result.error.issues).join('; ')}` };
  return { policy: result.data, error: undefined };
}

/** Whether a setting is locked: its own path, or a section or object above it, is in `locks`. */
export function isLocked(locks: readonly string[], path: string): boolean {
  for (let at = path; at !== ''; at = at.includes('.') ? at.slice(0, at.lastIndexOf('.')) : '') if (locks.includes(at)) return true;
  return false;
}

/**
 * Applies a policy to a configuration as read from its file (before validation): unlocked policy
 * values fill what the configuration leaves out, locked ones replace what it says, and a locked setting
 * without a policy value is taken out of the configuration (its built-in default applies).
 *
 * Then the policy's connections are added (replacing the configuration's with the same id) and its
 * mandatory channels are added to their connections. `problems` names each field that cannot be
 * applied (a mandatory or offered channel on a connection that exists nowhere, MQTT fields on an ntfy
 * connection); with any, the caller must not use `raw` (loadConfigWithPolicy applies nothing).
 */
export function applyPolicy(raw: unknown, policy: Policy): { raw: unknown; overridden: PolicyOutcome['overridden']; problems: string[] } {
  if (!isObject(raw)) return { raw, overridden: [], problems: [] };
  const locked = (path: string): boolean => isLocked(policy.lock, path);
  const overridden: { path: string; configured: unknown; policy: unknown }[] = [];
  const problems: string[] = [];
  const merge = (configured: unknown, given: unknown, path: string): unknown => {
    if (locked(path)) {
      if (configured !== undefined && JSON.stringify(configured) !== JSON.stringify(given)) overridden.push({ path, configured, policy: given });
      return given;
    }
    if (isObject(given)) {
      const base = isObject(configured) ? configured : {};
      const out: Record<string, unknown> = { ...base };
      for (const [key, value] of Object.entries(given)) out[key] = merge(base[key], value, `${path}.${key}`);
      return out;
    }
    return configured === undefined ? given : configured;
  };
  const out: Record<string, unknown> = { ...raw };
  for (const section of POLICY_SECTIONS) {
    const given = policy[section];
    if (given !== undefined) out[section] = merge(raw[section], given, section);
  }
  // Locked settings the policy gives no value for: the configuration's value goes, the default applies.
  // Only settings of the sections: `connections` and the shell's settings are not values of the file.
  for (const path of policy.lock) {
    const keys = path.split('.');
    if (!(POLICY_SECTIONS as readonly string[]).includes(keys[0] as string)) continue;
    let holder: unknown = out;
    let givenHolder: unknown = policy;
    for (const key of keys.slice(0, -1)) {
      holder = isObject(holder) ? holder[key] : undefined;
      givenHolder = isObject(givenHolder) ? givenHolder[key] : undefined;
    }
    const last = keys[keys.length - 1] as string;
    if (isObject(givenHolder) && last in givenHolder) continue;
    if (isObject(holder) && last in holder) {
      overridden.push({ path, configured: holder[last], policy: undefined });
      // Copy-on-write: `holder` may be the configuration's own object.
      const parentPath = keys.slice(0, -1);
      let parent: Record<string, unknown> = out;
      for (const key of parentPath) {
        const next = isObject(parent[key]) ? { ...(parent[key] as Record<string, unknown>) } : {};
        parent[key] = next;
        parent = next;
      }
      delete parent[last];
    }
  }
  // Provisioned connections: added, or replacing the configuration's connection with the same id.
  const connections: unknown[] = Array.isArray(raw.connections) ? [...(raw.connections as unknown[])] : [];
  for (const given of policy.connections ?? []) {
    const at = connections.findIndex((c) => isObject(c) && c.id === given.id);
    if (at === -1) {
      connections.push(given);
    } else {
      // Words, not the values: the configuration's connection may hold a password.
      overridden.push({ path: `connections.${String(given.id)}`, configured: 'the connection in the configuration file', policy: 'the connection of the policy' });
      connections[at] = given;
    }
  }
  const connectionAt = (id: string): number => connections.findIndex((c) => isObject(c) && c.id === id);
  const kindOf = (index: number): unknown => {
    const c = connections[index] as Record<string, unknown>;
    return c.kind ?? 'mqtt';
  };
  // Mandatory channels: added to their connection, replacing a subscription to the same topic.
  (policy.mandatoryChannels ?? []).forEach((m, index) => {
    const field = `mandatoryChannels[${index}]`;
    const at = connectionAt(m.connectionId);
    if (at === -1) {
      problems.push(`${field}.connectionId: no connection "${m.connectionId}" in the policy or the configuration`);
      return;
    }
    const ntfy = kindOf(at) === 'ntfy';
    if (ntfy && m.kind !== undefined) problems.push(`${field}.kind: connection "${m.connectionId}" is an ntfy connection, which has no data feeds`);
    if (ntfy && m.qos !== undefined) problems.push(`${field}.qos: connection "${m.connectionId}" is an ntfy connection, which has no QoS`);
    const connection = { ...(connections[at] as Record<string, unknown>) };
    const subscriptions: unknown[] = Array.isArray(connection.subscriptions) ? [...(connection.subscriptions as unknown[])] : [];
    const existing = subscriptions.findIndex((s) => isObject(s) && s.topic === m.topic);
    const subscription: Record<string, unknown> = {
      ...(existing === -1 ? {} : (subscriptions[existing] as Record<string, unknown>)),
      topic: m.topic,
      channel: m.channel,
      ...(m.kind === undefined || ntfy ? {} : { kind: m.kind }),
      ...(m.qos === undefined || ntfy ? {} : { qos: m.qos }),
      ...(m.critical === undefined ? {} : { critical: m.critical }),
    };
    if (existing === -1) subscriptions.push(subscription);
    else subscriptions[existing] = subscription;
    connection.subscriptions = subscriptions;
    connections[at] = connection;
  });
  (policy.channels ?? []).forEach((o, index) => {
    const at = connectionAt(o.connectionId);
    if (at === -1) problems.push(`channels[${index}].connectionId: no connection "${o.connectionId}" in the policy or the configuration`);
    else if (o.kind !== undefined && kindOf(at) === 'ntfy') problems.push(`channels[${index}].kind: connection "${o.connectionId}" is an ntfy connection, which has no data feeds`);
  });
  if (policy.connections !== undefined || policy.mandatoryChannels !== undefined) out.connections = connections;
  return { raw: out, overridden, problems };
}
