import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { notificationRulesSchema } from '../notify/rules/rule-settings.ts';
import { heartbeatSchema, storeSchema } from './config-schema.ts';
import type { Config } from './config-schema.ts';
import { describeIssues, loadConfigFile } from './load-config.ts';

/** The settings sections a managed policy can set and lock (more come with the desktop shell's settings). */
export const POLICY_SECTIONS = ['heartbeat', 'notifications', 'store'] as const;

/** Settings of the desktop shell a policy can lock besides the sections (they have no value in the configuration file). */
export const SHELL_SETTINGS = ['startAtLogin', 'updates', 'language', 'theme'] as const;

const lockPathSchema = z
  .string()
  .regex(
    new RegExp(`^((${POLICY_SECTIONS.join('|')})(\\.[A-Za-z0-9_-]+)*|${SHELL_SETTINGS.join('|')})$`),
    `must name a setting: a section (${POLICY_SECTIONS.join(', ')}) or a field in one, such as heartbeat.acIntervalSec`,
  );

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
  })
  .strict()
  .superRefine((policy, ctx) => {
    // Each section's values must be valid settings of that section (defaults filled only for checking).
    const sections = { heartbeat: heartbeatSchema, notifications: notificationRulesSchema, store: storeSchema } as const;
    for (const name of POLICY_SECTIONS) {
      const value = policy[name];
      if (value === undefined) continue;
      const result = sections[name].safeParse(value);
      if (!result.success) {
        for (const issue of result.error.issues) {
          const message = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
          ctx.addIssue({ code: 'custom', message, path: [name, ...issue.path] });
        }
      }
    }
  });

export type Policy = z.output<typeof policySchema>;

/** What the policy did to the configuration, for the status, the UI and diagnostics. */
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
}

/**
 * Reads the configuration file with the managed policy applied. An invalid policy is not applied: the
 * configuration is used as it is, and `policy.error` says what was wrong (the shells show and log it).
 *
 * @throws ConfigError when the configuration itself is invalid (with the policy's values, if any).
 */
export function loadConfigWithPolicy(configPath: string, policyPath: string | undefined, required: boolean): { config: Config; policy: PolicyOutcome } {
  const loaded = policyPath === undefined ? { policy: undefined, error: undefined } : loadPolicy(policyPath, required);
  let overridden: PolicyOutcome['overridden'] = [];
  const config = loadConfigFile(configPath, (raw) => {
    if (!loaded.policy) return raw;
    const applied = applyPolicy(raw, loaded.policy);
    overridden = applied.overridden;
    return applied.raw;
  });
  return {
    config,
    policy: {
      source: loaded.policy ? policyPath : undefined,
      locked: loaded.policy?.lock ?? [],
      overridden,
      error: loaded.error,
      ...(loaded.policy?.urgentBypassesQuietHours === undefined
        ? {}
        : { notifications: { urgentBypassesQuietHours: loaded.policy.urgentBypassesQuietHours } }),
      ...(loaded.policy?.updates === undefined ? {} : { updates: loaded.policy.updates }),
      ...(loaded.policy?.startAtLogin === undefined ? {} : { startAtLogin: loaded.policy.startAtLogin }),
    },
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
  const result = policySchema.safeParse(value);
  if (!result.success) return { policy: undefined, error: `${path}: ${describeIssues(result.error.issues).join('; ')}` };
  return { policy: result.data, error: undefined };
}

/** Whether a setting is locked: its own path, or a section or object above it, is in `locks`. */
export function isLocked(locks: readonly string[], path: string): boolean {
  for (let at = path; at !== ''; at = at.includes('.') ? at.slice(0, at.lastIndexOf('.')) : '') if (locks.includes(at)) return true;
  return false;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Applies a policy to a configuration as read from its file (before validation): unlocked policy
 * values fill what the configuration leaves out, locked ones replace what it says, and a locked setting
 * without a policy value is taken out of the configuration (its built-in default applies).
 */
export function applyPolicy(raw: unknown, policy: Policy): { raw: unknown; overridden: PolicyOutcome['overridden'] } {
  if (!isObject(raw)) return { raw, overridden: [] };
  const locked = (path: string): boolean => isLocked(policy.lock, path);
  const overridden: { path: string; configured: unknown; policy: unknown }[] = [];
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
  for (const path of policy.lock) {
    const keys = path.split('.');
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
  return { raw: out, overridden };
}
