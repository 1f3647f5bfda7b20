import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Config, ConnectionConfig } from './config/config-schema.ts';
import { resolvePassword } from './config/load-config.ts';
import type { Logger } from './logger.ts';
import { decodePayload, PayloadError } from './message/decode-payload.ts';
import type { DecodedMessage, StoredMessage } from './message/message.ts';
import { notificationFor, type Notifier } from './notify/notifier.ts';
import { buildReceipt, receiptTopic } from './receipts/receipt.ts';
import type { ConnectionStatus } from './sources/connection-status.ts';
import { MqttSource, type IncomingPublish, type MessageSink } from './sources/mqtt-source.ts';
import type { ProxyResolver } from './sources/proxy.ts';
import { Backoff } from './sources/backoff.ts';
import { NtfySource } from './sources/ntfy/ntfy-source.ts';
import { ntfyToDecoded } from './sources/ntfy/ntfy-to-message.ts';
import type { NtfyMessage, NtfySink } from './sources/ntfy/ntfy-types.ts';
import { MessageStore, type OutboxReceipt, type PageQuery } from './store/message-store.ts';
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
}

/** How a read receipt fared when a message was marked read. */
export type ReceiptOutcome = 'sent' | 'pending' | 'not-configured' | 'already-read';

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
  readonly #startTimers: NodeJS.Timeout[] = [];

  constructor(options: HubOptions) {
    super();
    this.#notifier = options.notifier;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#uiBatchMs = options.uiBatchMs ?? 50;
    // Passwords first: a missing file or variable must fail before anything is opened.
    const passwords = new Map(options.config.connections.map((c) => [c.id, resolvePassword(c, options.env)]));
    // The lock first: another hub on this directory must not see its database opened and migrated.
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    this.#unlock = lockDataDir(options.dataDir);
    try {
      this.#store = MessageStore.open(options.dataDir);
    } catch (error) {
      this.#unlock();
      throw error;
    }
    try {
      this.deviceId = options.config.deviceId ?? this.#storedDeviceId();
    } catch (error) {
      this.#unlock();
      this.#store.close();
      throw error;
    }
    this.#batcher = new WriteBatcher({
      store: this.#store,
      onCommitted: (added) => this.#onCommitted(added),
      onQueuedWriteFailed: (error, lost) =>
        this.#logger.error('writing QoS 0 messages failed', { lost, error: (error as Error).message }),
    });
    const sink: MessageSink = { accept: (message) => this.#accept(message) };
    const ntfySink: NtfySink = {
      message: (connectionId, message) => this.#acceptNtfy(connectionId, message),
      remove: (connectionId, kind, message) => this.#removeNtfy(connectionId, kind, message),
    };
    for (const connection of options.config.connections) {
      this.#connections.set(connection.id, connection);
      if (connection.kind === 'ntfy') {
        const secret = passwords.get(connection.id);
        const cursorKey = `ntfy_cursor:${connection.id}`;
        const source = new NtfySource({
          config: {
            id: connection.id,
            url: connection.url,
            topics: connection.subscriptions.map((s) => s.topic),
            transport: connection.transport,
            auth:
              secret === undefined
                ? undefined
                : connection.username !== undefined
                  ? { kind: 'basic', username: connection.username, password: secret }
                  : { kind: 'bearer', token: secret },
            maxPayloadBytes: connection.maxPayloadBytes,
            waitForNetwork: connection.waitForNetwork,
          },
          sink: ntfySink,
          cursor: { load: () => this.#store.getMeta(cursorKey), save: (id) => this.#store.setMeta(cursorKey, id) },
          logger: this.#logger,
          now: this.#now,
          backoff: new Backoff({ ...connection.reconnect, resetAfterMs: 60_000 }),
          keepaliveTimeoutMs: connection.keepaliveTimeoutSec * 1000,
          ...(options.proxyFor ? { proxyFor: options.proxyFor } : {}),
        });
        source.on('status', (status) => this.emit('connectionChanged', status));
        this.#sources.set(connection.id, source);
        continue;
      }
      const clientId = connection.clientId ?? defaultClientId(this.deviceId, connection.id);
      const sessionKey = `mqtt_session_subscriptions:${connection.id}:${clientId}`;
      const source = new MqttSource({
        config: connection,
        clientId,
        password: passwords.get(connection.id),
        sink,
        logger: this.#logger,
        now: this.#now,
        deviceId: this.deviceId,
        ...(options.proxyFor ? { proxyFor: options.proxyFor } : {}),
        session: { load: () => this.#store.getMeta(sessionKey), save: (value) => this.#store.setMeta(sessionKey, value) },
      });
      source.on('status', (status) => this.emit('connectionChanged', status));
      this.#sources.set(connection.id, source);
    }
    for (const [id, source] of this.#sources) {
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
      source.on('status', (status) => {
        if (status.state === 'connected') sender.kick();
      });
      this.#senders.set(id, sender);
    }
    const critical = new Set(
      options.config.connections.filter((c) => c.subscriptions.some((s) => s.critical)).map((c) => c.id),
    );
    this.#startDelayMaxSec = options.config.heartbeat.startDelayMaxSec;
    this.#heartbeat = new HeartbeatCoordinator({
      signals: options.signals ?? new ScriptedSignals(),
      settings: options.config.heartbeat,
      sources: this.#sources,
      critical: (id) => critical.has(id),
      store: { load: (key) => this.#store.getMeta(key), save: (key, value) => this.#store.setMeta(key, value) },
      logger: this.#logger,
    });
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
    this.#heartbeat.start();
    for (const source of this.#sources.values()) {
      const delayMs = Math.random() * this.#startDelayMaxSec * 1000;
      if (delayMs === 0) source.start();
      else this.#startTimers.push(setTimeout(() => source.start(), delayMs));
    }
  }

  /** A page of history, newest first. */
  listMessages(query: PageQuery): StoredMessage[] {
    return this.#store.page(query);
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
    const result = this.#store.markReadWithReceipt(seq, this.#now(), (message) => this.#receiptFor(message));
    if (!result) throw new Error(`no message with seq ${seq}`);
    const { message, changed, receipt } = result;
    if (!changed) return { message, receipt: 'already-read' };
    this.emit('messageUpdated', message);
    if (!receipt) return { message, receipt: 'not-configured' };
    // Offline: the receipt waits in the outbox; no point waiting for a confirmation now.
    if (this.#sources.get(message.connectionId)?.status().state !== 'connected') return { message, receipt: 'pending' };
    // The receipt is in the outbox with the read mark: wait briefly for its confirmation to say "sent".
    let timer: NodeJS.Timeout | undefined;
    const confirmed = new Promise<'sent'>((resolve) => this.#awaitingConfirmation.set(receipt.receiptId, () => resolve('sent')));
    const timeout = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), RECEIPT_WAIT_MS)));
    this.#senders.get(message.connectionId)?.kick();
    const outcome = await Promise.race([confirmed, timeout]);
    clearTimeout(timer);
    this.#awaitingConfirmation.delete(receipt.receiptId);
    return { message, receipt: outcome };
  }

  /**
   * The read receipt for a message, ready for the outbox, or undefined when its connection sends none.
   *
   * MQTT: to the sender's MQTT 5 response topic (with its correlation data) when it gave one, otherwise
   * to the connection's receipt topic template. ntfy: to the receipt topic on the same server.
   */
  #receiptFor(message: StoredMessage): Omit<OutboxReceipt, 'attempts'> | undefined {
    const connection = this.#connections.get(message.connectionId);
    if (!connection) return undefined;
    const receipt = buildReceipt(message, 'read', this.deviceId, message.readAtMs ?? this.#now());
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
    for (const timer of this.#startTimers.splice(0)) clearTimeout(timer);
    this.#heartbeat.stop();
    for (const sender of this.#senders.values()) sender.stop();
    if (this.#started) await Promise.all([...this.#sources.values()].map((s) => s.stop()));
    this.#batcher.flush();
    this.#flushUi();
    this.#store.close();
    this.#unlock?.();
    this.#unlock = undefined;
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

  #onCommitted(added: StoredMessage[]): void {
    if (added.length === 0) return;
    for (const message of added) {
      try {
        this.#notifier.show(notificationFor(message));
      } catch (error) {
        this.#logger.error('notifier failed', { seq: message.seq, error: (error as Error).message });
      }
    }
    for (const message of added) this.#uiPending.push(message);
    const replaced = added.flatMap((m) => m.replacesSeqs ?? []);
    if (replaced.length > 0) {
      const gone = new Set(replaced);
      this.#uiPending = this.#uiPending.filter((m) => !gone.has(m.seq));
      this.emit('messagesRemoved', replaced);
    }
    this.#uiTimer ??= setTimeout(() => this.#flushUi(), this.#uiBatchMs);
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
