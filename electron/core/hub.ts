import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Config, ConnectionConfig, OfferedChannel } from './config/config-schema.ts';
import type { UiChannelEntry, UiChannelRule, UiConnectionInput, UiConnectionView, UiLock, UiSettings, UiSettingsPatch } from '../api/contract.ts';
import { buildChannelList, subscriptionKey, type Offer } from './channels/channel-list.ts';
import { parseDirectoryMessage } from './channels/directory-message.ts';
import { connectionFromInput, connectionSecretName, connectionView, FieldErrors, type ConnectionInput } from './config/connection-input.ts';
import {
  addOrReplaceConnection,
  applySettingsPatch,
  channelRuleLockedReason,
  channelRuleView,
  connectionLockedReason,
  effectiveConfig,
  readReceiptsAllowed,
  removeConnection as withoutConnection,
  setChannelRule as withChannelRule,
  setSubscribed as withSubscription,
  settingsView,
  UserSettingsFile,
  type ChannelRuleChange,
} from './settings/user-settings.ts';
import { testConnection, type ConnectionTestResult } from './sources/test-connection.ts';
import type { PolicyOutcome } from './config/policy.ts';
import { buildDiagnostics, problemRecorder, writeSnapshot, type DiagnosticsBundle, type HubSnapshot, type Problem } from './diagnostics.ts';
import { resolvePassword } from './config/load-config.ts';
import type { Logger } from './logger.ts';
import type { SecretStore } from './secrets.ts';
import { decodePayload, PayloadError } from './message/decode-payload.ts';
import type { DecodedMessage, StoredMessage } from './message/message.ts';
import type { Notifier } from './notify/notifier.ts';
import { messageActions, NotificationCenter } from './notify/notification-center.ts';
import { isOpenableLink } from '../api/links.ts';
import { buildReceipt, receiptTopic, receiptWanted, type ReceiptStatus } from './receipts/receipt.ts';
import type { ConnectionStatus } from './sources/connection-status.ts';
import { MqttSource, type IncomingPublish, type MessageSink } from './sources/mqtt-source.ts';
import { createSource } from './sources/create-source.ts';
import type { ProxyResolver } from './sources/proxy.ts';
import { NtfySource } from './sources/ntfy/ntfy-source.ts';
import { ntfyToDecoded } from './sources/ntfy/ntfy-to-message.ts';
import type { NtfyMessage, NtfySink } from './sources/ntfy/ntfy-types.ts';
import {
  MessageStore,
  type ChannelCount,
  type DataLatest,
  type DataSample,
  type ExportFilter,
  type NewReceipt,
  type PageQuery,
  type RecoveredStore,
  type RetentionSettings,
  type SearchQuery,
  type SearchResult,
} from './store/message-store.ts';
import { lockDataDir } from './store/data-dir-lock.ts';
import { HeartbeatCoordinator } from './heartbeat/heartbeat-coordinator.ts';
import { ScriptedSignals, type SystemSignals } from './heartbeat/system-signals.ts';
import { WriteBatcher } from './store/write-batcher.ts';
import { ReceiptSender } from './receipts/receipt-sender.ts';
import { TypedEmitter } from './typed-emitter.ts';

/** Events the hub emits to the shells (and through them to the UI). */
export interface HubEvents {
  /** Newly stored messages, oldest first, at most one batch per `uiBatchMs`. */
  messagesAdded: [StoredMessage[]];
  messageUpdated: [StoredMessage];
  /** Messages no longer shown: deleted, or replaced by a newer version (same sequence id). */
  messagesRemoved: [number[]];
  connectionChanged: [ConnectionStatus];
  /** The person clicked a message's notification: the window should show it. */
  openMessage: [number];
  /** A checked http(s) link to open in the browser (a notification's view action). */
  openLink: [string];
  /** Pop-ups were paused (until this epoch ms) or resumed (undefined). */
  pauseChanged: [number | undefined];
  /** The person's settings changed (the window, the tray): what the Settings screen shows now. */
  settingsChanged: [{ settings: UiSettings; locks: UiLock[] }];
  /** The channel directory changed: a subscription, a rule, the broker's directory message. */
  channelsChanged: [];
  /** Connections were added, edited or removed. */
  connectionsChanged: [];
  /** A confirmed add-connection link: the window opens the connection form with this filled in. */
  connectionProposed: [{ url: string; name: string | null }];
}

/** Whether two versions of a connection take their secret from the same place. */
function sameCredentials(a: ConnectionConfig, b: ConnectionConfig): boolean {
  return a.password === b.password && a.passwordFile === b.passwordFile && a.passwordEnv === b.passwordEnv && a.passwordSecret === b.passwordSecret;
}

/** What the hub needs from its shell. */
export interface HubOptions {
  readonly config: Config;
  readonly dataDir: string;
  readonly notifier: Notifier;
  readonly logger: Logger;
  readonly now?: () => number;
  /** How long new messages gather before the UI is told, in ms (default 50). */
  readonly uiBatchMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Proxy lookup for WebSocket brokers and ntfy servers; HTTP(S)_PROXY and NO_PROXY by default. */
  readonly proxyFor?: ProxyResolver;
  /** What the machine is doing (power, network, sleep); by default always on AC and online. */
  readonly signals?: SystemSignals;
  /** The IANA time zone quiet hours follow; the system's by default. */
  readonly timeZone?: string;
  /** What the managed policy did to the configuration (locked settings, an invalid policy). */
  readonly policy?: PolicyOutcome;
  /** Carries out a notification's http action (a POST to its URL); fetch by default. */
  readonly httpAction?: (url: string) => Promise<{ status: number }>;
  /**
   * The shell's secret store, where `passwordSecret` names are looked up (once, in the constructor).
   * Without it, a connection with `passwordSecret` is a configuration error.
   */
  readonly secrets?: SecretStore;
}

/** How a receipt fared when a message was marked read (or acknowledged). */
export type ReceiptOutcome = 'sent' | 'pending' | 'not-configured' | 'already-read';

/** Retention settings from the configuration's `store` section. */
export function retentionSettings(store: Config['store']): RetentionSettings {
  const day = 24 * 3600_000;
  const general = store.retention;
  // A channel's rule takes the general value of each field it leaves out; null means no age limit.
  const rule = (r: { maxAgeDays?: number | null | undefined; maxCount?: number | undefined }) => {
    const maxAgeDays = r.maxAgeDays === undefined ? general.maxAgeDays : r.maxAgeDays;
    return { maxAgeMs: maxAgeDays === null ? undefined : maxAgeDays * day, maxCount: r.maxCount ?? general.maxCount };
  };
  return {
    defaults: rule(general),
    channels: new Map(Object.entries(general.channels).map(([name, r]) => [name, rule(r)])),
    maxBytes: store.retention.maxSizeMb === undefined ? undefined : store.retention.maxSizeMb * 1024 * 1024,
    dataSamplesPerTopic: store.data.samplesPerTopic,
    dataMaxAgeMs: store.data.maxAgeMinutes * 60_000,
    tombstoneMs: 7 * day,
  };
}

/** The number a data payload holds: a bare number, or a JSON object's numeric "value". */
function numericValue(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const direct = Number(trimmed);
  if (Number.isFinite(direct)) return direct;
  if (trimmed.startsWith('{')) {
    try {
      const value = (JSON.parse(trimmed) as { value?: unknown }).value;
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** How often the hub refreshes its diagnostics snapshot in the data directory (ms). */
const SNAPSHOT_INTERVAL_MS = 60_000;

/** How often retention runs, and how soon the next step follows when it had more to remove (ms). */
const RETENTION_INTERVAL_MS = 60_000;
const RETENTION_BUSY_MS = 1000;
/** Pause between full-text indexing steps while the index is behind (ms): ingest goes first. */
const INDEX_STEP_GAP_MS = 20;

/**
 * The client id a connection uses unless the configuration sets one: `pd-` and 20 hex digits of a
 * hash of device and connection id. Stable per installation and connection, unique across devices,
 * and 23 characters, the length every MQTT 3.1.1 broker must accept.
 */
export function defaultClientId(deviceId: string, connectionId: string): string {
  return `pd-${createHash('sha256').update(`${deviceId}\u0000${connectionId}`).digest('hex').slice(0, 20)}`;
}

/** How far back a redelivered message without an id is compared with what was stored, in ms. */
const DUPLICATE_WINDOW_MS = 10 * 60_000;

/** How long markRead waits for the broker's PUBACK before answering "pending", in ms. */
const RECEIPT_WAIT_MS = 2000;

/**
 * The core: connections, store, notifications and receipts composed; the one object a shell holds.
 */
export class Hub extends TypedEmitter<HubEvents> {
  readonly deviceId: string;
  readonly #store: MessageStore;
  readonly #batcher: WriteBatcher;
  readonly #sources = new Map<string, MqttSource | NtfySource>();
  readonly #connections = new Map<string, ConnectionConfig>();
  readonly #notifier: Notifier;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #uiBatchMs: number;
  #uiPending: StoredMessage[] = [];
  #uiTimer: NodeJS.Timeout | undefined;
  #started = false;
  #unlock: (() => void) | undefined;
  readonly #senders = new Map<string, ReceiptSender>();
  readonly #awaitingConfirmation = new Map<string, () => void>();
  readonly #heartbeat: HeartbeatCoordinator;
  readonly #startDelayMaxSec: number;
  readonly #startTimers = new Map<string, NodeJS.Timeout>();
  readonly #fullTextSearch: boolean;
  #retention: RetentionSettings;
  #indexTimer: NodeJS.Timeout | undefined;
  #retentionTimer: NodeJS.Timeout | undefined;
  #sizeCapWarned = false;
  #stopped = false;
  /** Set when the store found at start was damaged and moved aside: shown to the person. */
  readonly storeRecovered: RecoveredStore | undefined;
  readonly #center: NotificationCenter;
  readonly #problems: () => Problem[];
  readonly #dataDir: string;
  #snapshotTimer: NodeJS.Timeout | undefined;
  /** What the managed policy did: locked settings, values it overrode, or why it was not applied. */
  readonly policy: PolicyOutcome;
  readonly #httpAction: (url: string) => Promise<{ status: number }>;
  #sink!: MessageSink;
  readonly #baseConfig: Config;
  readonly #userSettings: UserSettingsFile;
  /** The configuration as it runs: the file, the policy, and the person's settings over them. */
  #config: Config;
  /** Start at login, where the shell offers it (the desktop). */
  #startAtLogin: { get(): boolean; set(enabled: boolean): void } | undefined;
  /** The change being applied (see #serially). */
  #changes: Promise<void> = Promise.resolve();
  /** The broker's channel directory per connection (the retained directory message). */
  readonly #directories = new Map<string, OfferedChannel[]>();
  #ntfySink!: NtfySink;
  /** Each source's listeners, removed with it. */
  readonly #sourceOffs = new Map<string, (() => void)[]>();
  readonly #env: NodeJS.ProcessEnv | undefined;
  readonly #secrets: SecretStore | undefined;
  readonly #proxyFor: ProxyResolver | undefined;

  constructor(options: HubOptions) {
    super();
    this.#notifier = options.notifier;
    const recorder = problemRecorder(options.logger, options.now);
    this.#logger = recorder.logger;
    this.#problems = recorder.problems;
    this.#dataDir = options.dataDir;
    this.#now = options.now ?? Date.now;
    this.#uiBatchMs = options.uiBatchMs ?? 50;
    this.#env = options.env;
    this.#secrets = options.secrets;
    this.#proxyFor = options.proxyFor;
    this.policy = options.policy ?? { source: undefined, locked: [], overridden: [], error: undefined };
    // The person's choices made in the window, over the configuration and policy (docs/configuration.md).
    this.#baseConfig = options.config;
    this.#userSettings = UserSettingsFile.open(options.dataDir, this.#logger, this.#now);
    this.#config = this.#effective();
    // Passwords first: a missing file, variable or stored secret of a configured connection that runs
    // must fail before anything is opened (one the person added only logs it: see #secretOf).
    const configured = new Map<string, string | undefined>();
    for (const connection of this.#config.connections) {
      const base = options.config.connections.find((c) => c.id === connection.id);
      if (base && sameCredentials(base, connection)) configured.set(connection.id, resolvePassword(base, options.env, options.secrets));
    }
    // The lock first: another hub on this directory must not see its database opened and migrated.
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    this.#unlock = lockDataDir(options.dataDir);
    try {
      this.#store = MessageStore.open(options.dataDir, { now: this.#now });
    } catch (error) {
      this.#unlock();
      throw error;
    }
    // Anything that fails from here on must not leave the data directory locked or the store open.
    try {
      this.storeRecovered = this.#store.recovered;
      this.#fullTextSearch = this.#config.store.fullTextSearch;
      this.#httpAction =
        options.httpAction ??
        (async (url) => {
          const response = await fetch(url, { method: 'POST', redirect: 'error', signal: AbortSignal.timeout(10_000) });
          return { status: response.status };
        });
      this.#center = new NotificationCenter({
        notifier: this.#notifier,
        settings: this.#config.notifications,
        policy: this.policy.notifications,
        logger: this.#logger,
        now: this.#now,
        timeZone: options.timeZone,
        host: {
          // Only a message that asked for a displayed receipt (cheap to tell) costs a write.
          displayed: (message) => {
            if (!this.#stopped && this.#receiptFor(message, 'displayed')) this.#recordDisplayed(message.seq);
          },
          clicked: (seq) => {
            if (this.#stopped) return;
            this.emit('openMessage', seq);
            this.markRead(seq).catch((error: unknown) => this.#logger.warn('could not mark a clicked message read', { seq, error: (error as Error).message }));
          },
          chose: (seq, actionId) => {
            if (this.#stopped) return;
            try {
              this.chooseNotificationAction(seq, actionId);
            } catch (error) {
              this.#logger.warn('notification action failed', { seq, error: (error as Error).message });
            }
          },
          message: (seq) => this.#store.get(seq),
        },
      });
      this.#retention = retentionSettings(this.#config.store);
      this.deviceId = options.config.deviceId ?? this.#storedDeviceId();
      this.#batcher = new WriteBatcher({
        store: this.#store,
        onCommitted: (added) => this.#onCommitted(added),
        onQueuedWriteFailed: (error, lost) =>
          this.#logger.error('writing QoS 0 messages failed', { lost, error: (error as Error).message }),
        receiptsFor: (message) => this.#receiptFor(message, 'delivered'),
      });
      this.#sink = { accept: (message) => this.#accept(message) };
      this.#ntfySink = {
        message: (connectionId, message) => this.#acceptNtfy(connectionId, message),
        remove: (connectionId, kind, message) => this.#removeNtfy(connectionId, kind, message),
      };
      for (const connection of this.#config.connections) {
        this.#addSource(connection, configured.has(connection.id) ? configured.get(connection.id) : this.#secretOf(connection));
      }
      this.#startDelayMaxSec = options.config.heartbeat.startDelayMaxSec;
      this.#heartbeat = new HeartbeatCoordinator({
        signals: options.signals ?? new ScriptedSignals(),
        settings: options.config.heartbeat,
        sources: this.#sources,
        critical: (id) => this.#connections.get(id)?.subscriptions.some((s) => s.critical) === true,
        store: { load: (key) => this.#store.getMeta(key), save: (key, value) => this.#store.setMeta(key, value) },
        logger: this.#logger,
      });
  
    } catch (error) {
      this.#store.close();
      this.#unlock?.();
      this.#unlock = undefined;
      throw error;
    }
  }

  /**
   * Builds a connection's source with its receipt sender and listeners, and starts it when the hub
   * runs. `secret` is the connection's resolved password or token.
   */
  #addSource(connection: ConnectionConfig, secret: string | undefined): void {
    const id = connection.id;
    this.#connections.set(id, connection);
    // The broker sends its retained directory only when the subscription is new: keep the last one.
    // A directory from another (or no) directory topic is not this connection's any more.
    this.#directories.delete(id);
    if (connection.kind === 'mqtt' && connection.directory?.topic !== undefined) {
      try {
        const kept = this.#store.getMeta(`directory:${id}:${connection.directory.topic}`);
        if (kept !== undefined) this.#directories.set(id, parseDirectoryMessage(Buffer.from(JSON.stringify({ version: 1, channels: JSON.parse(kept) as unknown }))));
      } catch (error) {
        this.#logger.warn('the kept channel directory could not be read; waiting for the broker\u2019s', { connection: id, error: (error as Error).message });
      }
    }
    const clientId = connection.kind === 'mqtt' ? (connection.clientId ?? defaultClientId(this.deviceId, id)) : '';
    const sessionKey = `mqtt_session_subscriptions:${id}:${clientId}`;
    const cursorKey = `ntfy_cursor:${id}`;
    const source = createSource(connection, {
      logger: this.#logger,
      now: this.#now,
      secret,
      proxyFor: this.#proxyFor,
      mqtt: {
        clientId,
        deviceId: this.deviceId,
        sink: this.#sink,
        session: { load: () => this.#store.getMeta(sessionKey), save: (value) => this.#store.setMeta(sessionKey, value) },
        onDirectory: (payload) => this.#directoryMessage(id, payload),
      },
      ntfy: {
        sink: this.#ntfySink,
        cursor: { load: () => this.#store.getMeta(cursorKey), save: (value) => this.#store.setMeta(cursorKey, value) },
      },
    });
    this.#sources.set(id, source);
    const sender = new ReceiptSender({
      store: this.#store,
      connectionId: id,
      logger: this.#logger,
      now: this.#now,
      transport: {
        ready: () => source.status().state === 'connected',
        send: (receipt) =>
          source instanceof NtfySource
            ? source.publish(receipt.topic, receipt.payload)
            : source.publish(receipt.topic, receipt.payload, receipt.qos, receipt.correlationData),
      },
      onConfirmed: (receiptId) => this.#awaitingConfirmation.get(receiptId)?.(),
    });
    this.#senders.set(id, sender);
    // Each new connection opens a backlog window for the offline digest.
    let lastState = source.status().state;
    this.#sourceOffs.set(id, [
      source.on('status', (status) => {
        this.emit('connectionChanged', status);
        if (status.state === 'connected' && lastState !== 'connected') this.#center.connected(id);
        lastState = status.state;
        if (status.state === 'connected') sender.kick();
      }),
    ]);
    if (this.#started && !this.#stopped) {
      this.#heartbeat.added(id);
      source.start();
    }
  }

  /** Stops and forgets a connection's source (its stored messages and queued receipts stay). */
  async #removeSource(id: string): Promise<void> {
    const source = this.#sources.get(id);
    if (!source) return;
    clearTimeout(this.#startTimers.get(id));
    this.#startTimers.delete(id);
    for (const off of this.#sourceOffs.get(id) ?? []) off();
    this.#sourceOffs.delete(id);
    this.#heartbeat.removed(id);
    this.#senders.get(id)?.stop();
    this.#senders.delete(id);
    this.#sources.delete(id);
    this.#connections.delete(id);
    await source.stop();
  }

  /** The configuration file and policy with the person's settings over them (see effectiveConfig). */
  #effective(): Config {
    return effectiveConfig(this.#baseConfig, this.#userSettings.get(), this.policy.locked, {
      policy: this.policy,
      warn: (message, fields) => this.#logger.warn(message, fields),
    });
  }

  /**
   * A connection's secret from where it names it; a connection the person added whose secret cannot be
   * found still runs (without it, so its status says what the server thinks) and the log says why.
   */
  #secretOf(connection: ConnectionConfig): string | undefined {
    try {
      return resolvePassword(connection, this.#env, this.#secrets);
    } catch (error) {
      this.#logger.error('a connection\u2019s password or token could not be found', { connection: connection.id, error: (error as Error).message });
      return undefined;
    }
  }

  /**
   * Brings everything in line with the person's settings after a change: notification rules and
   * retention at once; connections added, removed or rebuilt; subscriptions changed on the live link.
   */
  /** Takes the configuration as it is now with the person's settings: notification rules and retention at once. */
  #applySettings(): Config {
    const next = this.#effective();
    this.#config = next;
    this.#center.update(next.notifications, this.policy.notifications);
    this.#retention = retentionSettings(next.store);
    return next;
  }

  async #reconfigure(rebuild: ReadonlySet<string> = new Set()): Promise<void> {
    const next = this.#applySettings();
    // Against what runs (not the previous configuration): a change that failed half-way is put right.
    const nextIds = new Set(next.connections.map((c) => c.id));
    let connectionsChanged = false;
    await Promise.all(
      [...this.#connections.keys()].filter((id) => !nextIds.has(id)).map((id) => {
        connectionsChanged = true;
        return this.#removeSource(id);
      }),
    );
    for (const connection of next.connections) {
      const running = this.#connections.get(connection.id);
      if (!running) {
        this.#addSource(connection, this.#secretOf(connection));
        connectionsChanged = true;
        continue;
      }
      if (!rebuild.has(connection.id) && JSON.stringify(running) === JSON.stringify(connection)) continue;
      const source = this.#sources.get(connection.id);
      const onlySubscriptions = JSON.stringify({ ...running, subscriptions: [] }) === JSON.stringify({ ...connection, subscriptions: [] });
      if (!rebuild.has(connection.id) && onlySubscriptions && source instanceof MqttSource && connection.kind === 'mqtt') {
        // The live link subscribes and unsubscribes at once; nothing reconnects.
        this.#connections.set(connection.id, connection);
        await source.setSubscriptions(connection.subscriptions);
        continue;
      }
      // Anything else (an ntfy topic list, the address, credentials): the connection is rebuilt. The
      // MQTT session and the ntfy cursor are kept in the store, so nothing is missed meanwhile.
      await this.#removeSource(connection.id);
      this.#addSource(connection, this.#secretOf(connection));
      connectionsChanged = true;
    }
    if (connectionsChanged) this.emit('connectionsChanged');
    this.emit('channelsChanged');
  }

  /**
   * Runs a change of settings, subscriptions or connections after those before it: two changes never
   * interleave (a double-clicked Save must not build two sources for one connection).
   */
  #serially<T>(change: () => Promise<T> | T): Promise<T> {
    const run = this.#changes.then(async () => {
      if (this.#stopped) throw new Error('the hub is stopping');
      return change();
    });
    this.#changes = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The Settings screen's values and locks. */
  settings(): { settings: UiSettings; locks: UiLock[] } {
    return settingsView(this.#config, this.#userSettings.get(), this.policy, { startAtLogin: this.#startAtLogin ? this.#startAtLogin.get() : null });
  }

  /** The shell's start-at-login switch (the desktop's login item), shown and changed with the settings. */
  setStartAtLogin(port: { get(): boolean; set(enabled: boolean): void }): void {
    this.#startAtLogin = port;
  }

  /**
   * Changes the person's settings, kept in the data directory and applied at once.
   *
   * @throws LockedError when the change touches a setting the policy locks (nothing changes).
   */
  updateSettings(patch: UiSettingsPatch): Promise<{ settings: UiSettings; locks: UiLock[] }> {
    return this.#serially(() => this.#updateSettings(patch));
  }

  #updateSettings(patch: UiSettingsPatch): { settings: UiSettings; locks: UiLock[] } {
    const { locks } = this.settings();
    this.#userSettings.update((user) => applySettingsPatch(user, patch, locks));
    if (patch.startAtLogin !== undefined) this.#startAtLogin?.set(patch.startAtLogin);
    // Only notifications and retention are part of the configuration; language, theme, start at login
    // and read receipts are read where they are used. No connection changes with a setting.
    if (patch.notifications !== undefined || patch.retention !== undefined) this.#applySettings();
    const view = this.settings();
    this.emit('settingsChanged', view);
    this.emit('pauseChanged', this.notificationsPausedUntilMs);
    return view;
  }

  /** What each connection offers: its configured subscriptions, its directory, the policy's, the broker's. */
  #offers(): Map<string, Offer[]> {
    const offers = new Map<string, Offer[]>();
    const add = (connectionId: string, offer: Offer): void => {
      const list = offers.get(connectionId) ?? [];
      list.push(offer);
      offers.set(connectionId, list);
    };
    const connectionIds = new Set(this.#config.connections.map((c) => c.id));
    // The configuration's own subscriptions stay listed (as offers) when the person unsubscribes; what
    // the person subscribed to beyond any offer is theirs ('user').
    for (const connection of this.#baseConfig.connections) {
      for (const sub of connection.subscriptions) {
        add(connection.id, { topic: sub.topic, channel: sub.channel, kind: 'kind' in sub ? sub.kind : 'notification', source: 'config' });
      }
    }
    for (const connection of this.#config.connections) {
      for (const offer of connection.directory?.channels ?? []) add(connection.id, { ...offer, source: 'config' });
    }
    for (const offer of this.policy.offered ?? []) {
      if (connectionIds.has(offer.connectionId)) {
        add(offer.connectionId, {
          topic: offer.topic,
          channel: offer.channel,
          kind: offer.kind,
          ...(typeof offer.description === 'string' ? { description: offer.description } : {}),
          source: 'policy',
        });
      }
    }
    for (const [connectionId, list] of this.#directories) for (const offer of list) add(connectionId, { ...offer, source: 'directory' });
    return offers;
  }

  /** The channel directory for the Channels screen. */
  channels(): UiChannelEntry[] {
    const user = this.#userSettings.get();
    const addedByPerson = new Set<string>();
    for (const [connectionId, change] of Object.entries(user.subscriptions ?? {})) {
      for (const a of change.added) addedByPerson.add(subscriptionKey(connectionId, a.topic));
    }
    const lockedRules = (channel: string): string | null => channelRuleLockedReason(this.policy, channel);
    return buildChannelList({
      connections: this.#config.connections,
      offers: this.#offers(),
      mandatory: new Set((this.policy.mandatory ?? []).map((m) => subscriptionKey(m.connectionId, m.topic))),
      addedByPerson,
      counts: this.#store.channelCounts(),
      rule: (channel) => channelRuleView(this.#config, channel),
      ruleLockedReason: lockedRules,
    });
  }

  /**
   * Subscribes to (or unsubscribes from) a channel of the directory on its live connection, and keeps
   * the choice.
   *
   * @throws LockedError for a mandatory channel; Error when the connection has no such channel, or it
   *   is the connection's last subscription.
   */
  setSubscribed(connectionId: string, topic: string, subscribed: boolean): Promise<UiChannelEntry> {
    return this.#serially(() => this.#setSubscribed(connectionId, topic, subscribed));
  }

  async #setSubscribed(connectionId: string, topic: string, subscribed: boolean): Promise<UiChannelEntry> {
    const entry = this.channels().find((c) => c.connectionId === connectionId && c.topic === topic);
    if (!entry) throw new Error(`the connection "${connectionId}" offers no channel on the topic "${topic}"`);
    if (entry.subscribed !== subscribed) {
      const connection = this.#connections.get(connectionId);
      if (!subscribed && connection && connection.subscriptions.length === 1 && !entry.mandatory) {
        throw new Error(`"${entry.channel}" is the only channel of the connection "${connectionId}": remove the connection instead`);
      }
      this.#userSettings.update((user) => withSubscription(user, connectionId, { topic, channel: entry.channel, kind: entry.kind }, subscribed, this.policy));
      await this.#reconfigure();
      this.#logger.info(subscribed ? 'subscribed to a channel' : 'unsubscribed from a channel', { connection: connectionId, topic, channel: entry.channel });
    }
    const now = this.channels().find((c) => c.connectionId === connectionId && c.topic === topic);
    if (!now) throw new Error(`the channel on "${topic}" is gone`);
    return now;
  }

  /**
   * Changes a channel's notification rule (mute for a while or until unmuted, minimum priority, sound).
   *
   * @throws LockedError when the policy sets the channel's rules.
   */
  setChannelRule(channel: string, change: ChannelRuleChange): UiChannelRule {
    this.#userSettings.update((user) => withChannelRule(user, channel, change, this.#now(), this.policy));
    this.#applySettings();
    this.emit('channelsChanged');
    return channelRuleView(this.#config, channel);
  }

  /** The connections as the Connections screen edits them. */
  connectionViews(): UiConnectionView[] {
    const personal = new Set((this.#userSettings.get().connections?.added ?? []).map((c) => String(c.id)));
    const provisioned = new Set(this.policy.provisionedConnections ?? []);
    // The names kept, read once (not each secret: the desktop's store would decrypt every one).
    let kept: Set<string>;
    try {
      kept = new Set(this.#secrets?.list() ?? []);
    } catch {
      kept = new Set();
    }
    const hasSecret = (c: ConnectionConfig): boolean =>
      c.passwordSecret !== undefined ? kept.has(c.passwordSecret) : c.password !== undefined || c.passwordFile !== undefined || c.passwordEnv !== undefined;
    return this.#config.connections.map((c) =>
      connectionView(c, provisioned.has(c.id) ? 'policy' : personal.has(c.id) ? 'user' : 'config', connectionLockedReason(this.policy, c.id), hasSecret(c)),
    );
  }

  /**
   * Adds a connection from the form, or replaces `replaceId`, and connects it at once. A secret entered
   * goes to the shell's secret store; the settings file only names it.
   *
   * @throws FieldErrors naming each invalid field; LockedError when the policy provides the connection
   *   or locks connections.
   */
  saveConnection(input: ConnectionInput, replaceId?: string): Promise<UiConnectionView> {
    return this.#serially(() => this.#saveConnection(input, replaceId));
  }

  async #saveConnection(input: ConnectionInput, replaceId?: string): Promise<UiConnectionView> {
    const existing = replaceId === undefined ? undefined : this.#connections.get(replaceId);
    if (replaceId !== undefined && !existing) throw new Error(`there is no connection "${replaceId}" to change`);
    if (input.id !== replaceId && this.#connections.has(input.id)) {
      throw new FieldErrors([{ path: 'connection.id', message: `a connection named "${input.id}" exists already` }]);
    }
    const { json, secret } = connectionFromInput(input, existing);
    if (secret.kind === 'set' && !this.#secrets) {
      throw new FieldErrors([{ path: 'connection.secret', message: 'this hub has no secret store to keep a password in' }]);
    }
    // Refused by the policy before anything is written (changes run one at a time: it stays valid).
    const nextSettings = addOrReplaceConnection(this.#userSettings.get(), json, replaceId, this.policy);
    const name = connectionSecretName(input.id);
    const renamedSecret = secret.kind === 'keep' && existing && replaceId !== input.id && existing.passwordSecret === connectionSecretName(existing.id);
    const newValue = secret.kind === 'set' ? secret.value : renamedSecret && existing.passwordSecret ? this.#secrets?.get(existing.passwordSecret) : undefined;
    // The secret goes first (the settings must never name a secret that is not there); if the settings
    // cannot be written, the earlier value comes back.
    const previous = newValue === undefined ? undefined : { value: this.#secrets?.get(name) };
    if (newValue !== undefined) this.#secrets?.set(name, newValue);
    try {
      this.#userSettings.update(() => nextSettings);
    } catch (error) {
      if (previous) {
        if (previous.value === undefined) this.#forgetSecret(name);
        else this.#secrets?.set(name, previous.value);
      }
      throw error;
    }
    if (secret.kind === 'clear') this.#forgetSecret(name);
    if (replaceId !== undefined && replaceId !== input.id) this.#forgetSecret(connectionSecretName(replaceId));
    // A new secret under the same name changes nothing in the configuration: rebuild the connection.
    await this.#reconfigure(newValue !== undefined || secret.kind === 'clear' ? new Set([input.id]) : undefined);
    this.#logger.info(replaceId === undefined ? 'connection added' : 'connection changed', { connection: input.id });
    const view = this.connectionViews().find((c) => c.id === input.id);
    if (!view) throw new Error(`the connection "${input.id}" could not be used; see the log`);
    return view;
  }

  #forgetSecret(name: string): void {
    try {
      this.#secrets?.delete(name);
    } catch (error) {
      this.#logger.warn('could not remove a saved password', { secret: name, error: (error as Error).message });
    }
  }

  /**
   * Removes a connection (its history stays).
   *
   * @throws LockedError when the policy provides it, requires a channel of it, or locks connections.
   */
  removeConnection(id: string): Promise<void> {
    return this.#serially(() => this.#removeConnection(id));
  }

  async #removeConnection(id: string): Promise<void> {
    if (!this.#connections.has(id)) throw new Error(`there is no connection "${id}"`);
    if (this.#config.connections.length === 1) throw new Error('the last connection cannot be removed: add another one first');
    this.#userSettings.update((user) => withoutConnection(user, id, this.policy));
    this.#forgetSecret(connectionSecretName(id));
    await this.#reconfigure();
    this.#logger.info('connection removed', { connection: id });
  }

  /**
   * Passes a connection proposed by a link (after the person confirmed it) to the window, which opens
   * the connection form with it: nothing is added until the person saves the form.
   */
  proposeConnection(url: string, name: string | undefined): void {
    this.emit('connectionProposed', { url, name: name ?? null });
  }

  /** Tries a connection as entered in the form, without keeping anything. */
  async testConnection(input: ConnectionInput | UiConnectionInput): Promise<ConnectionTestResult> {
    const existing = this.#connections.get(input.id);
    const { config } = connectionFromInput({ verifyTls: true, ...input } as ConnectionInput, existing);
    // A kept secret is used only for the server and user it belongs to, and never one the
    // organisation set up: a test must not send it to an address typed into the form.
    const sameServer = (a: ConnectionConfig, b: ConnectionConfig): boolean => {
      try {
        return a.kind === b.kind && new URL(a.url).origin === new URL(b.url).origin && a.username === b.username;
      } catch {
        return false;
      }
    };
    const keptUsable = existing !== undefined && !input.clearSecret && connectionLockedReason(this.policy, existing.id) === null && sameServer(existing, config);
    const secret = input.secret !== undefined && input.secret !== '' ? input.secret : keptUsable ? this.#secretOf(existing) : undefined;
    return testConnection({ ...config, passwordSecret: undefined, password: undefined, passwordFile: undefined, passwordEnv: undefined } as ConnectionConfig, secret, {
      proxyFor: this.#proxyFor,
    });
  }

  /** The broker's retained channel directory arrived (or changed) on a connection. */
  #directoryMessage(connectionId: string, payload: Buffer): void {
    let channels: OfferedChannel[];
    try {
      channels = parseDirectoryMessage(payload);
    } catch (error) {
      this.#logger.warn('rejected a channel directory message', { connection: connectionId, reason: (error as Error).message });
      return;
    }
    this.#directories.set(connectionId, channels);
    const topic = this.#connections.get(connectionId)?.directory?.topic;
    if (topic !== undefined) this.#store.setMeta(`directory:${connectionId}:${topic}`, JSON.stringify(channels));
    this.#logger.info('channel directory received', { connection: connectionId, channels: channels.length });
    this.emit('channelsChanged');
  }

  /** The diagnostics bundle of this running hub (its snapshot written first, so it is current). */
  diagnostics(appVersion: string): DiagnosticsBundle {
    this.#writeSnapshot();
    return buildDiagnostics({ dataDir: this.#dataDir, config: this.#config, policy: this.policy, appVersion, now: this.#now });
  }

  /** Path of the SQLite file, for diagnostics and tests. */
  get databasePath(): string {
    return this.#store.path;
  }

  /**
   * Connects every source, each after a random delay of up to `heartbeat.startDelayMaxSec` (so a fleet
   * does not connect in one instant), and starts following the machine's signals.
   */
  start(): void {
    this.#started = true;
    if (this.storeRecovered) {
      this.#logger.error('the message store was damaged; it was moved aside and a new one was started', {
        movedTo: this.storeRecovered.movedTo,
        reason: this.storeRecovered.reason,
      });
      try {
        this.#notifier.show({
          title: 'Pushdesk: message history was damaged',
          body: `A new history was started. The damaged file was kept as ${this.storeRecovered.movedTo}.`,
          urgency: 'normal',
          seq: 0,
          channel: 'Pushdesk',
        });
      } catch (error) {
        this.#logger.error('notifier failed', { error: (error as Error).message });
      }
    }
    if (this.policy.error) {
      this.#logger.error('the managed policy was not applied; starting with the configuration alone', { error: this.policy.error });
      try {
        this.#notifier.show({ seq: 0, title: 'Pushdesk: the managed policy is invalid', body: this.policy.error.slice(0, 500), urgency: 'normal', channel: 'Pushdesk' });
      } catch (error) {
        this.#logger.error('notifier failed', { error: (error as Error).message });
      }
    }
    for (const o of this.policy.overridden) {
      this.#logger.warn('a setting is locked by the managed policy; the configuration\'s value is ignored', {
        setting: o.path,
        configured: JSON.stringify(o.configured),
        policy: o.policy === undefined ? 'the default' : JSON.stringify(o.policy),
      });
    }
    this.#scheduleIndex(0);
    this.#scheduleRetention(5000);
    // The latest state for `npm run hub -- diagnostics`, which reads it beside the running hub.
    this.#writeSnapshot();
    this.#snapshotTimer = setInterval(() => this.#writeSnapshot(), SNAPSHOT_INTERVAL_MS);
    this.#snapshotTimer.unref?.();
    // Alerts that were waiting for acknowledgement when the hub last stopped come back, and repeat.
    const waiting = this.#store.unacknowledged().reverse();
    if (waiting.length > 0) {
      this.#logger.info('alerts still waiting for acknowledgement', { count: waiting.length });
      this.#center.messages(waiting);
    }
    this.#heartbeat.start();
    for (const [id, source] of this.#sources) {
      const delayMs = Math.random() * this.#startDelayMaxSec * 1000;
      if (delayMs === 0) source.start();
      else {
        // Only a source still in use starts: the person may have removed or rebuilt it meanwhile.
        this.#startTimers.set(
          id,
          setTimeout(() => {
            this.#startTimers.delete(id);
            if (!this.#stopped && this.#sources.get(id) === source) source.start();
          }, delayMs),
        );
      }
    }
  }

  /** A page of history, newest first. */
  listMessages(query: PageQuery): StoredMessage[] {
    return this.#store.page(query);
  }

  /** History filtered by words, channel, priority, time and unread state (see MessageStore.search). */
  search(query: SearchQuery): SearchResult {
    // Without the index (turned off in the configuration) words are found by scanning: slower, same results.
    if (!this.#fullTextSearch) return this.#store.search(query);
    // A small backlog is indexed first, so words match the same way in new and older messages; only
    // a large one (a burst, an upgrade) leaves its newest part to the scan.
    if (query.text !== undefined) this.#store.indexPending();
    return this.#store.search(query);
  }

  /** Unread and total messages per channel. */
  channelCounts(): ChannelCount[] {
    return this.#store.channelCounts();
  }

  /** Every data topic's newest value. */
  dataLatest(): DataLatest[] {
    return this.#store.dataLatest();
  }

  /** The kept samples of one data topic, newest first. */
  dataSamples(connectionId: string, topic: string, limit?: number): DataSample[] {
    return this.#store.dataSamples(connectionId, topic, limit);
  }

  /** Stored messages oldest first, for export. */
  exportMessages(filter: ExportFilter & { readonly text?: string | undefined }): Iterable<StoredMessage> {
    const { text, ...rest } = filter;
    if (text === undefined || text.trim() === '') return this.#store.iterate(rest);
    // With words: the search finds them (full-text index, or the scan), page by page; the export then
    // reads those messages oldest first, like every export.
    const seqs: number[] = [];
    let beforeSeq: number | undefined;
    for (;;) {
      const page = this.search({ ...rest, text, beforeSeq, limit: 500 });
      for (const m of page.messages) seqs.push(m.seq);
      if (page.nextBeforeSeq === undefined || page.messages.length === 0) break;
      beforeSeq = page.nextBeforeSeq;
    }
    return this.#store.iterateSeqs(seqs);
  }

  /**
   * Marks every unread message of a channel read, each read receipt queued with it.
   *
   * @returns how many messages changed and how many receipts were queued.
   */
  markChannelRead(channel: string): { marked: number; receipts: number } {
    const { messages, receipts } = this.#store.markChannelRead(channel, this.#now(), (m) => this.#receiptFor(m, 'read'));
    for (const message of messages) this.emit('messageUpdated', message);
    const touched = new Set(receipts.map((r) => r.connectionId));
    for (const id of touched) this.#senders.get(id)?.kick();
    return { marked: messages.length, receipts: receipts.length };
  }

  /**
   * The person acknowledged a message: it is marked acknowledged and read, and the acknowledged receipt
   * is queued with the change.
   *
   * @throws Error when no message has this seq.
   */
  async acknowledge(seq: number): Promise<{ message: StoredMessage; receipt: ReceiptOutcome }> {
    const result = this.#store.markAcknowledgedWithReceipt(
      seq,
      this.#now(),
      (m) => this.#receiptFor(m, 'acknowledged'),
      (m) => this.#receiptFor(m, 'read'),
    );
    if (!result) throw new Error(`no message with seq ${seq}`);
    const { message, changed, receipt } = result;
    if (!changed) return { message, receipt: 'already-read' };
    this.emit('messageUpdated', message);
    this.#center.acknowledged(message);
    // A read receipt may have been queued with the change even when no acknowledged one was.
    this.#senders.get(message.connectionId)?.kick();
    if (!receipt) return { message, receipt: 'not-configured' };
    return { message, receipt: await this.#awaitSent(message.connectionId, receipt.receiptId) };
  }

  /** Pauses pop-ups for `durationMs` (an hour by default); urgent ones pass as quiet hours allow. Returns the end. */
  pauseNotifications(durationMs?: number): number {
    const until = this.#center.pause(durationMs);
    this.emit('pauseChanged', until);
    return until;
  }

  /** Ends a pause early. */
  resumeNotifications(): void {
    this.#center.resume();
    this.emit('pauseChanged', undefined);
  }

  /** Whether quiet hours are on (their schedule comes from the configuration). */
  get quietHoursEnabled(): boolean {
    return this.#config.notifications.quietHours.enabled;
  }

  /** Whether a managed policy locks the quiet-hours switch. */
  get quietHoursLocked(): boolean {
    // The Settings screen's lock, so the tray and the window agree on what is locked.
    return this.settings().locks.some((lock) => lock.path === 'notifications.quietHours');
  }

  /**
   * Turns quiet hours on or off (the tray's switch) and keeps the choice; the schedule stays as it is.
   *
   * @throws LockedError when a managed policy locks them.
   */
  async setQuietHours(enabled: boolean): Promise<void> {
    const current = this.settings().settings.notifications.quietHours;
    await this.updateSettings({ notifications: { quietHours: { ...current, enabled } } });
  }

  /** Channels muted now by the notification rules (muted, or muted until a time still ahead). */
  mutedChannels(): Set<string> {
    const now = this.#now();
    return new Set(
      Object.entries(this.#config.notifications.channels)
        .filter(([, rule]) => rule.muted || (rule.mutedUntilMs !== undefined && rule.mutedUntilMs > now))
        .map(([name]) => name),
    );
  }

  /** Until when pop-ups are paused (epoch ms), or undefined. */
  get notificationsPausedUntilMs(): number | undefined {
    return this.#center.pausedUntilMs;
  }

  /**
   * A button of a message's notification (or of its message view): Acknowledge, a view action (the
   * link is checked, then the shell opens it) or an http action (a POST to its URL). Its action:<id>
   * receipt is queued when the sender asked for one.
   */
  chooseNotificationAction(seq: number, actionId: string): void {
    const message = this.#store.get(seq);
    if (!message) throw new Error(`no message with seq ${seq}`);
    if (actionId === 'acknowledge') {
      this.acknowledge(seq).catch((error: unknown) => this.#logger.warn('could not acknowledge', { seq, error: (error as Error).message }));
      return;
    }
    const [kind, index] = actionId.split(':');
    const action = messageActions(message)[Number(index)];
    if (!action || action.action !== kind) {
      this.#logger.warn('unknown notification action', { seq, action: actionId.slice(0, 64) });
      return;
    }
    if (!isOpenableLink(action.url)) {
      this.#logger.warn('refused a notification action link that is not http or https', { seq, action: actionId });
      return;
    }
    this.chooseAction(seq, actionId);
    if (action.action === 'view') {
      this.emit('openLink', action.url);
      return;
    }
    this.#httpAction(action.url).then(
      ({ status }) => this.#logger.info('notification http action done', { seq, status }),
      (error: unknown) => this.#logger.warn('notification http action failed', { seq, error: (error as Error).message }),
    );
  }

  /**
   * The person chose a notification action: its action:<id> receipt is queued.
   *
   * @throws Error when no message has this seq.
   */
  chooseAction(seq: number, actionId: string): ReceiptOutcome {
    const message = this.#store.get(seq);
    if (!message) throw new Error(`no message with seq ${seq}`);
    const receipt = this.#receiptFor(message, `action:${actionId.slice(0, 64)}`);
    if (!receipt) return 'not-configured';
    this.#store.queueReceipt(receipt, this.#now());
    this.#senders.get(message.connectionId)?.kick();
    return 'pending';
  }
  /** Every connection's current status. */
  connectionStatuses(): ConnectionStatus[] {
    return [...this.#sources.values()].map((s) => s.status());
  }

  /**
   * Marks a message read and queues its read receipt in the outbox, in one transaction.
   *
   * Resolves with "sent" once the broker or server confirmed the receipt, or with "pending" after two
   * seconds: the receipt then stays in the outbox, across restarts, and is retried until confirmed.
   *
   * @throws Error when no message has this seq.
   */
  async markRead(seq: number): Promise<{ message: StoredMessage; receipt: ReceiptOutcome }> {
    const result = this.#store.markReadWithReceipt(seq, this.#now(), (message) => this.#receiptFor(message, 'read'));
    if (!result) throw new Error(`no message with seq ${seq}`);
    const { message, changed, receipt } = result;
    if (!changed) return { message, receipt: 'already-read' };
    this.emit('messageUpdated', message);
    if (!receipt) return { message, receipt: 'not-configured' };
    return { message, receipt: await this.#awaitSent(message.connectionId, receipt.receiptId) };
  }

  /**
   * Marks a message unread again. Nothing is sent: a read receipt already sent stays sent.
   *
   * @throws Error when no message has this seq.
   */
  markUnread(seq: number): StoredMessage {
    const result = this.#store.markUnread(seq);
    if (!result) throw new Error(`no message with seq ${seq}`);
    if (result.changed) this.emit('messageUpdated', result.message);
    return result.message;
  }

  /** Kicks the connection's outbox and waits briefly for the receipt's confirmation to say "sent". */
  async #awaitSent(connectionId: string, receiptId: string): Promise<'sent' | 'pending'> {
    // Offline: the receipt waits in the outbox; no point waiting for a confirmation now.
    if (this.#sources.get(connectionId)?.status().state !== 'connected') return 'pending';
    let timer: NodeJS.Timeout | undefined;
    const confirmed = new Promise<'sent'>((resolve) => this.#awaitingConfirmation.set(receiptId, () => resolve('sent')));
    const timeout = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), RECEIPT_WAIT_MS)));
    this.#senders.get(connectionId)?.kick();
    const outcome = await Promise.race([confirmed, timeout]);
    clearTimeout(timer);
    this.#awaitingConfirmation.delete(receiptId);
    return outcome;
  }

  /**
   * The receipt of `status` for a message, ready for the outbox, or undefined when none is to be sent:
   * the connection has no receipt target, or the status is not both asked for by the sender and allowed
   * by the connection and the channel (see receiptWanted).
   *
   * MQTT: to the sender's MQTT 5 response topic (with its correlation data) when it gave one, otherwise
   * to the connection's receipt topic template. ntfy: to the receipt topic on the same server.
   */
  #receiptFor(message: StoredMessage, status: ReceiptStatus): NewReceipt | undefined {
    // Cheapest test first: most messages ask for no delivered or displayed receipt, and this runs on
    // every insert and every notification.
    if ((status === 'delivered' || status === 'displayed') && !message.receipts?.includes(status)) return undefined;
    // The person (or the organisation) may turn read receipts off.
    if (status === 'read' && !readReceiptsAllowed(this.#userSettings.get(), this.policy)) return undefined;
    const connection = this.#connections.get(message.connectionId);
    if (!connection) return undefined;
    const target = connection.receipts;
    if (!target && !(connection.kind === 'mqtt' && message.responseTopic)) return undefined;
    const subscription = (connection.subscriptions as readonly { channel: string; receipts?: readonly string[] | undefined }[]).find(
      (s) => s.channel === message.channel,
    );
    const allowed = {
      connection: target?.statuses ?? ['delivered', 'displayed', 'read', 'acknowledged', 'action'],
      channel: subscription?.receipts as Parameters<typeof receiptWanted>[2]['channel'],
    } as const;
    if (!receiptWanted(status, message, allowed)) return undefined;
    const atMs =
      status === 'read' ? message.readAtMs : status === 'acknowledged' ? message.acknowledgedAtMs : status === 'displayed' ? message.displayedAtMs : undefined;
    const receipt = buildReceipt(message, status, this.deviceId, atMs ?? this.#now());
    const base = { receiptId: receipt.receiptId, connectionId: connection.id, payload: JSON.stringify(receipt) };
    if (connection.kind === 'ntfy') {
      if (!connection.receipts) return undefined;
      // ntfy topics allow only letters, digits, - and _: anything else a placeholder brings in becomes _.
      const topic = receiptTopic(connection.receipts.topic, { device: this.deviceId, channel: message.channel, connection: connection.id })
        .replace(/[^-_A-Za-z0-9]/g, '_')
        .slice(0, 64);
      return { ...base, topic, qos: 1, correlationData: undefined };
    }
    if (message.responseTopic) {
      return { ...base, topic: message.responseTopic, qos: connection.receipts?.qos ?? 1, correlationData: message.correlationData };
    }
    if (!connection.receipts) return undefined;
    const topic = receiptTopic(connection.receipts.topic, {
      device: this.deviceId,
      channel: message.channel,
      connection: message.connectionId,
      topic: message.topic,
    });
    return { ...base, topic, qos: connection.receipts.qos, correlationData: undefined };
  }

  /** Flushes pending writes, disconnects and closes the store. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#snapshotTimer);
    if (this.#started) this.#writeSnapshot();
    this.#center.stop();
    clearTimeout(this.#indexTimer);
    clearTimeout(this.#retentionTimer);
    for (const timer of this.#startTimers.values()) clearTimeout(timer);
    this.#startTimers.clear();
    // A change being applied finishes first, so no source it builds outlives the hub.
    await this.#changes.catch(() => undefined);
    this.#heartbeat.stop();
    for (const sender of this.#senders.values()) sender.stop();
    if (this.#started) await Promise.all([...this.#sources.values()].map((s) => s.stop()));
    this.#batcher.flush();
    this.#flushUi();
    this.#store.close();
    this.#unlock?.();
    this.#unlock = undefined;
  }

  /** Runs a full-text indexing step after `delayMs`, and keeps stepping while the index is behind. */
  #scheduleIndex(delayMs: number): void {
    if (!this.#fullTextSearch || this.#stopped || this.#indexTimer !== undefined) return;
    this.#indexTimer = setTimeout(() => {
      this.#indexTimer = undefined;
      let indexed: number;
      try {
        indexed = this.#store.indexPending();
      } catch (error) {
        this.#logger.error('full-text indexing failed; search covers the rest by scanning', { error: (error as Error).message });
        return;
      }
      if (indexed > 0) this.#scheduleIndex(INDEX_STEP_GAP_MS);
    }, delayMs);
    this.#indexTimer.unref?.();
  }

  /** Runs one retention step after `delayMs`; the next follows soon when there was more to remove. */
  #scheduleRetention(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#retentionTimer);
    this.#retentionTimer = setTimeout(() => {
      let more = false;
      try {
        const result = this.#store.retentionStep(this.#retention, this.#now());
        more = result.more;
        if (result.deletedMessages > 0 || result.deletedSamples > 0) {
          this.#logger.info('retention removed old messages', { messages: result.deletedMessages, samples: result.deletedSamples });
        }
        if (result.sizeCapUnreachable === true && !this.#sizeCapWarned) {
          this.#logger.warn('the store is over its size cap without its messages (data samples, receipts waiting): no message was removed for it', {
            maxSizeMb: this.#retention.maxBytes === undefined ? undefined : Math.round(this.#retention.maxBytes / 1048576),
          });
        }
        this.#sizeCapWarned = result.sizeCapUnreachable === true;
      } catch (error) {
        this.#logger.error('retention step failed', { error: (error as Error).message });
      }
      this.#scheduleRetention(more ? RETENTION_BUSY_MS : RETENTION_INTERVAL_MS);
    }, delayMs);
    this.#retentionTimer.unref?.();
  }

  /** What the diagnostics bundle shows of this hub: connections with heartbeat figures, recent problems. */
  snapshot(): HubSnapshot {
    return {
      writtenAt: new Date(this.#now()).toISOString(),
      deviceId: this.deviceId,
      connections: this.connectionStatuses(),
      recentProblems: this.#problems(),
      policy: this.policy,
    };
  }

  #writeSnapshot(): void {
    try {
      writeSnapshot(this.#dataDir, this.snapshot());
    } catch (error) {
      // Not through #logger: a failing disk would otherwise fill the problem list with itself.
      this.#logger.info('could not write the diagnostics snapshot', { error: (error as Error).message });
    }
  }

  /** Runs retention now until nothing is left to remove (tests, and the diagnostics command). */
  runRetention(): { deletedMessages: number; deletedSamples: number } {
    let deletedMessages = 0;
    let deletedSamples = 0;
    for (;;) {
      const result = this.#store.retentionStep(this.#retention, this.#now());
      deletedMessages += result.deletedMessages;
      deletedSamples += result.deletedSamples;
      if (!result.more) return { deletedMessages, deletedSamples };
    }
  }

  /** Indexes every message not yet in the full-text index now (tests and benchmarks). */
  indexAll(): void {
    while (this.#store.indexPending() > 0);
  }

  #acceptNtfy(connectionId: string, message: NtfyMessage): boolean {
    const connection = this.#connections.get(connectionId);
    const channel =
      (connection?.kind === 'ntfy' ? connection.subscriptions.find((s) => s.topic === message.topic)?.channel : undefined) ??
      message.topic;
    this.#batcher.commit({
      message: ntfyToDecoded(message, channel),
      origin: { connectionId, channel, topic: message.topic, retained: false, receivedAtMs: this.#now() },
    });
    return true;
  }

  #removeNtfy(connectionId: string, kind: 'delete' | 'clear', message: NtfyMessage): void {
    const key = message.sequenceId ?? message.id;
    this.#center.withdrawSequence(connectionId, key, kind);
    if (kind === 'delete') {
      const seqs = this.#store.deleteVersions(connectionId, key, this.#now());
      if (seqs.length > 0) {
        const gone = new Set(seqs);
        this.#uiPending = this.#uiPending.filter((m) => !gone.has(m.seq));
        this.emit('messagesRemoved', seqs);
      }
    } else {
      for (const changed of this.#store.markVersionsRead(connectionId, key, this.#now())) this.emit('messageUpdated', changed);
    }
  }

  #storedDeviceId(): string {
    const existing = this.#store.getMeta('device_id');
    if (existing) return existing;
    const id = randomUUID();
    this.#store.setMeta('device_id', id);
    return id;
  }

  #accept(incoming: IncomingPublish): boolean {
    const connection = this.#connections.get(incoming.connectionId);
    // An empty payload clears a retained message: nothing to show, and not malformed.
    if (incoming.payload.length === 0) return true;
    if (incoming.data) return this.#acceptData(incoming, connection?.maxPayloadBytes);
    let decoded: DecodedMessage;
    try {
      decoded = decodePayload(incoming.payload, incoming.channel, connection?.maxPayloadBytes);
    } catch (error) {
      if (!(error instanceof PayloadError)) throw error;
      this.#logger.warn('rejected a malformed message', {
        connection: incoming.connectionId,
        topic: incoming.topic,
        reason: error.message,
      });
      return false;
    }
    // A retained message is sent again on every new subscription: without an id of its own it gets one
    // from its topic and content, so the copy is recognised and neither stored nor shown twice.
    if (decoded.id === undefined && incoming.retain) {
      // It may have arrived live before (with a random id): the same content as the newest message on
      // its topic is that message again.
      const latest = this.#store.latestOnTopic(incoming.connectionId, incoming.topic);
      if (latest && latest.title === decoded.title && latest.body === decoded.body) return true;
      // Otherwise its id comes from its content and what it follows, so a state that returns to an
      // earlier value (open, closed, open) is still a new message.
      const digest = createHash('sha256')
        .update(`${incoming.topic}\u0000${latest?.seq ?? 0}\u0000`)
        .update(incoming.payload)
        .digest('hex');
      decoded = { ...decoded, id: `retained-${digest.slice(0, 32)}` };
    } else if (decoded.id === undefined && incoming.duplicate) {
      // A redelivery (DUP) of a message without an id: if the same content arrived on this topic in the
      // last minutes, the broker is sending it again because our acknowledgement was lost with the link.
      const since = this.#now() - DUPLICATE_WINDOW_MS;
      const copy = this.#store
        .recentOnTopic(incoming.connectionId, incoming.topic, 50)
        .find((m) => m.receivedAtMs >= since && m.title === decoded.title && m.body === decoded.body);
      if (copy) return true;
    }
    const item = {
      message: decoded,
      origin: {
        connectionId: incoming.connectionId,
        channel: incoming.channel,
        topic: incoming.topic,
        retained: incoming.retain,
        receivedAtMs: this.#now(),
        responseTopic: incoming.responseTopic,
        correlationData: incoming.correlationData,
      },
    };
    if (incoming.qos === 0) this.#batcher.enqueue(item);
    else this.#batcher.commit(item);
    return true;
  }

  /** A data feed's sample: the topic's latest value and its window, no notification, no receipt. */
  #acceptData(incoming: IncomingPublish, maxPayloadBytes = 256 * 1024): boolean {
    if (incoming.payload.length > maxPayloadBytes) {
      this.#logger.warn('rejected a data sample', {
        connection: incoming.connectionId,
        topic: incoming.topic,
        reason: `payload of ${incoming.payload.length} bytes is over the limit of ${maxPayloadBytes} bytes`,
      });
      return false;
    }
    const payload = incoming.payload.toString('utf8');
    const item = {
      kind: 'data' as const,
      connectionId: incoming.connectionId,
      channel: incoming.channel,
      topic: incoming.topic,
      payload,
      value: numericValue(payload),
      receivedAtMs: this.#now(),
    };
    if (incoming.qos === 0) this.#batcher.enqueue(item);
    else this.#batcher.commit(item);
    return true;
  }

  #onCommitted(added: StoredMessage[]): void {
    if (added.length === 0) return;
    this.#scheduleIndex(100);
    // Delivered receipts were queued in the insert's transaction: send them now. Only messages that
    // asked for one cost anything here.
    for (const message of added) {
      if (message.receipts?.includes('delivered')) this.#senders.get(message.connectionId)?.kick();
    }
    // What pops up is the notification rules' decision; every message is in history whatever it is.
    this.#center.messages(added);
    for (const message of added) this.#uiPending.push(message);
    // No array per message: most replace nothing.
    let replaced: number[] | undefined;
    for (const m of added) if (m.replacesSeqs !== undefined && m.replacesSeqs.length > 0) (replaced ??= []).push(...m.replacesSeqs);
    if (replaced !== undefined) {
      const gone = new Set(replaced);
      this.#uiPending = this.#uiPending.filter((m) => !gone.has(m.seq));
      this.emit('messagesRemoved', replaced);
    }
    this.#uiTimer ??= setTimeout(() => this.#flushUi(), this.#uiBatchMs);
  }

  /** Records that a message's notification was shown, with its displayed receipt in the same transaction. */
  #recordDisplayed(seq: number): void {
    if (this.#stopped) return;
    try {
      const result = this.#store.markDisplayedWithReceipt(seq, this.#now(), (m) => this.#receiptFor(m, 'displayed'));
      if (result?.receipt) this.#senders.get(result.message.connectionId)?.kick();
    } catch (error) {
      this.#logger.error('could not record a displayed notification', { seq, error: (error as Error).message });
    }
  }

  #flushUi(): void {
    clearTimeout(this.#uiTimer);
    this.#uiTimer = undefined;
    if (this.#uiPending.length === 0) return;
    const batch = this.#uiPending;
    this.#uiPending = [];
    this.emit('messagesAdded', batch);
  }
}
