import { fetch as undiciFetch, ProxyAgent, type RequestInit as UndiciRequestInit } from 'undici';
import WebSocket from 'ws';
import type { Logger } from '../../logger.ts';
import { cleanText } from '../../message/decode-payload.ts';
import { Backoff } from '../backoff.ts';
import { systemTimers, type Timers } from '../connection-lifecycle.ts';
import { proxyAgentFor, proxyFor, type ProxyResolver } from '../proxy.ts';
import { SourceBase } from '../source-base.ts';
import { LineSplitter, SseEvents } from './stream-parsers.ts';
import { parseNtfyFrame, type NtfyEvent } from './ntfy-frames.ts';
import type { CursorStore, NtfyConnectionOptions, NtfySink, NtfySourceOptions } from './ntfy-types.ts';

/** Default time without anything from the server before the link counts as dead: ntfy sends a keepalive every 45 s. */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 110_000;

/** How long the WebSocket opening handshake may take. */
const HANDSHAKE_TIMEOUT_MS = 15_000;

/** How long a publish may take before it fails. */
const PUBLISH_TIMEOUT_MS = 15_000;

/**
 * Largest WebSocket frame ws will buffer. Frames over `maxPayloadBytes` but under this are read, counted
 * as rejected and skipped while the link stays up; only a frame over this drops the link.
 */
const WS_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** How many recent event ids are remembered so one event is never delivered twice. */
const SEEN_IDS = 4096;

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Settings of an NtfySource beyond what the hub passes (NtfySourceOptions); for tuning and tests. */
export interface NtfySourceTuning {
  /** Drop the link and reconnect when nothing arrives for this long; default 110 s. */
  readonly keepaliveTimeoutMs?: number;
}

/**
 * A message for ntfy's JSON publish (`POST /` with the topic in the body).
 *
 * Field names are ntfy's own; see docs.ntfy.sh/publish "Publish as JSON".
 */
export interface NtfyPublishMessage {
  readonly topic: string;
  readonly message?: string;
  readonly title?: string;
  readonly priority?: 1 | 2 | 3 | 4 | 5;
  readonly tags?: readonly string[];
  readonly click?: string;
  /** Publish a new version of the message with this sequence id (ntfy 2.16 and later). */
  readonly sequence_id?: string;
}

/** The transports the source can subscribe with. */
export type NtfyLinkTransport = 'ws' | 'json' | 'sse';

/** One open subscription; `closed` settles once its socket or stream is gone. */
interface Link {
  readonly transport: NtfyLinkTransport;
  close(): void;
  readonly closed: Promise<void>;
  /** Sends an RFC 6455 ping (WebSocket links only). */
  readonly ping?: () => void;
}

/** Socket errors that mean the server was never reached: retrying the JSON stream instead would not help. */
const NEVER_REACHED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

type CodedError = Error & { code?: string; cause?: unknown };

function innermost(error: unknown): CodedError {
  const outer = (error instanceof Error ? error : new Error(String(error))) as CodedError;
  return outer.cause instanceof Error ? (outer.cause as CodedError) : outer;
}

/**
 * Turns a socket, TLS or fetch error into words a user can act on.
 *
 * fetch reports "fetch failed" with the real error as `cause`; that cause is what is described.
 */
export function describeNtfyError(error: unknown): string {
  const inner = innermost(error);
  const code = inner.code ?? '';
  if (TLS_CODES.has(code)) return `the server's TLS certificate was not accepted (${code}): trust its CA by starting Pushdesk with NODE_EXTRA_CA_CERTS=<CA file>, or give the server a certificate from a public CA`;
  switch (code) {
    case 'ECONNREFUSED':
      return 'the server refused the connection: is it running, and is the port right?';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the server host name could not be resolved';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'the server did not answer in time';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
      return 'the server cannot be reached from this network';
    case 'ECONNRESET':
      return 'the connection was reset';
  }
  if (inner.name === 'TimeoutError') return 'the server did not answer in time';
  return inner.message || 'the connection failed for an unknown reason';
}

/** Words for an HTTP status the server answered instead of a subscription or publish. */
export function describeNtfyStatus(status: number): string {
  switch (status) {
    case 401:
      return 'the server refused the credentials (HTTP 401): check the user name and password, or the access token';
    case 403:
      return 'the server denied access (HTTP 403): this user may not use these topics';
    case 404:
      return 'the server has no such page (HTTP 404): check the server URL and its path';
    case 413:
      return 'the server says the message is too large (HTTP 413)';
    case 429:
      return 'the server is limiting requests from this client (HTTP 429)';
    default:
      return status >= 500 ? `the server had an internal problem (HTTP ${status})` : `the server answered HTTP ${status}`;
  }
}

/**
 * One connection to an ntfy (or ntfy-compatible) server: subscribes to its topics, hands each event to
 * the sink, and moves the `since` cursor past an event only after the sink returned.
 *
 * Transport: `ws` subscribes to `/<topics>/ws`; `json` and `sse` read `/<topics>/json` and
 * `/<topics>/sse` over fetch. `auto` starts with the WebSocket and, when its upgrade fails after the
 * server was reached (a proxy answers 400/403/426..., or drops the socket mid-handshake), switches to
 * the JSON stream at once and keeps it for the rest of this object's life; a 401 or 429, or a server
 * that cannot be reached at all, is not a reason to switch.
 *
 * Resuming: the first connection without a stored cursor asks for new messages only (ntfy's own
 * default). A reconnect asks `since=<id of the last event delivered>`; before any event was delivered
 * it asks `since=<server time of the first open event>`, so nothing published while the link was down
 * is lost. Recently delivered ids are remembered, so an event the server sends twice is delivered once.
 *
 * Liveness: if nothing arrives for `keepaliveTimeoutMs` (default 110 s, ntfy keepalives come every
 * 45 s) the link is dropped and the shared ConnectionLifecycle reconnects with full-jitter backoff.
 */
export class NtfySource extends SourceBase {
  readonly #config: NtfyConnectionOptions;
  readonly #sink: NtfySink;
  readonly #cursor: CursorStore;
  readonly #logger: Logger;
  readonly #timers: Timers;
  readonly #keepaliveTimeoutMs: number;
  readonly #seen = new Set<string>();
  #link: Link | undefined;
  /** Incremented whenever a link is replaced or dropped: callbacks of older links check it and stop. */
  #linkSeq = 0;
  #watchdog: unknown;
  /** The next heartbeat (WebSocket ping), and the deadline of the one awaiting its pong. */
  #pingTimer: unknown;
  #pongTimer: unknown;
  #pingSentAt: number | undefined;
  #pongDeadline: number | undefined;
  #probing = false;
  #lastFrameAt = 0;
  #fellBackToJson = false;
  #cursorLoaded = false;
  #lastId: string | undefined;
  #firstOpenSec: number | undefined;
  readonly #proxyFor: ProxyResolver | undefined;
  #proxyAgent: ProxyAgent | undefined;

  constructor(options: NtfySourceOptions & NtfySourceTuning) {
    super({
      id: options.config.id,
      url: options.config.url,
      waitForNetwork: options.config.waitForNetwork,
      now: options.now,
      timers: options.timers,
      backoff: options.backoff ?? new Backoff(),
    });
    this.#proxyFor = options.proxyFor;
    this.#config = options.config;
    this.#sink = options.sink;
    this.#cursor = options.cursor;
    this.#logger = options.logger;
    this.#timers = options.timers ?? systemTimers;
    this.#keepaliveTimeoutMs = options.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS;
  }

  protected override openLink(): void {
    this.#open();
  }

  protected override dropLink(): void {
    this.#dropLink();
  }

  /** The transport of the current link, if one is open or opening. */
  get transport(): NtfyLinkTransport | undefined {
    return this.#link?.transport;
  }

  /** Disconnects and stops reconnecting; resolves once the socket or stream is closed. */
  async stop(): Promise<void> {
    this.lifecycle.stop();
    const link = this.#link;
    this.#dropLink();
    await link?.closed;
  }

  /**
   * Publishes `body` as the message text on `topic`; resolves once the server accepted it (2xx).
   *
   * Receipts use this: the hub passes the receipt JSON as `body`, so subscribers of the receipt topic
   * get it verbatim in the `message` field. Publishing is a plain HTTP request with the connection's
   * credentials and works whether or not the subscription is up.
   *
   * @throws Error in plain words naming the topic and what the server or network said.
   */
  async publish(topic: string, body: string): Promise<void> {
    await this.publishJson({ topic, message: body });
  }

  /**
   * Publishes with ntfy's JSON publish: POST to the server root with the topic in the body.
   *
   * JSON publish is used rather than `POST /<topic>` with headers because header values cannot carry
   * arbitrary text (titles with line breaks or non-Latin-1 characters) and the body stays exactly the
   * caller's string.
   *
   * @throws Error in plain words naming the topic and what the server or network said.
   */
  async publishJson(message: NtfyPublishMessage): Promise<void> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    const authorization = this.#authorization();
    if (authorization) headers.Authorization = authorization;
    let response: Response;
    try {
      response = await this.#fetch(this.#baseUrl(), {
        method: 'POST',
        headers,
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(PUBLISH_TIMEOUT_MS),
      });
    } catch (error) {
      throw new Error(`publishing to "${message.topic}" failed: ${describeNtfyError(error)}`, { cause: error });
    }
    const text = await response.text().catch(() => '');
    if (response.ok) return;
    throw new Error(`publishing to "${message.topic}" failed: ${describeNtfyStatus(response.status)}${serverSays(text)}`);
  }

  /**
   * fetch, through HTTP(S)_PROXY / NO_PROXY (or the shell's resolver) when one applies. Node's own
   * fetch takes no proxy, so proxied requests go through the undici package's fetch and ProxyAgent.
   */
  async #fetch(url: URL, init: RequestInit): Promise<Response> {
    const proxy = (this.#proxyFor ?? proxyFor)(url.toString());
    if (proxy === undefined) return fetch(url, init);
    this.#proxyAgent ??= new ProxyAgent(proxy);
    return (await undiciFetch(url, { ...(init as unknown as UndiciRequestInit), dispatcher: this.#proxyAgent })) as unknown as Response;
  }

  #open(): void {
    this.#dropLink();
    const seq = this.#linkSeq;
    this.#loadCursorOnce();
    this.#armWatchdog(seq);
    const transport: NtfyLinkTransport =
      this.#config.transport === 'auto' ? (this.#fellBackToJson ? 'json' : 'ws') : this.#config.transport;
    try {
      if (transport === 'ws') this.#openWebSocket(seq);
      else this.#openStream(seq, transport);
    } catch (error) {
      // Only a URL the configuration schema should have refused gets here.
      this.#linkDown(seq, `the subscription could not be started: ${(error as Error).message}`);
    }
  }

  #openWebSocket(seq: number): void {
    const headers: Record<string, string> = {};
    const authorization = this.#authorization();
    if (authorization) headers.Authorization = authorization;
    const url = this.#subscribeUrl('ws');
    const agent = proxyAgentFor(url.toString(), this.#proxyFor);
    const ws = new WebSocket(url, {
      ...(agent ? { agent } : {}),
      headers,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      maxPayload: Math.max(WS_MAX_FRAME_BYTES, this.#config.maxPayloadBytes),
    });
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    this.#link = { transport: 'ws', close: () => ws.terminate(), closed, ping: () => ws.ping() };
    let opened = false;
    let refusedStatus: number | undefined;
    let socketError: CodedError | undefined;
    ws.on('unexpected-response', (_request, response) => {
      refusedStatus = response.statusCode;
      response.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      opened = true;
      this.#linkUp(seq);
    });
    ws.on('message', (data, isBinary) => {
      if (seq === this.#linkSeq) this.counters.bytes += rawLength(data);
      if (isBinary) this.#reject(seq, 'a binary WebSocket frame (ntfy sends text)');
      else this.#frame(seq, rawBytes(data));
    });
    ws.on('ping', () => this.#armWatchdog(seq));
    ws.on('pong', () => {
      const idleSec = this.#pingSentAt === undefined ? 0 : (this.#pingSentAt - this.#lastFrameAt) / 1000;
      this.#armWatchdog(seq);
      if (seq !== this.#linkSeq || this.#pingSentAt === undefined) return;
      if (this.#pongTimer !== undefined) this.#timers.clearTimeout(this.#pongTimer);
      this.#pongTimer = undefined;
      this.#pongDeadline = undefined;
      this.heartbeatAnswered(idleSec, this.now() - this.#pingSentAt, this.#probing);
      this.#probing = false;
      this.#pingSentAt = undefined;
      this.#schedulePing(seq);
    });
    ws.on('error', (error) => {
      socketError ??= error as CodedError;
    });
    ws.on('close', (code) => {
      if (seq !== this.#linkSeq) return;
      if (opened) {
        this.#linkDown(seq, socketError ? describeNtfyError(socketError) : `the server closed the WebSocket (code ${code})`);
        return;
      }
      const why = `the WebSocket could not be opened: ${
        refusedStatus === undefined ? describeNtfyError(socketError ?? new Error('the socket closed')) : describeNtfyStatus(refusedStatus)
      }`;
      if (this.#config.transport === 'auto' && shouldFallBack(refusedStatus, socketError)) this.#fallBack(seq, why);
      else this.#linkDown(seq, why);
    });
  }

  /** The WebSocket is not available on this path: use the JSON stream now and for the rest of this source's life. */
  #fallBack(seq: number, why: string): void {
    if (seq !== this.#linkSeq) return;
    this.#fellBackToJson = true;
    this.#logger.warn('ntfy WebSocket unavailable; using the JSON stream from now on', { connection: this.#config.id, reason: why });
    this.#open();
  }

  #openStream(seq: number, transport: 'json' | 'sse'): void {
    const controller = new AbortController();
    let finished = (): void => {};
    const closed = new Promise<void>((resolve) => (finished = resolve));
    this.#link = { transport, close: () => controller.abort(), closed };
    this.#readStream(seq, transport, controller.signal)
      .catch((error: unknown) => this.#linkDown(seq, describeNtfyError(error)))
      .finally(finished);
  }

  async #readStream(seq: number, transport: 'json' | 'sse', signal: AbortSignal): Promise<void> {
    const headers: Record<string, string> = {};
    const authorization = this.#authorization();
    if (authorization) headers.Authorization = authorization;
    let response: Response;
    try {
      response = await this.#fetch(this.#subscribeUrl(transport), { headers, signal });
    } catch (error) {
      if (!signal.aborted) this.#linkDown(seq, describeNtfyError(error));
      return;
    }
    if (!response.ok || response.body === null) {
      const text = await response.text().catch(() => '');
      this.#linkDown(seq, `${describeNtfyStatus(response.status)}${serverSays(text)}`);
      return;
    }
    this.#linkUp(seq);
    const lines = new LineSplitter(this.#config.maxPayloadBytes);
    const sse = transport === 'sse' ? new SseEvents(this.#config.maxPayloadBytes) : undefined;
    const onLine = (line: Uint8Array | undefined): void => {
      if (seq !== this.#linkSeq) return;
      if (line === undefined) this.#reject(seq, `a line over the limit of ${this.#config.maxPayloadBytes} bytes`);
      else if (sse) sse.push(line, (data) => this.#frame(seq, data), (why) => this.#reject(seq, why));
      else if (line.byteLength > 0) this.#frame(seq, line);
    };
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (seq !== this.#linkSeq) break;
        this.#armWatchdog(seq);
        this.counters.bytes += value.byteLength;
        lines.push(value, onLine);
      }
    } catch (error) {
      if (!signal.aborted) this.#linkDown(seq, describeNtfyError(error));
      return;
    } finally {
      await reader.cancel().catch(() => {});
    }
    this.#linkDown(seq, 'the server ended the stream');
  }

  #linkUp(seq: number): void {
    if (seq !== this.#linkSeq) return;
    this.lastError = undefined;
    this.#armWatchdog(seq);
    this.lifecycle.connected();
    this.#schedulePing(seq);
  }

  /** The link failed or ended: close it and let the lifecycle schedule a reconnect. */
  #linkDown(seq: number, why: string): void {
    if (seq !== this.#linkSeq) return;
    this.#dropLink();
    this.lastError = why;
    this.#logger.warn('ntfy link down', { connection: this.#config.id, reason: why });
    this.lifecycle.lost(why);
  }

  /** Closes the current link, if any, without reconnecting; its late callbacks are ignored. */
  #dropLink(): void {
    this.#linkSeq++;
    for (const timer of [this.#watchdog, this.#pingTimer, this.#pongTimer]) if (timer !== undefined) this.#timers.clearTimeout(timer);
    this.#watchdog = undefined;
    this.#pingTimer = undefined;
    this.#pongTimer = undefined;
    this.#pingSentAt = undefined;
    this.#pongDeadline = undefined;
    this.#probing = false;
    const link = this.#link;
    this.#link = undefined;
    link?.close();
  }

  /**
   * The heartbeat of a WebSocket link: after `intervalSec` without a frame from the server, a ping; no
   * pong within `timeoutSec` means the link is dead. ntfy's own keepalive events count as frames. The
   * JSON and SSE streams cannot be pinged and rely on the keepalive watchdog.
   */
  #schedulePing(seq: number): void {
    if (this.#pingTimer !== undefined) this.#timers.clearTimeout(this.#pingTimer);
    this.#pingTimer = undefined;
    const decision = this.decision;
    const link = this.#link;
    // One heartbeat at a time (the pong handler schedules the next), and only on an open link.
    if (seq !== this.#linkSeq || !decision?.active || !link?.ping || this.#pingSentAt !== undefined) return;
    if (this.lifecycle.state !== 'connected') return;
    const quietMs = this.now() - this.#lastFrameAt;
    const waitMs = Math.max(0, decision.intervalSec * 1000 - quietMs);
    this.#pingTimer = this.#timers.setTimeout(() => {
      this.#pingTimer = undefined;
      if (seq !== this.#linkSeq) return;
      if (this.now() - this.#lastFrameAt < decision.intervalSec * 1000) {
        this.#schedulePing(seq); // a frame came meanwhile: the link proved itself
        return;
      }
      this.#sendPing(seq, decision.timeoutSec);
    }, waitMs);
  }

  #sendPing(seq: number, timeoutSec: number, probe = false): void {
    const link = this.#link;
    if (seq !== this.#linkSeq || !link?.ping) return;
    if (this.#pingSentAt !== undefined) {
      // A heartbeat is already out: a probe may shorten its deadline, never lengthen it.
      if (probe) this.#probing = true;
      if (this.#pongDeadline !== undefined && this.now() + timeoutSec * 1000 >= this.#pongDeadline) return;
    }
    this.#pingSentAt ??= this.now();
    this.#probing = probe;
    this.heartbeatSent();
    try {
      link.ping();
    } catch {
      // a socket closing right now: its close event reports the loss
    }
    if (this.#pongTimer !== undefined) this.#timers.clearTimeout(this.#pongTimer);
    this.#pongDeadline = this.now() + timeoutSec * 1000;
    this.#pongTimer = this.#timers.setTimeout(() => {
      this.#pongTimer = undefined;
      this.#pongDeadline = undefined;
      this.heartbeatMissed(this.#pingSentAt === undefined ? 0 : (this.#pingSentAt - this.#lastFrameAt) / 1000, this.#probing);
      this.#probing = false;
      this.#linkDown(seq, `no answer to a heartbeat within ${timeoutSec} s: the link was dead`);
    }, timeoutSec * 1000);
  }

  protected override heartbeatChanged(): void {
    // The watchdog's length depends on the interval: arm it anew, from the last frame, not from now.
    this.#armWatchdog(this.#linkSeq, false);
    this.#schedulePing(this.#linkSeq);
  }

  protected override probeLink(timeoutSec: number): void {
    if (this.#link?.ping) this.#sendPing(this.#linkSeq, timeoutSec, true);
    // A JSON or SSE stream cannot be pinged: open a fresh one (since= fills any gap).
    else this.lifecycle.renegotiate('checking the link after a change of network or a wake-up');
  }

  /** (Re)starts the keepalive watchdog of link `seq`; anything received from the server calls this. */
  #armWatchdog(seq: number, frameArrived = true): void {
    if (seq !== this.#linkSeq) return;
    if (frameArrived) {
      this.#lastFrameAt = this.now();
      // Anything that arrives proves the link alive, even before the pong.
      if (this.#pongTimer !== undefined) {
        this.#timers.clearTimeout(this.#pongTimer);
        this.#pongTimer = undefined;
        this.#pongDeadline = undefined;
      }
    }
    if (this.#watchdog !== undefined) this.#timers.clearTimeout(this.#watchdog);
    // On a WebSocket our own pings prove the link; the watchdog must not fire before a battery-long
    // heartbeat has had its chance.
    const decision = this.decision;
    const heartbeatMs = this.#link?.ping && decision?.active ? (decision.intervalSec + decision.timeoutSec) * 1000 + 5000 : 0;
    const timeoutMs = Math.max(this.#keepaliveTimeoutMs, heartbeatMs);
    const remainingMs = Math.max(0, timeoutMs - (this.now() - this.#lastFrameAt));
    this.#watchdog = this.#timers.setTimeout(() => {
      this.#watchdog = undefined;
      const seconds = Math.round(timeoutMs / 100) / 10;
      this.#linkDown(seq, `nothing came from the server for ${seconds} s (ntfy sends a keepalive every 45 s): the link looks dead`);
    }, remainingMs);
  }

  /** Handles one event of link `seq`. */
  #frame(seq: number, data: string | Uint8Array): void {
    if (seq !== this.#linkSeq) return;
    this.#armWatchdog(seq);
    let event: NtfyEvent;
    try {
      event = parseNtfyFrame(data, this.#config.maxPayloadBytes);
    } catch (error) {
      this.#reject(seq, (error as Error).message);
      return;
    }
    if (!('message' in event)) {
      if (event.event === 'open') {
        this.#firstOpenSec ??= event.time;
        if (this.#lastId === undefined) {
          // No message yet: remember the server's time, so messages published while Pushdesk is closed
          // before the first one ever arrives are still asked for (ntfy reads a number as Unix time).
          this.#lastId = String(event.time);
          try {
            this.#cursor.save(this.#lastId);
          } catch (error) {
            this.#logger.error('could not save the ntfy cursor', { connection: this.#config.id, error: (error as Error).message });
          }
        }
      }
      return;
    }
    const message = event.message;
    if (this.#seen.has(message.id)) return;
    this.counters.received++;
    try {
      if (event.event === 'message') {
        if (!this.#sink.message(this.#config.id, message)) this.counters.rejected++;
      } else {
        this.#sink.remove(this.#config.id, event.event === 'message_delete' ? 'delete' : 'clear', message);
      }
    } catch (error) {
      // Not committed, so the cursor stays before this event: the reconnect's since= brings it again.
      const why = `could not store a message: ${(error as Error).message}`;
      this.#logger.error('store failed; dropping the link so the server sends the message again', {
        connection: this.#config.id,
        event: message.id,
        error: (error as Error).message,
      });
      this.#linkDown(seq, why);
      return;
    }
    this.#remember(message.id);
    this.#lastId = message.id;
    try {
      this.#cursor.save(message.id);
    } catch (error) {
      // Delivered and committed: this run resumes from memory; after a restart the hub's dedupe absorbs a repeat.
      this.#logger.error('could not save the ntfy cursor', { connection: this.#config.id, error: (error as Error).message });
    }
  }

  #reject(seq: number, why: string): void {
    if (seq !== this.#linkSeq) return;
    this.counters.rejected++;
    this.#logger.warn('ntfy frame rejected', { connection: this.#config.id, reason: why, rejected: this.counters.rejected });
    this.emit('status', this.status());
  }

  #remember(id: string): void {
    this.#seen.add(id);
    if (this.#seen.size > SEEN_IDS) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }

  #loadCursorOnce(): void {
    if (this.#cursorLoaded) return;
    this.#cursorLoaded = true;
    let stored: string | undefined;
    try {
      stored = this.#cursor.load();
    } catch (error) {
      this.#logger.error('could not load the ntfy cursor; asking for new messages only', {
        connection: this.#config.id,
        error: (error as Error).message,
      });
      return;
    }
    if (stored === undefined) return;
    if (ID.test(stored)) this.#lastId = stored;
    else this.#logger.warn('ignoring a stored ntfy cursor that is not a message id', { connection: this.#config.id });
  }

  /** The server root as a URL ending in '/', without credentials (fetch refuses URLs that carry them). */
  #baseUrl(): URL {
    const url = new URL(this.#config.url);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    return url;
  }

  #subscribeUrl(transport: NtfyLinkTransport): URL {
    const url = this.#baseUrl();
    url.pathname += `${this.#config.topics.map(encodeURIComponent).join(',')}/${transport}`;
    const since = this.#lastId ?? (this.#firstOpenSec === undefined ? undefined : String(this.#firstOpenSec));
    if (since !== undefined) url.searchParams.set('since', since);
    if (transport === 'ws') url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url;
  }

  #authorization(): string | undefined {
    const auth = this.#config.auth;
    if (auth === undefined) return undefined;
    if (auth.kind === 'basic') return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
    return `Bearer ${auth.token}`;
  }
}

/**
 * Whether a failed WebSocket handshake is worth retrying as a JSON stream: the server was reached but
 * would not upgrade. Bad credentials, rate limiting, unreachable servers and TLS failures are not.
 */
function shouldFallBack(status: number | undefined, error: CodedError | undefined): boolean {
  if (status !== undefined) return status !== 401 && status !== 429;
  const code = error === undefined ? '' : (innermost(error).code ?? '');
  return !NEVER_REACHED.has(code) && !TLS_CODES.has(code);
}

/** ntfy answers errors with {"code":40101,"http":401,"error":"unauthorized",...}; quote its `error`. */
function serverSays(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string' && parsed.error.trim() !== '') return ` (the server says: ${cleanText(parsed.error).trim().slice(0, 200)})`;
  } catch {
    // not JSON: nothing worth quoting
  }
  return '';
}

function rawLength(data: WebSocket.RawData): number {
  return Array.isArray(data) ? data.reduce((sum, part) => sum + part.byteLength, 0) : data.byteLength;
}

function rawBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}
