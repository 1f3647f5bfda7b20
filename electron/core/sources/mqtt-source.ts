import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { MqttConnectionConfig, SubscriptionConfig } from '../config/config-schema.ts';
import type { Logger } from '../logger.ts';
import { Backoff } from './backoff.ts';
import type { Timers } from './connection-lifecycle.ts';
import { proxyAgentFor, type ProxyResolver } from './proxy.ts';
import { SourceBase } from './source-base.ts';
import type { HeartbeatDecision } from '../heartbeat/heartbeat-policy.ts';
import { topicMatches } from './topic-filter.ts';

/** A PUBLISH received from the broker, with the channel its subscription maps to. */
export interface IncomingPublish {
  readonly connectionId: string;
  readonly topic: string;
  readonly channel: string;
  /** The subscription is a data feed (values, not history). */
  readonly data?: boolean;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** The broker's DUP flag: this may be a redelivery of a message sent before. */
  readonly duplicate: boolean;
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

/**
 * An MQTT 5 response topic we may publish a receipt to: a topic name, not a filter (no + or #), not a
 * broker-internal $ topic, no NUL. A publisher must not be able to make the hub publish where the
 * broker would disconnect it for doing so.
 */
export function usableResponseTopic(topic: string | undefined): string | undefined {
  if (topic === undefined || topic === '' || topic.startsWith('$') || /[+#]/.test(topic) || topic.includes('\u0000') || topic.length > 1024) return undefined;
  return topic;
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
/** The MQTT 5 subscription identifier of the directory topic: the largest allowed, clear of the filters' own. */
const DIRECTORY_SUBSCRIPTION_ID = 268_435_455;

export class MqttSource extends SourceBase {
  #config: MqttConnectionConfig;
  readonly #directoryTopic: string | undefined;
  readonly #onDirectory: ((payload: Buffer) => void) | undefined;
  /** The subscription change in flight on the current link (changes run one after another). */
  #subscribing: Promise<void> = Promise.resolve();
  readonly #cleanStart: boolean;
  readonly #matchCache = new Map<string, number>();
  readonly #clientId: string;
  readonly #password: string | undefined;
  readonly #sink: MessageSink;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #session: SessionState | undefined;
  readonly #deviceId: string;
  readonly #proxyFor: ProxyResolver | undefined;
  #client: MqttClient | undefined;
  /** 'close' events of links dropped on purpose before a reconnect; they are not losses. */
  #closesToIgnore = 0;
  /** The next reconnect only renegotiates the keep-alive: close with a DISCONNECT. */
  #quietReconnect = false;
  /** The keep-alive the current link announced at CONNECT, in seconds. */
  #announcedSec = 0;
  #pingSentAt: number | undefined;
  #lastTrafficAt = 0;
  #probeTimer: NodeJS.Timeout | undefined;
  /** Whether the PINGREQ awaiting its answer was a probe (after a wake-up or network change). */
  #probing = false;
  /** A keep-alive the broker imposed in its CONNACK (MQTT 5), in seconds. */
  #serverKeepaliveSec: number | undefined;

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
    /**
     * A topic carrying the broker's retained channel directory (docs/channels.md): subscribed with
     * QoS 1 beside the configured filters, its payloads go to `onDirectory`, never to the sink.
     */
    directoryTopic?: string | undefined;
    onDirectory?: (payload: Buffer) => void;
    /**
     * Start without a persistent session (clean start / clean session) and leave none behind: for a
     * connection test, which must not create a session on the broker that queues messages forever.
     */
    cleanStart?: boolean;
  }) {
    super({
      id: options.config.id,
      url: options.config.url,
      waitForNetwork: options.config.waitForNetwork,
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
    this.#directoryTopic = options.directoryTopic;
    this.#onDirectory = options.onDirectory;
    this.#cleanStart = options.cleanStart === true;
  }

  /** The subscriptions this connection wants now. */
  get subscriptions(): readonly SubscriptionConfig[] {
    return this.#config.subscriptions;
  }

  /**
   * Changes the subscriptions on the live connection: added filters are subscribed and removed ones
   * unsubscribed at once when connected (otherwise at the next connect), and the persistent session's
   * record follows. Messages already on their way for a removed filter are dropped on arrival.
   */
  async setSubscriptions(subscriptions: readonly SubscriptionConfig[]): Promise<void> {
    this.#config = { ...this.#config, subscriptions: [...subscriptions] };
    this.#matchCache.clear();
    const client = this.#client;
    // Resolves once the broker acknowledged (or refused) the change, so a caller can rely on it.
    if (!client?.connected || this.lifecycle.state !== 'connected') return;
    // After any SUBSCRIBE or UNSUBSCRIBE still in flight: its record must be saved before this one reads it.
    const next = this.#subscribing.then(() => this.#subscribe(client, true));
    this.#subscribing = next.catch(() => undefined);
    await next;
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
      const reopen = (): void => {
        if (this.#client !== existing || this.lifecycle.state !== 'connecting') return;
        existing.options.keepalive = this.#keepaliveToAnnounce();
        // The will is sent by the broker later: give it the time of this connection, not the first one.
        if (existing.options.will) existing.options.will.payload = Buffer.from(this.#presencePayload('offline'));
        existing.reconnect({ incomingStore: existing.incomingStore, outgoingStore: existing.outgoingStore });
      };
      if (existing.connected || !existing.stream.destroyed || existing.reconnecting) {
        // A link dropped in this same turn has not closed yet: reconnecting now would make mqtt.js close
        // the very stores it is handed. Wait for its close, which must not count as a new loss.
        this.#closesToIgnore++;
        existing.once('close', reopen);
        if (this.#quietReconnect && existing.connected) {
          // A DISCONNECT first (0xE0 0x00: normal disconnection, in MQTT 3.1.1 and 5), so the broker
          // keeps the session but does not publish the will: nobody should see this desktop go offline.
          const old = existing.stream;
          old.write(Buffer.from([0xe0, 0x00]));
          old.end();
          // Only this socket: by then `existing.stream` may already be the new connection's.
          setTimeout(() => old.destroy(), 1000).unref();
        } else {
          existing.stream.destroy();
        }
        this.#quietReconnect = false;
      } else {
        reopen();
      }
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
    let agent;
    try {
      agent = /^wss?:/i.test(this.#config.url) ? proxyAgentFor(this.#config.url, this.#proxyFor) : undefined;
    } catch (error) {
      this.lastError = `the proxy setting is not usable (check HTTP_PROXY / HTTPS_PROXY): ${(error as Error).message}`;
      this.lifecycle.lost(this.lastError);
      return;
    }
    const options: IClientOptions = {
      // mqtt.js does not pass TLS options such as servername on to ws: give them to it here.
      ...(agent || this.#config.tls?.serverName
        ? { wsOptions: { ...(agent ? { agent } : {}), ...(this.#config.tls?.serverName ? { servername: this.#config.tls.serverName } : {}) } }
        : {}),
      clientId: this.#clientId,
      clean: this.#cleanStart,
      protocolVersion: this.#config.protocolVersion,
      ...(this.#config.protocolVersion === 5 ? { properties: { sessionExpiryInterval: this.#config.sessionExpirySec } } : {}),
      ...tls,
      ...(presence
        ? { will: { topic: presence, payload: Buffer.from(this.#presencePayload('offline')), qos: this.#config.presence?.qos ?? 1, retain: true } }
        : {}),
      keepalive: this.#keepaliveToAnnounce(),
      // Reconnects are driven by ConnectionLifecycle (full-jitter backoff, offline and sleep aware).
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      resubscribe: false, // see #subscribe
      // QoS 2: mqtt.js sends PUBREC on arrival and calls handleMessage only at PUBREL, keeping the message
      // in memory between the two. Committing here, before PUBREC, means a crash in between repeats the
      // delivery instead of losing it. QoS 0 and 1 are committed in handleMessage. (mqtt.js calls
      // customHandleAcks with MQTT 5 only; MQTT 3.1.1 commits QoS 2 at PUBREL, see handleMessage.)
      customHandleAcks: (_topic, _message, packet, done) => {
        if (packet.qos !== 2) {
          done(0);
          return;
        }
        if (this.#deliver(packet)) done(0);
      },
      ...(this.#config.username === undefined ? {} : { username: this.#config.username }),
      ...(this.#password === undefined ? {} : { password: this.#password }),
    };
    const client = mqtt.connect(this.#config.url, options);
    this.#client = client;
    client.handleMessage = (packet, done) => {
      // With MQTT 5 a QoS 2 message was committed in customHandleAcks already; mqtt.js calls that only
      // for MQTT 5, so with 3.1.1 it is committed here, at PUBREL.
      if ((packet.qos === 2 && this.#config.protocolVersion === 5) || this.#deliver(packet)) done();
    };
    client.on('packetsend', (packet) => {
      if (packet.cmd === 'pingreq') {
        this.#pingSentAt = this.now();
        this.heartbeatSent();
        // mqtt.js gives up only 1.5 x keep-alive after its last send; the policy's timeout is shorter.
        if (this.#probeTimer === undefined && this.decision?.active) this.#awaitPong(client, this.decision.timeoutSec);
      } else {
        this.#lastTrafficAt = this.now();
      }
    });
    client.on('packetreceive', (packet) => {
      const at = this.now();
      // Anything that arrives proves the link alive: a PINGRESP queued behind a backlog is not a death.
      if (this.#probeTimer !== undefined && packet.cmd !== 'pingresp') {
        clearTimeout(this.#probeTimer);
        this.#probeTimer = undefined;
      }
      if (packet.cmd === 'pingresp' && this.#pingSentAt !== undefined) {
        clearTimeout(this.#probeTimer);
        this.#probeTimer = undefined;
        this.heartbeatAnswered((this.#pingSentAt - this.#lastTrafficAt) / 1000, at - this.#pingSentAt, this.#probing);
        this.#probing = false;
        this.#pingSentAt = undefined;
      }
      this.#lastTrafficAt = at;
    });
    client.on('connect', (connack) => {
      // Nothing thrown here may escape into mqtt.js's packet handling (it would end the process).
      try {
        this.lastError = undefined;
        // 0 would mean "no keep-alive at all"; treat it as no limit imposed rather than an interval of 0.
        this.#serverKeepaliveSec = connack.properties?.serverKeepAlive || undefined;
        this.#announcedSec = this.#serverKeepaliveSec ?? client.options.keepalive ?? 0;
        this.#lastTrafficAt = this.now();
        this.#pingSentAt = undefined;
        this.#probing = false;
        this.lifecycle.connected();
        // A decision that came while connecting takes effect now.
        if (this.decision?.active) this.heartbeatChanged(this.decision);
        // A new link starts a new chain: what was in flight on the old one ended with it.
        this.#subscribing = this.#subscribe(client, connack.sessionPresent).catch(() => undefined);
        if (presence) {
          client.publish(presence, this.#presencePayload('online'), { qos: this.#config.presence?.qos ?? 1, retain: true });
        }
      } catch (error) {
        this.#logger.error('handling the connection failed', { connection: this.#config.id, error: (error as Error).message });
      }
    });
    client.on('close', () => {
      clearTimeout(this.#probeTimer);
      this.#probeTimer = undefined;
      if (this.#closesToIgnore > 0) {
        this.#closesToIgnore--;
        return;
      }
      this.lifecycle.lost(this.lastError ?? 'the connection closed');
    });
    client.on('disconnect', (packet) => {
      // MQTT 5: the broker says why it closes the link (0x8E: another client took over this session).
      const code = packet.reasonCode ?? 0;
      this.lastError =
        code === 0x8e
          ? 'another client connected with the same client id and took over this session: is Pushdesk running twice with the same data?'
          : `the broker closed the connection (reason code ${code}${packet.properties?.reasonString ? `: ${packet.properties.reasonString}` : ''})`;
      this.#logger.warn('broker disconnected us', { connection: this.#config.id, error: this.lastError });
    });
    client.on('error', (error) => {
      if (error.message === 'Keepalive timeout') {
        this.lastError = `no answer to heartbeats for ${Math.round(this.#announcedSec * 1.5)} s: the link was dead`;
        this.heartbeatMissed(this.#idleBeforePing());
        this.#logger.warn('dead link detected', { connection: this.#config.id, error: this.lastError });
        this.emit('status', this.status());
        return;
      }
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

  /** The keep-alive to announce at CONNECT: the heartbeat interval in force, or the configured one. */
  #keepaliveToAnnounce(): number {
    return this.decision?.active ? this.#interval(this.decision) : this.#config.keepaliveSec;
  }

  protected override serverKeepaliveSec(): number | undefined {
    return this.#serverKeepaliveSec;
  }

  /** The decision's interval, never longer than a keep-alive the broker imposed. */
  #interval(decision: HeartbeatDecision): number {
    return this.#serverKeepaliveSec === undefined ? decision.intervalSec : Math.min(decision.intervalSec, this.#serverKeepaliveSec);
  }

  /**
   * A shorter interval takes effect at once (a client may ping more often than it announced); a longer
   * one needs a CONNECT that announces it, so the persistent session is reconnected quietly (nothing is
   * lost: the broker keeps what arrives meanwhile).
   */
  protected override heartbeatChanged(decision: HeartbeatDecision): void {
    const client = this.#client;
    if (!decision.active || !client?.connected) return;
    const intervalSec = this.#interval(decision);
    if (intervalSec <= 0) return;
    if (intervalSec <= this.#announcedSec) client.keepaliveManager?.setKeepalive(intervalSec);
    else {
      this.#quietReconnect = true;
      this.lifecycle.renegotiate(`the heartbeat interval grew to ${intervalSec} s: reconnecting quietly to announce it`);
    }
  }

  protected override probeLink(timeoutSec: number): void {
    const client = this.#client;
    if (!client?.connected) return;
    this.#probing = true;
    client.sendPing();
    this.#awaitPong(client, timeoutSec);
  }

  /** Seconds of silence before the heartbeat now awaiting an answer. */
  #idleBeforePing(): number {
    return this.#pingSentAt === undefined ? 0 : (this.#pingSentAt - this.#lastTrafficAt) / 1000;
  }

  /** Drops the link when no PINGRESP comes within `timeoutSec`. */
  #awaitPong(client: MqttClient, timeoutSec: number): void {
    clearTimeout(this.#probeTimer);
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = undefined;
      if (client !== this.#client) return;
      this.lastError = `no answer to a heartbeat within ${timeoutSec} s: the link was dead`;
      this.heartbeatMissed(this.#idleBeforePing(), this.#probing);
      this.#probing = false;
      this.#logger.warn('dead link detected', { connection: this.#config.id, error: this.lastError });
      client.stream.destroy();
    }, timeoutSec * 1000);
  }

  /** Disconnects and stops reconnecting. */
  async stop(): Promise<void> {
    clearTimeout(this.#probeTimer);
    this.lifecycle.stop();
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    const presence = this.#presenceTopic();
    const within = async (ms: number, work: Promise<unknown>): Promise<void> => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([work.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
      clearTimeout(timer);
    };
    if (presence && client.connected) {
      // A clean disconnect does not fire the will: say "offline" ourselves, briefly.
      await within(1000, client.publishAsync(presence, this.#presencePayload('offline'), { qos: this.#config.presence?.qos ?? 1, retain: true }));
    }
    // A graceful end waits for every queued publish to be acknowledged, which never happens while the
    // broker is unreachable: give it two seconds, then force it.
    if (client.connected) await within(2000, client.endAsync());
    if (!client.disconnected) await client.endAsync(true);
  }

  /**
   * Brings the broker's subscriptions in line with the configuration.
   *
   * Without a session everything is subscribed. With one, only filters added or whose QoS changed
   * since the last connection are subscribed (subscribing again would make the broker resend every
   * retained message), and filters no longer configured are unsubscribed.
   */
  #subscribe(client: MqttClient, sessionPresent: boolean): Promise<void> {
    // What the broker should hold per filter: QoS and, with MQTT 5, the subscription identifier (the
    // filter's position + 1), as "qos:id". Older records (plain numbers) simply differ and resubscribe.
    const v5 = this.#config.protocolVersion === 5;
    const wanted: Record<string, string> = {};
    this.#config.subscriptions.forEach((sub, i) => (wanted[sub.topic] = v5 ? `${sub.qos}:${i + 1}` : `${sub.qos}`));
    const directory = this.#directoryTopic;
    if (directory !== undefined && !(directory in wanted)) wanted[directory] = v5 ? `1:${DIRECTORY_SUBSCRIPTION_ID}` : '1';
    // Without a session the broker holds nothing: record that first, so a link lost before the SUBACK
    // does not leave an old record claiming subscriptions the new session does not have.
    if (!sessionPresent) this.#saveSession('{}');
    let held: Record<string, unknown>;
    try {
      held = sessionPresent ? (JSON.parse(this.#session?.load() ?? 'null') as Record<string, unknown> | null) ?? {} : {};
    } catch {
      held = {};
    }
    const all = this.#config.subscriptions.map((sub, i) => ({ sub: { topic: sub.topic, qos: sub.qos }, id: i + 1 }));
    if (directory !== undefined && !this.#config.subscriptions.some((s) => s.topic === directory)) {
      all.push({ sub: { topic: directory, qos: 1 }, id: DIRECTORY_SUBSCRIPTION_ID });
    }
    const changed = all.filter(({ sub }) => held[sub.topic] !== wanted[sub.topic]);
    const toUnsubscribe = Object.keys(held).filter((topic) => !(topic in wanted));
    const unsubscribed =
      toUnsubscribe.length > 0 ? new Promise<void>((resolve) => client.unsubscribe(toUnsubscribe, () => resolve())) : Promise.resolve();
    if (changed.length === 0) {
      // Recorded once the broker confirmed the UNSUBSCRIBE: a link lost before keeps the old record.
      return unsubscribed.then(() => this.#saveSession(JSON.stringify(wanted)));
    }
    // One SUBSCRIBE per filter with MQTT 5: an identifier belongs to a whole SUBSCRIBE packet.
    const batches = v5
      ? changed.map(({ sub, id }) => ({ map: { [sub.topic]: { qos: sub.qos } }, properties: { subscriptionIdentifier: id } }))
      : [{ map: Object.fromEntries(changed.map(({ sub }) => [sub.topic, { qos: sub.qos }])), properties: undefined }];
    let remaining = batches.length;
    const refusedTopics = new Set<string>();
    let failed = false;
    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const finish = (): void => {
      if (--remaining > 0 || failed) return;
      const heldNow: Record<string, string> = { ...wanted };
      for (const topic of refusedTopics) delete heldNow[topic];
      this.#saveSession(JSON.stringify(heldNow));
      settle();
    };
    for (const batch of batches) {
      client.subscribe(batch.map, batch.properties ? { properties: batch.properties } : {}, (error, granted) => {
        if (error) {
          failed = true;
          settle();
          this.lastError = `subscribing failed: ${error.message}`;
          this.#logger.error('subscribe failed', { connection: this.#config.id, error: error.message });
          this.emit('status', this.status());
          return;
        }
        // 0x80 (MQTT 3.1.1) and every MQTT 5 reason code from 0x80 up refuse the subscription.
        for (const g of (granted ?? []).filter((g) => g.qos >= 128)) {
          refusedTopics.add(g.topic);
          this.lastError = `the broker refused the subscription to "${g.topic}"`;
          this.#logger.warn('subscription refused', { connection: this.#config.id, topic: g.topic });
          this.emit('status', this.status());
        }
        finish();
      });
    }
    return Promise.all([settled, unsubscribed]).then(() => undefined);
  }

  /** Saves the session's subscription record; a failing store is logged, never thrown into mqtt.js. */
  #saveSession(value: string): void {
    try {
      this.#session?.save(value);
    } catch (error) {
      this.#logger.error('could not record the session\u2019s subscriptions', { connection: this.#config.id, error: (error as Error).message });
    }
  }

  /**
   * The subscription a message belongs to: the first configured filter that matches its topic.
   *
   * With MQTT 5 the broker sends one copy per matching subscription, each carrying the identifiers of
   * the subscriptions it is for; only the copy for that first filter is taken, so overlapping filters
   * (home/# and home/+/alarm) do not show a message twice. Returns undefined for a copy to skip.
   */
  #subscriptionFor(packet: IPublishPacket): SubscriptionConfig | undefined {
    const index = this.#firstMatch(packet.topic);
    if (index === -1) {
      this.#logger.warn('message on a topic no subscription matches', { connection: this.#config.id, topic: packet.topic });
      return undefined;
    }
    const ids = packet.properties?.subscriptionIdentifier;
    // The usual copy: for exactly the first matching filter, which is the one to take (no matching needed).
    if (ids !== undefined && !(ids === index + 1 || (Array.isArray(ids) && ids.length === 1 && ids[0] === index + 1))) {
      // Skip this copy only when it is for another configured filter that also matches; identifiers
      // from an older configuration (filters reordered or removed) match nothing and are taken.
      const list = Array.isArray(ids) ? ids : [ids];
      const current = list.filter((id) => {
        const sub = this.#config.subscriptions[id - 1];
        return sub !== undefined && topicMatches(sub.topic, packet.topic);
      });
      if (current.length > 0 && !current.includes(index + 1)) return undefined;
    }
    return this.#config.subscriptions[index];
  }

  /**
   * Index of the first configured filter matching `topic`, or -1. Remembered per topic (feeds repeat
   * the same topics thousands of times a second); the memory is bounded and starts over when full.
   */
  #firstMatch(topic: string): number {
    let index = this.#matchCache.get(topic);
    if (index === undefined) {
      index = this.#config.subscriptions.findIndex((sub) => topicMatches(sub.topic, topic));
      if (this.#matchCache.size >= 10_000) this.#matchCache.clear();
      this.#matchCache.set(topic, index);
    }
    return index;
  }

  /**
   * Hands one message to the sink.
   *
   * @returns true when the message may be acknowledged; false when storing failed, in which case the
   *   link is dropped without acknowledging, so the broker delivers it again.
   */
  #deliver(packet: IPublishPacket): boolean {
    if (this.#directoryTopic !== undefined && packet.topic === this.#directoryTopic) {
      try {
        this.#onDirectory?.(Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
      } catch (error) {
        this.#logger.warn('the channel directory message could not be used', { connection: this.#config.id, error: (error as Error).message });
      }
      return true;
    }
    const subscription = this.#subscriptionFor(packet);
    if (!subscription) return true;
    this.counters.received++;
    this.counters.bytes += packet.payload.length;
    let accepted: boolean;
    try {
      accepted = this.#sink.accept({
        connectionId: this.#config.id,
        topic: packet.topic,
        channel: subscription.channel,
        data: subscription.kind === 'data',
        payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
        qos: packet.qos,
        retain: packet.retain,
        duplicate: packet.dup,
        responseTopic: usableResponseTopic(packet.properties?.responseTopic),
        correlationData: packet.properties?.correlationData,
      });
    } catch (error) {
      this.lastError = `could not store a message: ${(error as Error).message}`;
      this.#logger.error('store failed; dropping the link so the broker redelivers', {
        connection: this.#config.id,
        topic: packet.topic,
        error: (error as Error).message,
      });
      this.#client?.stream.destroy();
      return false;
    }
    if (!accepted) this.counters.rejected++;
    return true;
  }

}
