import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { MqttConnectionConfig, SubscriptionConfig } from '../config/config-schema.ts';
import type { Logger } from '../logger.ts';
import { Backoff } from './backoff.ts';
import type { Timers } from './connection-lifecycle.ts';
import { proxyAgentFor, type ProxyResolver } from './proxy.ts';
import { SourceBase } from './source-base.ts';
import { topicMatches } from './topic-filter.ts';

/** A PUBLISH received from the broker, with the channel its subscription maps to. */
export interface IncomingPublish {
  readonly connectionId: string;
  readonly topic: string;
  readonly channel: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** MQTT 5 response topic and correlation data, when the sender set them. */
  readonly responseTopic: string | undefined;
  readonly correlationData: Buffer | undefined;
}

/**
 * Takes each incoming message.
 *
 * For QoS 1 and 2 `accept` must have committed the message when it returns: the source acknowledges to
 * the broker right after. It throws when the message could not be stored (the source then drops the
 * link without acknowledging, so the broker delivers again). It returns false for a payload it rejected.
 */
export interface MessageSink {
  accept(message: IncomingPublish): boolean;
}

/**
 * Remembers which subscriptions the broker holds in this client's persistent session, so a restart
 * with a changed configuration subscribes to what was added and unsubscribes what was removed.
 */
export interface SessionState {
  load(): string | undefined;
  save(value: string): void;
}

/** Turns mqtt.js and socket errors into words a user can act on. */
export function describeMqttError(error: Error & { code?: string | number }): string {
  if (/certificate required/i.test(error.message)) {
    return 'the broker requires a client certificate: set tls.certFile and tls.keyFile for this connection';
  }
  if (/alert (bad certificate|unknown ca|certificate unknown|certificate revoked|certificate expired)/i.test(error.message)) {
    return 'the broker did not accept the client certificate: check that its CA trusts tls.certFile';
  }
  switch (error.code) {
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
      return `the broker's certificate is not trusted (${String(error.code).toLowerCase().replaceAll('_', ' ')}): add the CA that signed it as tls.caFile in this connection's settings`;
    case 'CERT_HAS_EXPIRED':
      return "the broker's certificate has expired: renew it on the broker";
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return "the broker's certificate is for another host name: connect with the name the certificate names, or set tls.serverName";
    case 'ECONNRESET':
    case 'EPROTO':
      if (/certificate required|handshake failure|bad certificate|alert/i.test(error.message)) {
        return 'the broker refused the TLS handshake: it probably requires a client certificate (set tls.certFile and tls.keyFile) or does not accept this one';
      }
      return error.code === 'ECONNRESET' ? 'the broker reset the connection' : `TLS error: ${error.message}`;
    case 'ECONNREFUSED':
      return 'the broker refused the connection: is it running, and is the port right?';
    case 'ENOTFOUND':
      return 'the broker host name could not be resolved';
    case 'ETIMEDOUT':
      return 'the broker did not answer in time';
    case 4:
    case 134:
      return 'the broker refused the user name or password';
    case 5:
    case 135:
      return 'the broker says this client is not authorised';
    case 2:
    case 133:
      return 'the broker rejected the client id';
    case 1:
    case 132:
      return 'the broker does not support this MQTT protocol version: set protocolVersion to 4 (MQTT 3.1.1) for this connection';
    default:
      return error.message || String(error);
  }
}

/**
 * One MQTT broker connection (mqtt.js): subscribes, hands each message to the sink and acknowledges
 * QoS 1/2 only after the sink has committed it.
 */
export class MqttSource extends SourceBase {
  readonly #config: MqttConnectionConfig;
  readonly #clientId: string;
  readonly #password: string | undefined;
  readonly #sink: MessageSink;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #session: SessionState | undefined;
  readonly #deviceId: string;
  readonly #proxyFor: ProxyResolver | undefined;
  #client: MqttClient | undefined;

  constructor(options: {
    config: MqttConnectionConfig;
    clientId: string;
    password: string | undefined;
    sink: MessageSink;
    logger: Logger;
    now?: () => number;
    session?: SessionState;
    timers?: Timers;
    backoff?: Backoff;
    /** Names this desktop in presence messages. */
    deviceId?: string;
    /** Proxy lookup for ws:// and wss:// brokers; environment variables by default. */
    proxyFor?: ProxyResolver;
  }) {
    super({
      id: options.config.id,
      url: options.config.url,
      now: options.now,
      timers: options.timers,
      backoff:
        options.backoff ??
        new Backoff({ baseMs: options.config.reconnect.baseMs, capMs: options.config.reconnect.capMs, resetAfterMs: 60_000 }),
    });
    this.#config = options.config;
    this.#clientId = options.clientId;
    this.#password = options.password;
    this.#sink = options.sink;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#session = options.session;
    this.#deviceId = options.deviceId ?? options.clientId;
    this.#proxyFor = options.proxyFor;
  }

  protected override dropLink(): void {
    this.#client?.stream.destroy();
  }

  protected override warning(): string | undefined {
    return this.#config.tls?.rejectUnauthorized === false && /^(mqtts|wss):/i.test(this.#config.url)
      ? 'TLS certificate verification is off for this connection: anyone on the network path can impersonate the broker'
      : undefined;
  }

  /**
   * Opens the link: the first time by creating the mqtt.js client, afterwards by reconnecting it with
   * its own message stores, so QoS 1 receipts queued while the link was down are not forgotten
   * (a bare `reconnect()` would replace them with empty stores).
   */
  protected override openLink(): void {
    const existing = this.#client;
    if (existing) {
      // The will is sent by the broker later: give it the time of this connection, not the first one.
      if (existing.options.will) existing.options.will.payload = Buffer.from(this.#presencePayload('offline'));
      existing.reconnect({ incomingStore: existing.incomingStore, outgoingStore: existing.outgoingStore });
      return;
    }
    let tls: Partial<IClientOptions>;
    try {
      tls = this.#tlsOptions();
    } catch (error) {
      this.lastError = (error as Error).message;
      this.lifecycle.lost(this.lastError);
      return;
    }
    const presence = this.#presenceTopic();
    // ws:// and wss:// brokers are reached through HTTP(S)_PROXY unless NO_PROXY names them.
    const agent = /^wss?:/i.test(this.#config.url) ? proxyAgentFor(this.#config.url, this.#proxyFor) : undefined;
    const options: IClientOptions = {
      // mqtt.js does not pass TLS options such as servername on to ws: give them to it here.
      ...(agent || this.#config.tls?.serverName
        ? { wsOptions: { ...(agent ? { agent } : {}), ...(this.#config.tls?.serverName ? { servername: this.#config.tls.serverName } : {}) } }
        : {}),
      clientId: this.#clientId,
      clean: false,
      protocolVersion: this.#config.protocolVersion,
      ...(this.#config.protocolVersion === 5 ? { properties: { sessionExpiryInterval: this.#config.sessionExpirySec } } : {}),
      ...tls,
      ...(presence
        ? { will: { topic: presence, payload: Buffer.from(this.#presencePayload('offline')), qos: this.#config.presence?.qos ?? 1, retain: true } }
        : {}),
      keepalive: this.#config.keepaliveSec,
      // Reconnects are driven by ConnectionLifecycle (full-jitter backoff, offline and sleep aware).
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      resubscribe: false, // see #subscribe
      ...(this.#config.username === undefined ? {} : { username: this.#config.username }),
      ...(this.#password === undefined ? {} : { password: this.#password }),
    };
    const client = mqtt.connect(this.#config.url, options);
    this.#client = client;
    client.handleMessage = (packet, done) => this.#handle(client, packet, done);
    client.on('connect', (connack) => {
      this.lastError = undefined;
      this.lifecycle.connected();
      this.#subscribe(client, connack.sessionPresent);
      if (presence) {
        client.publish(presence, this.#presencePayload('online'), { qos: this.#config.presence?.qos ?? 1, retain: true });
      }
    });
    client.on('close', () => this.lifecycle.lost(this.lastError ?? 'the connection closed'));
    client.on('error', (error) => {
      this.lastError = describeMqttError(error as Error & { code?: string | number });
      this.#logger.warn('mqtt connection error', { connection: this.#config.id, error: this.lastError });
      this.emit('status', this.status());
    });
  }

  /**
   * Publishes with the given QoS; resolves when the broker has acknowledged it (QoS 1/2).
   *
   * While the link is down mqtt.js holds the message and sends it after reconnecting.
   */
  async publish(topic: string, payload: string, qos: 0 | 1 | 2, correlationData?: Uint8Array): Promise<void> {
    if (!this.#client) throw new Error(`connection "${this.#config.id}" is not connected yet`);
    const options: IClientPublishOptions = { qos };
    if (correlationData && this.#config.protocolVersion === 5) {
      options.properties = { correlationData: Buffer.from(correlationData), contentType: 'application/json' };
    }
    await this.#client.publishAsync(topic, payload, options);
  }

  /** Reads the TLS files named in the configuration; a missing file is an error naming it. */
  #tlsOptions(): Partial<IClientOptions> {
    const tls = this.#config.tls;
    if (!tls) return {};
    const read = (field: string, path: string | undefined): Buffer | undefined => {
      if (path === undefined) return undefined;
      try {
        return readFileSync(path);
      } catch (error) {
        throw new Error(`tls.${field}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
      }
    };
    const ca = read('caFile', tls.caFile);
    const cert = read('certFile', tls.certFile);
    const key = read('keyFile', tls.keyFile);
    const passphrase = tls.keyPassphraseEnv === undefined ? undefined : process.env[tls.keyPassphraseEnv];
    if (tls.keyPassphraseEnv !== undefined && passphrase === undefined) {
      throw new Error(`tls.keyPassphraseEnv: the environment variable ${tls.keyPassphraseEnv} is not set`);
    }
    return {
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      ...(passphrase === undefined ? {} : { passphrase }),
      ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
    };
  }

  #presenceTopic(): string | undefined {
    const topic = this.#config.presence?.topic;
    if (topic === undefined) return undefined;
    const safe = (value: string): string => value.replace(/[/+#]/g, '_');
    return topic.replace(/\{(device|connection)\}/g, (_m, name: string) => safe(name === 'device' ? this.#deviceId : this.#config.id));
  }

  #presencePayload(status: 'online' | 'offline'): string {
    return JSON.stringify({ type: 'presence', status, deviceId: this.#deviceId, connection: this.#config.id, time: new Date(this.#now()).toISOString() });
  }

  /** Disconnects and stops reconnecting. */
  async stop(): Promise<void> {
    this.lifecycle.stop();
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    const presence = this.#presenceTopic();
    if (presence && client.connected) {
      // A clean disconnect does not fire the will: say "offline" ourselves, briefly.
      await Promise.race([
        client.publishAsync(presence, this.#presencePayload('offline'), { qos: this.#config.presence?.qos ?? 1, retain: true }).catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 1000)),
      ]);
    }
    await client.endAsync();
  }

  /**
   * Brings the broker's subscriptions in line with the configuration.
   *
   * Without a session everything is subscribed. With one, only filters added or whose QoS changed
   * since the last connection are subscribed (subscribing again would make the broker resend every
   * retained message), and filters no longer configured are unsubscribed.
   */
  #subscribe(client: MqttClient, sessionPresent: boolean): void {
    const wanted: Record<string, 0 | 1 | 2> = {};
    for (const sub of this.#config.subscriptions) wanted[sub.topic] = sub.qos;
    let held: Record<string, number>;
    try {
      held = sessionPresent ? (JSON.parse(this.#session?.load() ?? 'null') as Record<string, number> | null) ?? {} : {};
    } catch {
      held = {};
    }
    const toSubscribe: Record<string, { qos: 0 | 1 | 2 }> = {};
    for (const [topic, qos] of Object.entries(wanted)) if (held[topic] !== qos) toSubscribe[topic] = { qos };
    const toUnsubscribe = Object.keys(held).filter((topic) => !(topic in wanted));
    if (toUnsubscribe.length > 0) client.unsubscribe(toUnsubscribe);
    if (Object.keys(toSubscribe).length === 0) {
      this.#session?.save(JSON.stringify(wanted));
      return;
    }
    client.subscribe(toSubscribe, (error, granted) => {
      if (error) {
        this.lastError = `subscribing failed: ${error.message}`;
        this.#logger.error('subscribe failed', { connection: this.#config.id, error: error.message });
        this.emit('status', this.status());
        return;
      }
      const refused = (granted ?? []).filter((g) => g.qos === 128);
      for (const g of refused) {
        this.lastError = `the broker refused the subscription to "${g.topic}"`;
        this.#logger.warn('subscription refused', { connection: this.#config.id, topic: g.topic });
        this.emit('status', this.status());
      }
      const heldNow: Record<string, number> = { ...wanted };
      for (const g of refused) delete heldNow[g.topic];
      this.#session?.save(JSON.stringify(heldNow));
    });
  }

  #channelFor(topic: string): SubscriptionConfig | undefined {
    return this.#config.subscriptions.find((sub) => topicMatches(sub.topic, topic));
  }

  #handle(client: MqttClient, packet: IPublishPacket, done: (error?: Error) => void): void {
    const subscription = this.#channelFor(packet.topic);
    if (!subscription) {
      this.#logger.warn('message on a topic no subscription matches', { connection: this.#config.id, topic: packet.topic });
      done();
      return;
    }
    this.counters.received++;
    this.counters.bytes += packet.payload.length;
    let accepted: boolean;
    try {
      accepted = this.#sink.accept({
        connectionId: this.#config.id,
        topic: packet.topic,
        channel: subscription.channel,
        payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
        qos: packet.qos,
        retain: packet.retain,
        responseTopic: packet.properties?.responseTopic,
        correlationData: packet.properties?.correlationData,
      });
    } catch (error) {
      // Not acknowledged: dropping the link makes the broker deliver it again on reconnect.
      this.lastError = `could not store a message: ${(error as Error).message}`;
      this.#logger.error('store failed; dropping the link so the broker redelivers', {
        connection: this.#config.id,
        topic: packet.topic,
        error: (error as Error).message,
      });
      client.stream.destroy();
      return;
    }
    if (!accepted) this.counters.rejected++;
    done();
  }

}
