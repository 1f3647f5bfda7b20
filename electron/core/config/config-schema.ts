import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { DEFAULT_HEARTBEAT } from '../heartbeat/heartbeat-policy.ts';
import { notificationRulesSchema } from '../notify/rules/rule-settings.ts';
import { SECRET_NAME, SECRET_NAME_RULE } from '../secrets.ts';

/** What is wrong, in words, for one zod issue (unknown fields named). */
export function issueMessage(issue: z.core.$ZodIssue): string {
  return issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
}

const MQTT_PROTOCOLS = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

/** An MQTT QoS level. */
export const qosSchema = z.union([z.literal(0), z.literal(1), z.literal(2)], { error: 'must be 0, 1 or 2' });

/** Whether a subscription's messages are notifications (history) or a data feed (values). */
export const channelKindSchema = z.enum(['notification', 'data'], { error: 'must be "notification" or "data"' });

/** Receipt statuses; `action` covers every action:<id>. */
export const RECEIPT_STATUSES = ['delivered', 'displayed', 'read', 'acknowledged', 'action'] as const;

/** A list of receipt statuses, each at most once. */
const receiptStatusesSchema = z
  .array(z.enum(RECEIPT_STATUSES, { error: `must be one of ${RECEIPT_STATUSES.join(', ')}` }))
  .refine((list) => new Set(list).size === list.length, 'each status may appear only once');

/** A channel's name: 1 to 100 characters, and not "__proto__" (it could not be a key of the rules). */
export const channelNameSchema = z
  .string()
  .min(1, 'must name the channel')
  .max(100)
  .refine((name) => name !== '__proto__', 'cannot be "__proto__"');

/**
 * Why a string is not a usable MQTT topic filter, or undefined: no U+0000, at most 65,535 bytes of
 * UTF-8, `#` only as the whole last level, `+` only as a whole level (MQTT 3.1.1 and 5, 4.7).
 */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.includes('\u0000')) return 'must not contain the character U+0000';
  if (Buffer.byteLength(filter, 'utf8') > 65_535) return 'must be at most 65,535 bytes long';
  const levels = filter.split('/');
  for (const [i, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return 'may use # only as the whole last level (a/b/#)';
    if (level.includes('+') && level !== '+') return 'may use + only as a whole level (a/+/c)';
  }
  return undefined;
}

/** A topic filter, checked by topicFilterProblem. */
export const topicFilterSchema = (empty: string) =>
  z
    .string()
    .min(1, empty)
    .superRefine((filter, ctx) => {
      const problem = topicFilterProblem(filter);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

/**
 * One MQTT subscription: a topic filter, its QoS and the channel its messages belong to.
 *
 * `kind: "data"` makes it a live data feed: its messages are not history but values (the latest per
 * topic plus a bounded window of samples), with no notification and no receipt.
 */
export const subscriptionSchema = z
  .object({
    topic: topicFilterSchema('must be a non-empty MQTT topic filter'),
    qos: qosSchema.default(1),
    channel: channelNameSchema,
    kind: channelKindSchema.default('notification'),
    /** Critical channels keep a short heartbeat even on low battery. */
    critical: z.boolean().default(false),
    /** Receipt statuses this channel may send (within the connection's); default: the connection's. */
    receipts: receiptStatusesSchema.optional(),
  })
  .strict();

/**
 * Where read receipts for a connection go.
 *
 * `topic` is a template: {device}, {channel} and {connection} are replaced when a receipt is sent.
 */
export const receiptTargetSchema = z
  .object({
    topic: z.string().min(1).refine((t) => !/[#+]/.test(t), 'must not contain the wildcards + or #'),
    qos: qosSchema.default(1),
    /** The statuses this connection may send; a message's own request is honoured only within them. */
    statuses: receiptStatusesSchema.default([...RECEIPT_STATUSES]),
  })
  .strict();

/**
 * TLS settings of a connection. Verification is on unless `rejectUnauthorized` is explicitly false,
 * which the connection's status then shows as a warning.
 */
export const tlsSchema = z
  .object({
    caFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    keyPassphraseEnv: z.string().min(1).optional(),
    rejectUnauthorized: z.boolean().default(true),
    serverName: z.string().min(1).optional(),
  })
  .strict()
  .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), {
    message: 'give certFile and keyFile together (the client certificate and its private key)',
    path: ['certFile'],
  });

/**
 * Presence: a retained "online" message when connected and a retained "offline" last will, so a server
 * sees which desktops are up. `topic` may use {device} and {connection}.
 */
export const presenceSchema = z
  .object({
    topic: z.string().min(1).refine((t) => !/[#+]/.test(t), 'must not contain the wildcards + or #'),
    qos: qosSchema.default(1),
  })
  .strict();

/** Reconnect backoff bounds: full jitter between 0 and min(capMs, baseMs x 2^attempt). */
export const reconnectSchema = z
  .object({
    baseMs: z.number().int().min(10).max(60_000).default(1000),
    capMs: z.number().int().min(100).max(3_600_000).default(60_000),
  })
  .strict();

/**
 * A channel offered to the person (the Channels screen), not subscribed until they subscribe to it.
 */
export const offeredChannelSchema = z
  .object({
    topic: topicFilterSchema('must be a non-empty topic (an MQTT filter, or an ntfy topic)').pipe(z.string().max(1000)),
    channel: channelNameSchema,
    description: z.string().max(500).optional(),
    kind: channelKindSchema.default('notification'),
  })
  .strict();

/**
 * The channel directory of a connection: channels offered in the configuration and, for MQTT, a
 * retained directory message on the broker (docs/channels.md) that lists more.
 */
export const directorySchema = z
  .object({
    /** MQTT only: the topic of the broker's retained directory message (no wildcards). */
    topic: z
      .string()
      .min(1)
      .max(1000)
      .refine((t) => !/[#+]/.test(t), 'must not contain the wildcards + or #')
      .optional(),
    channels: z.array(offeredChannelSchema).max(1000).default([]),
  })
  .strict();

/** A connection's id: how the UI, logs, receipts and the store name it. */
const connectionIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1 to 64 letters, digits, dot, dash or underscore');

/** A URL whose scheme is one of `protocols` (with the colon, as URL.protocol gives it). */
function urlWithProtocol(protocols: readonly string[], message: string) {
  return z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, message);
}

/**
 * Credentials every kind takes; the secret comes from at most one of four places. `passwordSecret`
 * names a secret the shell keeps (the keychain, or the headless hub's owner-only file), not the secret.
 */
const credentialFields = {
  username: z.string().optional(),
  password: z.string().optional(),
  passwordFile: z.string().optional(),
  passwordEnv: z.string().optional(),
  passwordSecret: z.string().regex(SECRET_NAME, SECRET_NAME_RULE).optional(),
};

/** The secret fields of a connection, as the refinements below see them. */
interface SecretSources {
  password?: string | undefined;
  passwordFile?: string | undefined;
  passwordEnv?: string | undefined;
  passwordSecret?: string | undefined;
}

/** How many of the four secret fields a connection gives. */
const secretSourceCount = (c: SecretSources): number =>
  [c.password, c.passwordFile, c.passwordEnv, c.passwordSecret].filter((v) => v !== undefined).length;

const atMostOneSecret = (c: SecretSources): boolean => secretSourceCount(c) <= 1;
const atMostOneSecretError = { message: 'give at most one of password, passwordFile, passwordEnv and passwordSecret', path: ['password'] };

/**
 * One MQTT broker connection with its subscriptions.
 *
 * Credentials: `password` is accepted for simple setups; `passwordSecret`, `passwordFile` and
 * `passwordEnv` keep the secret out of the configuration file.
 */
export const mqttConnectionSchema = z
  .object({
    id: connectionIdSchema,
    kind: z.literal('mqtt'),
    url: urlWithProtocol(MQTT_PROTOCOLS, 'must be a URL starting with mqtt://, mqtts://, ws:// or wss://'),
    ...credentialFields,
    clientId: z.string().min(1).max(128).optional(),
    protocolVersion: z.union([z.literal(4), z.literal(5)], { error: 'must be 4 (MQTT 3.1.1) or 5 (MQTT 5)' }).default(5),
    sessionExpirySec: z.number().int().min(0).max(4_294_967_295).default(7 * 24 * 3600),
    tls: tlsSchema.optional(),
    presence: presenceSchema.optional(),
    reconnect: reconnectSchema.default({ baseMs: 1000, capMs: 60_000 }),
    /** Wait for the network before connecting; by default yes, unless the server is on this machine. */
    waitForNetwork: z.boolean().optional(),
    keepaliveSec: z.number().int().min(0).max(65535).default(60),
    maxPayloadBytes: z.number().int().min(1).max(256 * 1024 * 1024).default(256 * 1024),
    subscriptions: z
      .array(subscriptionSchema)
      .min(1, 'needs at least one subscription')
      .refine((list) => new Set(list.map((s) => s.topic)).size === list.length, 'each topic filter may appear only once'),
    receipts: receiptTargetSchema.optional(),
    directory: directorySchema.optional(),
  })
  .strict()
  .refine(atMostOneSecret, atMostOneSecretError);

/** One ntfy topic and the channel its messages belong to. */
export const ntfySubscriptionSchema = z
  .object({
    topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, 'must be an ntfy topic: 1 to 64 letters, digits, - or _'),
    channel: channelNameSchema,
    critical: z.boolean().default(false),
    receipts: receiptStatusesSchema.optional(),
  })
  .strict();

/**
 * One ntfy-compatible server. With `username`, the secret (password, passwordFile, passwordEnv or passwordSecret) is
 * sent as HTTP Basic authentication; without it, as a Bearer access token.
 */
export const ntfyConnectionSchema = z
  .object({
    id: connectionIdSchema,
    kind: z.literal('ntfy'),
    url: urlWithProtocol(['http:', 'https:'], 'must be the server address, starting with https:// (or http://)'),
    ...credentialFields,
    transport: z.enum(['auto', 'ws', 'json', 'sse'], { error: 'must be auto, ws, json or sse' }).default('auto'),
    keepaliveTimeoutSec: z.number().int().min(10).max(3600).default(110),
    maxPayloadBytes: z.number().int().min(1).max(256 * 1024 * 1024).default(256 * 1024),
    subscriptions: z
      .array(ntfySubscriptionSchema)
      .min(1, 'needs at least one topic')
      .refine((list) => new Set(list.map((s) => s.topic)).size === list.length, 'each topic may appear only once'),
    receipts: z
      .object({
        topic: z.string().regex(/^[-_A-Za-z0-9{}]{1,80}$/, 'must be an ntfy topic, with {device}, {channel} or {connection} if wanted'),
        statuses: receiptStatusesSchema.default([...RECEIPT_STATUSES]),
      })
      .strict()
      .optional(),
    reconnect: reconnectSchema.default({ baseMs: 1000, capMs: 60_000 }),
    /** Wait for the network before connecting; by default yes, unless the server is on this machine. */
    waitForNetwork: z.boolean().optional(),
    /** Channels offered to the person (ntfy has no directory message: `topic` is refused). */
    directory: directorySchema
      .refine((d) => d.topic === undefined, { message: 'ntfy has no directory message: leave out topic', path: ['topic'] })
      .optional(),
  })
  .strict()
  .refine(atMostOneSecret, atMostOneSecretError)
  .refine((c) => c.username === undefined || secretSourceCount(c) > 0, {
    message: 'a username needs a password (password, passwordFile, passwordEnv or passwordSecret)',
    path: ['username'],
  });

/** A connection of any kind; `kind` defaults to "mqtt". */
export const connectionSchema = z.preprocess(
  (value) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) && !('kind' in value) ? { ...value, kind: 'mqtt' } : value,
  z.discriminatedUnion('kind', [mqttConnectionSchema, ntfyConnectionSchema], { error: 'kind must be "mqtt" or "ntfy"' }),
);

/**
 * Heartbeat settings, all in seconds (see decideHeartbeat for the rules).
 */
export const heartbeatSchema = z
  .object({
    acIntervalSec: z.number().int().min(5).max(3600).default(DEFAULT_HEARTBEAT.acIntervalSec),
    acTimeoutSec: z.number().int().min(1).max(600).default(DEFAULT_HEARTBEAT.acTimeoutSec),
    batteryMinSec: z.number().int().min(5).max(3600).default(DEFAULT_HEARTBEAT.batteryMinSec),
    batteryMaxSec: z.number().int().min(5).max(3600).default(DEFAULT_HEARTBEAT.batteryMaxSec),
    batteryTimeoutSec: z.number().int().min(1).max(600).default(DEFAULT_HEARTBEAT.batteryTimeoutSec),
    lowBatteryMinSec: z.number().int().min(5).max(3600).default(DEFAULT_HEARTBEAT.lowBatteryMinSec),
    probeTimeoutSec: z.number().int().min(1).max(60).default(DEFAULT_HEARTBEAT.probeTimeoutSec),
    adaptiveOnBattery: z.boolean().default(DEFAULT_HEARTBEAT.adaptiveOnBattery),
    /** Each connection waits a random 0 to this many seconds before its first connect (fleets). */
    startDelayMaxSec: z.number().min(0).max(3600).default(0),
  })
  .strict()
  .refine((h) => h.batteryMinSec <= h.batteryMaxSec, { message: 'batteryMinSec must not exceed batteryMaxSec', path: ['batteryMinSec'] });

/**
 * How long and how many messages a channel keeps. A field left out takes the general rule's value;
 * `maxAgeDays: null` keeps messages whatever their age.
 */
const retentionRuleSchema = z
  .object({
    maxAgeDays: z.number().positive().max(36500).nullable().optional(),
    maxCount: z.number().int().min(1).optional(),
  })
  .strict();

/**
 * The local store: full-text search, retention (per channel, a default, a size cap) and data feeds.
 */
export const storeSchema = z
  .object({
    /** Index title, body and tags for search (in the background, behind ingest). */
    fullTextSearch: z.boolean().default(true),
    retention: retentionRuleSchema
      .extend({
        /** The general age limit; null keeps messages whatever their age. */
        maxAgeDays: z.number().positive().max(36500).nullable().default(365),
        /** Cap on the database's used size; the oldest messages go first (never unread priority 4-5). */
        maxSizeMb: z.number().positive().optional(),
        /** Rules per channel name, overriding the defaults above. */
        channels: z.record(z.string().min(1).max(100), retentionRuleSchema).default({}),
      })
      .strict()
      .default({ maxAgeDays: 365, channels: {} }),
    data: z
      .object({
        samplesPerTopic: z.number().int().min(1).max(1_000_000).default(600),
        maxAgeMinutes: z.number().positive().max(525_600).default(60),
      })
      .strict()
      .default({ samplesPerTopic: 600, maxAgeMinutes: 60 }),
  })
  .strict();

/**
 * The whole configuration file.
 */
export const configSchema = z
  .object({
    deviceId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, dot, dash or underscore')
      .optional(),
    heartbeat: heartbeatSchema.default({ ...DEFAULT_HEARTBEAT, startDelayMaxSec: 0 }),
    /** What pops up: priorities, channel rules, quiet hours, storm control, digest (docs/notifications.md). */
    notifications: notificationRulesSchema.prefault({}),
    store: storeSchema.default({
      fullTextSearch: true,
      retention: { maxAgeDays: 365, channels: {} },
      data: { samplesPerTopic: 600, maxAgeMinutes: 60 },
    }),
    connections: z
      .array(connectionSchema)
      .min(1, 'needs at least one connection')
      .refine((list) => new Set(list.map((c) => c.id)).size === list.length, 'connection ids must be unique'),
  })
  .strict();

/** A validated configuration, defaults filled in. */
export type Config = z.output<typeof configSchema>;
/** A validated MQTT connection. */
export type MqttConnectionConfig = z.output<typeof mqttConnectionSchema>;
/** A validated ntfy connection. */
export type NtfyConnectionConfig = z.output<typeof ntfyConnectionSchema>;
/** A validated connection of either kind. */
export type ConnectionConfig = MqttConnectionConfig | NtfyConnectionConfig;
/** A validated subscription. */
export type SubscriptionConfig = z.output<typeof subscriptionSchema>;
/** A validated offered channel. */
export type OfferedChannel = z.output<typeof offeredChannelSchema>;

/**
 * Checks a connection kept outside the configuration file (the policy, the person's settings), where
 * no secret may be written and no folder gives relative file names a meaning: a valid connection, no
 * `password` and no password in the URL (`passwordMessage` says what to use instead), absolute file names.
 * Issues go to `ctx` at `at(...field)`.
 *
 * @returns the validated connection, or undefined when the schema refused it.
 */
export function checkSecretFreeConnection(
  connection: Record<string, unknown>,
  ctx: z.RefinementCtx,
  options: { readonly passwordMessage: string; readonly fileMessage: string; readonly at: (...path: PropertyKey[]) => PropertyKey[] },
): ConnectionConfig | undefined {
  const { at } = options;
  if ('password' in connection) ctx.addIssue({ code: 'custom', message: options.passwordMessage, path: at('password') });
  if (typeof connection.url === 'string') {
    try {
      if (new URL(connection.url).password !== '') ctx.addIssue({ code: 'custom', message: options.passwordMessage, path: at('url') });
    } catch {
      // The connection schema names a URL that does not parse.
    }
  }
  const result = connectionSchema.safeParse(connection);
  if (!result.success) {
    for (const issue of result.error.issues) {
      // The password rule above already said it, in the caller's words.
      if (issue.path[0] === 'password' && 'password' in connection) continue;
      ctx.addIssue({ code: 'custom', message: issueMessage(issue), path: at(...issue.path) });
    }
    return undefined;
  }
  const c = result.data;
  const files: [string | undefined, PropertyKey[]][] = [[c.passwordFile, ['passwordFile']]];
  if (c.kind === 'mqtt') files.push([c.tls?.caFile, ['tls', 'caFile']], [c.tls?.certFile, ['tls', 'certFile']], [c.tls?.keyFile, ['tls', 'keyFile']]);
  for (const [file, path] of files) {
    if (file !== undefined && !isAbsolute(file)) ctx.addIssue({ code: 'custom', message: options.fileMessage, path: at(...path) });
  }
  return c;
}
