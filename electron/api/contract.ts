import { z } from 'zod';

/**
 * The one contract between the UI and the core: every call and event, as types plus runtime schemas.
 *
 * Both shells bind it (Electron IPC through the preload, the headless WebSocket bridge), and both
 * sides validate what crosses it. This module imports nothing but zod, so the renderer can use it.
 */

/** A message as the UI sees it. */
export const messageSchema = z.object({
  seq: z.number().int().positive(),
  id: z.string(),
  connectionId: z.string(),
  channel: z.string(),
  topic: z.string(),
  title: z.string(),
  body: z.string(),
  priority: z.number().int().min(1).max(5),
  tags: z.array(z.string()),
  click: z.string().nullable(),
  retained: z.boolean(),
  receivedAtMs: z.number(),
  readAtMs: z.number().nullable(),
  requiresAck: z.boolean(),
  acknowledgedAtMs: z.number().nullable(),
  /** The message's buttons, also shown in the message view (where the platform shows none). */
  actions: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      kind: z.enum(['view', 'http', 'acknowledge']),
      /** view and http: the link (checked again before it is opened). */
      url: z.string().nullable(),
    }),
  ),
});
export type UiMessage = z.infer<typeof messageSchema>;

/**
 * One connection's state for the UI.
 *
 * `stateReason` and `heartbeat.reason` are the core's English words (logs and diagnostics show them);
 * the window words the same reasons in its language from the codes and numbers beside them, and shows
 * the English words only for a `stateCode` of "other" or a heartbeat `profile` of null.
 */
export const connectionStatusSchema = z.object({
  id: z.string(),
  url: z.string(),
  state: z.enum(['connecting', 'connected', 'reconnecting', 'offline', 'suspended', 'stopped']),
  stateReason: z.string(),
  /** Why, as a code (electron/core/sources/connection-status.ts ConnectionStateCode). */
  stateCode: z.enum([
    'not-started',
    'connecting',
    'connected',
    'reconnecting-in',
    'reconnecting',
    'waiting-for-network',
    'asleep',
    'network-back',
    'woke-up',
    'renegotiating',
    'stopped',
    'other',
  ]),
  /** reconnecting-in: seconds until the next attempt, and which attempt it is; the why is `lastError`. */
  retryInSec: z.number().nullable(),
  attempt: z.number().int().nullable(),
  lastError: z.string().nullable(),
  connectedSinceMs: z.number().nullable(),
  reconnects: z.number().int(),
  received: z.number().int(),
  bytes: z.number().int(),
  rejected: z.number().int(),
  warning: z.string().nullable(),
  heartbeat: z.object({
    reason: z.string(),
    intervalSec: z.number(),
    /** The rule that chose the interval; null before the first decision or for words without a code. */
    profile: z.enum(['ac', 'battery', 'low-battery', 'asleep', 'offline']).nullable(),
    /** Battery interval learned per network. */
    adaptive: z.boolean(),
    /** Low battery, but a critical channel keeps the battery interval. */
    critical: z.boolean(),
    /** The profile's own interval, before a server shortened it. */
    profileSec: z.number(),
    /** The shorter keep-alive the server imposes, if any. */
    serverAskedSec: z.number().nullable(),
    lastRttMs: z.number().nullable(),
    lastHour: z.number().int(),
    lastDetectionMs: z.number().nullable(),
  }),
});
export type UiConnectionStatus = z.infer<typeof connectionStatusSchema>;

/** A priority from 1 (min) to 5 (urgent). */
const prioritySchema = z.number().int().min(1).max(5);

/** A connection id, as the configuration allows it. */
export const connectionIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1 to 64 letters, digits, dot, dash or underscore, starting with a letter or digit');

/** A setting that a managed policy (or the shell) does not let the person change, and why, in words. */
export const lockSchema = z.object({
  /** The setting's path in `UiSettings`, e.g. "notifications.quietHours" or "language". */
  path: z.string(),
  /** Why, for a person: "Set by your organisation (/etc/pushdesk/policy.json)". */
  reason: z.string(),
});
export type UiLock = z.infer<typeof lockSchema>;

/** One weekly quiet-hours window: the days it starts on, and its start and end as HH:MM. */
export const quietWindowSchema = z
  .object({
    days: z.array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).min(1).max(7),
    start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM'),
    end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM'),
  })
  .strict();

/** The person's settings the Settings screen shows and changes. */
export const settingsSchema = z.object({
  notifications: z.object({
    quietHours: z.object({
      enabled: z.boolean(),
      windows: z.array(quietWindowSchema).max(14),
      /** Priority 5 messages pop up during quiet hours. */
      urgentBypass: z.boolean(),
    }),
    /** Notifications make a sound (channels can turn theirs off). */
    sound: z.boolean(),
  }),
  /** Read receipts are sent where the sender asks for them (an organisation may forbid them). */
  readReceipts: z.boolean(),
  language: z.enum(['system', 'en', 'zh-CN']),
  theme: z.enum(['system', 'light', 'dark']),
  /** Null when this shell cannot start at login (the headless hub). */
  startAtLogin: z.boolean().nullable(),
  retention: z.object({
    /** Null keeps messages whatever their age. */
    maxAgeDays: z.number().positive().max(36500).nullable(),
    /** Null: no count limit. */
    maxCount: z.number().int().min(1).nullable(),
  }),
});
export type UiSettings = z.infer<typeof settingsSchema>;

/** A change to the settings: any of their fields (a nested object is replaced as a whole). */
export const settingsPatchSchema = z
  .object({
    notifications: z
      .object({
        quietHours: settingsSchema.shape.notifications.shape.quietHours.strict().optional(),
        sound: z.boolean().optional(),
      })
      .strict()
      .optional(),
    readReceipts: z.boolean().optional(),
    language: settingsSchema.shape.language.optional(),
    theme: settingsSchema.shape.theme.optional(),
    startAtLogin: z.boolean().optional(),
    retention: settingsSchema.shape.retention.strict().optional(),
  })
  .strict();
export type UiSettingsPatch = z.infer<typeof settingsPatchSchema>;

/** A channel's notification rule as the person sets it. */
export const channelRuleSchema = z.object({
  /** Muted until turned on again. */
  muted: z.boolean(),
  /** Muted until this time (epoch ms), or null. */
  mutedUntilMs: z.number().nullable(),
  /** The lowest priority that pops up. */
  minPriority: prioritySchema,
  sound: z.boolean(),
});
export type UiChannelRule = z.infer<typeof channelRuleSchema>;

/** One channel of the directory: what a person may subscribe to, on which connection and topic. */
export const channelEntrySchema = z.object({
  connectionId: z.string(),
  topic: z.string(),
  channel: z.string(),
  description: z.string().nullable(),
  kind: z.enum(['notification', 'data']),
  /** Where the entry comes from: the configuration, the IT policy, the broker's directory message, or the person. */
  source: z.enum(['config', 'policy', 'directory', 'user']),
  subscribed: z.boolean(),
  /** IT made it mandatory: always subscribed, shown with a lock. */
  mandatory: z.boolean(),
  unread: z.number().int(),
  total: z.number().int(),
  rule: channelRuleSchema,
  /** Set when the person cannot change the rule (a policy lock), in words. */
  ruleLockedReason: z.string().nullable(),
});
export type UiChannelEntry = z.infer<typeof channelEntrySchema>;

/** A connection as the Connections screen edits it. Secrets are write-only: `hasSecret` says one is kept. */
export const connectionViewSchema = z.object({
  id: z.string(),
  kind: z.enum(['mqtt', 'ntfy']),
  url: z.string(),
  username: z.string().nullable(),
  hasSecret: z.boolean(),
  /** MQTT only: TLS verification of the server is on (off shows as a warning). */
  verifyTls: z.boolean(),
  subscriptions: z.array(z.object({ topic: z.string(), channel: z.string() })),
  source: z.enum(['config', 'policy', 'user']),
  /** Null when the person may edit and remove it; otherwise why not, in words. */
  lockedReason: z.string().nullable(),
});
export type UiConnectionView = z.infer<typeof connectionViewSchema>;

/**
 * A connection entered in the form. `secret` (password or access token) goes to the shell's secret
 * store, never to a settings file; left out on an edit, the kept one stays; `clearSecret` removes it.
 */
export const connectionInputSchema = z
  .object({
    id: connectionIdSchema,
    kind: z.enum(['mqtt', 'ntfy']),
    url: z.string().min(1, 'enter the server address').max(2000),
    username: z.string().max(256).optional(),
    secret: z.string().max(4096).optional(),
    clearSecret: z.boolean().optional(),
    verifyTls: z.boolean().default(true),
    subscriptions: z
      .array(
        z
          .object({
            topic: z.string().min(1, 'enter a topic').max(1000),
            channel: z.string().min(1, 'enter a channel name').max(100),
          })
          .strict(),
      )
      .min(1, 'add at least one topic')
      .max(500),
  })
  .strict();
export type UiConnectionInput = z.input<typeof connectionInputSchema>;

/**
 * A method's schemas, built the first time they are used: the window draws its first page before
 * most of the contract's schemas exist (building them all costs tens of ms at start-up).
 */
function lazyMethod<A, R>(build: () => { readonly args: A; readonly result: R }): { readonly args: A; readonly result: R } {
  let built: { readonly args: A; readonly result: R } | undefined;
  return {
    get args(): A {
      return (built ??= build()).args;
    },
    get result(): R {
      return (built ??= build()).result;
    },
  };
}

/** The arguments of a call about one message. */
const seqArgs = () => z.object({ seq: z.number().int().positive() }).strict();

/** The result of a change that may send a receipt: the message, and how its receipt fared. */
const changeWithReceipt = () =>
  z.object({
    message: messageSchema,
    receipt: z.enum(['sent', 'pending', 'not-configured', 'already-read']),
  });

/** Calls from the UI to the core: arguments and result of each. */
export const methods = {
  listMessages: lazyMethod(() => ({
    args: z
      .object({
        beforeSeq: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(500),
      })
      .strict(),
    result: z.object({ messages: z.array(messageSchema) }),
  })),
  markRead: lazyMethod(() => ({ args: seqArgs(), result: changeWithReceipt() })),
  /** Marks a message unread again (no receipt is sent or withdrawn). */
  markUnread: lazyMethod(() => ({
    args: seqArgs(),
    result: z.object({ message: messageSchema }),
  })),
  searchMessages: lazyMethod(() => ({
    args: z
      .object({
        text: z.string().max(500).optional(),
        channel: z.string().min(1).max(100).optional(),
        minPriority: z.number().int().min(1).max(5).optional(),
        sinceMs: z.number().int().nonnegative().optional(),
        untilMs: z.number().int().nonnegative().optional(),
        unreadOnly: z.boolean().optional(),
        beforeSeq: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(500),
      })
      .strict(),
    result: z.object({
      messages: z.array(messageSchema),
      /** The words to highlight in the results. */
      terms: z.array(z.string()),
      nextBeforeSeq: z.number().int().nullable(),
    }),
  })),
  channelCounts: lazyMethod(() => ({
    args: z.object({}).strict(),
    result: z.object({
      channels: z.array(z.object({ channel: z.string(), unread: z.number().int(), total: z.number().int() })),
    }),
  })),
  markChannelRead: lazyMethod(() => ({
    args: z.object({ channel: z.string().min(1).max(100) }).strict(),
    result: z.object({ marked: z.number().int(), receipts: z.number().int() }),
  })),
  acknowledge: lazyMethod(() => ({ args: seqArgs(), result: changeWithReceipt() })),
  chooseAction: lazyMethod(() => ({
    args: z.object({ seq: z.number().int().positive(), actionId: z.string().min(1).max(80) }).strict(),
    result: z.object({ ok: z.literal(true) }),
  })),
  pauseNotifications: lazyMethod(() => ({
    args: z.object({ minutes: z.number().int().min(1).max(24 * 60).optional() }).strict(),
    result: z.object({ pausedUntilMs: z.number() }),
  })),
  resumeNotifications: lazyMethod(() => ({
    args: z.object({}).strict(),
    result: z.object({ pausedUntilMs: z.null() }),
  })),
  exportMessages: lazyMethod(() => ({
    args: z
      .object({
        format: z.enum(['jsonl', 'csv']),
        /** The history's filters, as searchMessages takes them: the export holds what the list shows. */
        text: z.string().max(500).optional(),
        channel: z.string().min(1).max(100).optional(),
        minPriority: z.number().int().min(1).max(5).optional(),
        sinceMs: z.number().int().nonnegative().optional(),
        untilMs: z.number().int().nonnegative().optional(),
        unreadOnly: z.boolean().optional(),
      })
      .strict(),
    /** Headless: a download address on the bridge. Desktop: the file the person chose and the count. */
    result: z.object({ href: z.string().nullable(), path: z.string().nullable(), count: z.number().int().nullable() }),
  })),
  getSettings: lazyMethod(() => ({
    args: z.object({}).strict(),
    result: z.object({ settings: settingsSchema, locks: z.array(lockSchema) }),
  })),
  /** Changes settings; a locked one is refused (error code "locked", naming it) and nothing is changed. */
  updateSettings: lazyMethod(() => ({
    args: z.object({ patch: settingsPatchSchema }).strict(),
    result: z.object({ settings: settingsSchema, locks: z.array(lockSchema) }),
  })),
  /** The channel directory: configured, mandatory, offered by the broker, subscribed by the person. */
  listChannels: lazyMethod(() => ({
    args: z.object({}).strict(),
    result: z.object({ channels: z.array(channelEntrySchema) }),
  })),
  /** Subscribes or unsubscribes on the live connection at once (and remembers it). Mandatory ones are refused. */
  setSubscribed: lazyMethod(() => ({
    args: z.object({ connectionId: z.string().min(1).max(64), topic: z.string().min(1).max(1000), subscribed: z.boolean() }).strict(),
    result: z.object({ channel: channelEntrySchema }),
  })),
  /** Changes a channel's rule: mute (for some minutes, or until turned on), minimum priority, sound. */
  setChannelRule: lazyMethod(() => ({
    args: z
      .object({
        channel: z.string().min(1).max(100),
        /** true: muted until unmuted; false: unmuted. */
        muted: z.boolean().optional(),
        /** Mute for this many minutes (overrides `muted`). */
        muteMinutes: z.number().int().min(1).max(365 * 24 * 60).optional(),
        minPriority: prioritySchema.optional(),
        sound: z.boolean().optional(),
      })
      .strict(),
    result: z.object({ rule: channelRuleSchema }),
  })),
  listConnections: lazyMethod(() => ({
    args: z.object({}).strict(),
    result: z.object({ connections: z.array(connectionViewSchema) }),
  })),
  /**
   * Adds a connection (or replaces the one with `replaceId`) and connects it at once. Invalid fields
   * come back as error code "invalid-arguments" with `fields` naming each one.
   */
  saveConnection: lazyMethod(() => ({
    args: z.object({ connection: connectionInputSchema, replaceId: z.string().min(1).max(64).optional() }).strict(),
    result: z.object({ connection: connectionViewSchema }),
  })),
  removeConnection: lazyMethod(() => ({
    args: z.object({ id: z.string().min(1).max(64) }).strict(),
    result: z.object({ removed: z.literal(true) }),
  })),
  /** Tries a connection as entered (connect, then disconnect) and says how it went, in words. */
  testConnection: lazyMethod(() => ({
    args: z.object({ connection: connectionInputSchema }).strict(),
    result: z.object({ ok: z.boolean(), message: z.string(), elapsedMs: z.number() }),
  })),
  /** The diagnostics bundle: headless, a download address on the bridge; desktop, the file the person chose. */
  exportDiagnostics: lazyMethod(() => ({
    args: z.object({}).strict(),
    result: z.object({ href: z.string().nullable(), path: z.string().nullable() }),
  })),
  getStatus: lazyMethod(() => ({
    args: z.object({}).strict(),
    result: z.object({
      deviceId: z.string(),
      connections: z.array(connectionStatusSchema),
      /** Set when the message store was found damaged at start and replaced: what happened, in words. */
      storeNotice: z.string().nullable(),
      /** Until when pop-ups are paused (epoch ms), or null. */
      pausedUntilMs: z.number().nullable(),
      /** The managed policy: its file, the settings it locks, and why it was not applied if it was invalid. */
      policy: z.object({ source: z.string().nullable(), locked: z.array(z.string()), error: z.string().nullable() }),
    }),
  })),
} as const;

/** Events from the core to the UI. */
export const events = {
  messagesAdded: z.object({ messages: z.array(messageSchema) }),
  messageUpdated: z.object({ message: messageSchema }),
  messagesRemoved: z.object({ seqs: z.array(z.number().int().positive()) }),
  connectionChanged: z.object({ connection: connectionStatusSchema }),
  /** The person clicked a notification: show this message. */
  openMessage: z.object({ seq: z.number().int().positive() }),
  /** The settings changed (here, in another window, or from the tray). */
  settingsChanged: z.object({ settings: settingsSchema, locks: z.array(lockSchema) }),
  /** The channel directory changed (a subscription, a rule, the broker's directory message): list it again. */
  channelsChanged: z.object({}),
  /** Connections were added, edited or removed: list them again. */
  connectionsChanged: z.object({}),
  /**
   * A confirmed pushdesk://add-connection link: open the connection form with this address (and name,
   * as the id) filled in; the person adds topics and credentials and saves.
   */
  connectionProposed: z.object({ url: z.string(), name: z.string().nullable() }),
} as const;

export type MethodName = keyof typeof methods;
export type EventName = keyof typeof events;
export type MethodArgs<M extends MethodName> = z.input<(typeof methods)[M]['args']>;
export type MethodResult<M extends MethodName> = z.output<(typeof methods)[M]['result']>;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

/** Whether a string names a method of the contract (own keys only: `__proto__` is not a method). */
export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methods, name);
}

/** Whether a string names an event of the contract. */
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

/**
 * A call's failure as it crosses the contract: a code the UI can branch on and words for a person.
 */
export const callErrorSchema = z.object({
  code: z.enum(['unknown-method', 'invalid-arguments', 'locked', 'failed']),
  message: z.string(),
  /** invalid-arguments: each field that was wrong (a dotted path into the arguments) and why, for a form. */
  fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type CallError = z.infer<typeof callErrorSchema>;

/**
 * Frames of the headless bridge's WebSocket, in each direction.
 */
export const clientFrameSchema = z.object({
  type: z.literal('call'),
  id: z.number().int().nonnegative(),
  method: z.string().max(64),
  args: z.unknown(),
});
export type ClientFrame = z.infer<typeof clientFrameSchema>;

export const serverFrameSchema = z.union([
  z.object({ type: z.literal('result'), id: z.number().int(), ok: z.literal(true), value: z.unknown() }),
  z.object({ type: z.literal('result'), id: z.number().int(), ok: z.literal(false), error: callErrorSchema }),
  z.object({ type: z.literal('event'), name: z.string(), payload: z.unknown() }),
]);
export type ServerFrame = z.infer<typeof serverFrameSchema>;

