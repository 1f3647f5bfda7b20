import { TypedEmitter } from '../typed-emitter.ts';
import type { Backoff } from './backoff.ts';
import { ConnectionLifecycle, type Timers } from './connection-lifecycle.ts';
import type { HeartbeatBasis, HeartbeatDecision } from '../heartbeat/heartbeat-policy.ts';
import { displayUrl, type ConnectionStatus, type HeartbeatStatus } from './connection-status.ts';

/** What a heartbeat showed: answered after some idle time, or no answer (the link was dead). */
export type HeartbeatOutcome =
  | { readonly kind: 'answered'; readonly idleSec: number; readonly rttMs: number; readonly probe: boolean }
  | { readonly kind: 'dead'; readonly idleSec: number; readonly probe: boolean };

/** Events every source emits. */
export interface SourceEvents {
  status: [ConnectionStatus];
  heartbeat: [HeartbeatOutcome];
}

/**
 * What every kind of source shares: the connection state machine, the counters the UI shows, and the
 * OS signals (network, sleep) passed through to the state machine. A source implements `openLink`
 * and `dropLink`, and reports back with `lifecycle.connected()` and `lifecycle.lost(reason)`.
 */
export abstract class SourceBase extends TypedEmitter<SourceEvents> {
  protected readonly lifecycle: ConnectionLifecycle;
  protected readonly counters = { received: 0, bytes: 0, rejected: 0 };
  /** Plain words for the most recent failure, cleared when a link comes up. */
  protected lastError: string | undefined;
  /** The heartbeat decision in force; undefined until the coordinator gives one. */
  protected decision: HeartbeatDecision | undefined;
  protected readonly now: () => number;
  readonly #heartbeatsSent: number[] = [];
  #lastRttMs: number | undefined;
  #lastDetectionMs: number | undefined;
  readonly #id: string;
  readonly #url: string;
  readonly #waitForNetwork: boolean | undefined;
  readonly #backoff: Backoff;
  /** The reconnect bounds the configuration gives (the policy scales them per power profile). */
  readonly reconnectBounds: { baseMs: number; capMs: number };

  constructor(options: {
    id: string;
    url: string;
    backoff: Backoff;
    now?: (() => number) | undefined;
    timers?: Timers | undefined;
    waitForNetwork?: boolean | undefined;
  }) {
    super();
    this.#id = options.id;
    this.#url = options.url;
    this.#waitForNetwork = options.waitForNetwork;
    this.#backoff = options.backoff;
    this.reconnectBounds = options.backoff.bounds;
    this.now = options.now ?? Date.now;
    this.lifecycle = new ConnectionLifecycle({
      link: { open: () => this.openLink(), drop: () => this.dropLink() },
      backoff: options.backoff,
      ...(options.now ? { now: options.now } : {}),
      ...(options.timers ? { timers: options.timers } : {}),
    });
    this.lifecycle.on('change', () => this.emit('status', this.status()));
  }

  /** Opens the link (first connect or reconnect); success or failure goes to the lifecycle. */
  protected abstract openLink(): void;

  /** Drops the link at once, without reconnecting. */
  protected abstract dropLink(): void;

  /** A standing safety warning for the status, if any. */
  protected warning(): string | undefined {
    return undefined;
  }

  /** The connection's id from the configuration. */
  get id(): string {
    return this.#id;
  }

  /**
   * Whether this connection waits for the network (no attempts while offline). By default a server on
   * this machine (127.0.0.0/8, ::1, localhost) does not, since it is reachable without one.
   */
  get waitsForNetwork(): boolean {
    if (this.#waitForNetwork !== undefined) return this.#waitForNetwork;
    try {
      const host = new URL(this.#url).hostname.replace(/^\[|\]$/g, '');
      return !(host === 'localhost' || host === '::1' || /^127\./.test(host));
    } catch {
      return true;
    }
  }

  /** A snapshot of the connection's state and counters. */
  status(): ConnectionStatus {
    const detail = this.lifecycle.detail;
    const heartbeat = this.#heartbeatWithServer();
    return {
      id: this.#id,
      url: displayUrl(this.#url),
      state: this.lifecycle.state,
      stateReason: this.lifecycle.reason,
      stateCode: detail.code,
      retryInSec: detail.retryInSec,
      attempt: detail.attempt,
      lastError: this.lastError,
      connectedSinceMs: this.lifecycle.connectedSinceMs,
      reconnects: this.lifecycle.reconnects,
      received: this.counters.received,
      bytes: this.counters.bytes,
      rejected: this.counters.rejected,
      warning: this.warning(),
      heartbeat: {
        intervalSec: this.decision?.active ? this.decision.intervalSec : 0,
        ...heartbeat,
        lastRttMs: this.#lastRttMs,
        lastHour: this.#heartbeatsInLastHour(),
        lastDetectionMs: this.#lastDetectionMs,
      },
    };
  }

  /** Applies a heartbeat decision (the coordinator calls this whenever it changes). */
  applyHeartbeat(decision: HeartbeatDecision): void {
    this.decision = decision;
    this.#backoff.setBounds(decision.backoff);
    this.heartbeatChanged(decision);
    this.emit('status', this.status());
  }

  /**
   * Checks the link at once (after resume, unlock or a network change): a link that does not answer
   * within `timeoutSec` is dropped and reconnected.
   */
  probe(timeoutSec: number): void {
    if (this.lifecycle.state === 'connected') this.probeLink(timeoutSec);
  }

  /**
   * A keep-alive the server imposes that is shorter than the decision's interval (MQTT 5's server
   * keep-alive), in seconds; undefined when none. The status shows it with the decision's reason.
   */
  protected serverKeepaliveSec(): number | undefined {
    return undefined;
  }

  /** The heartbeat reason in words and as fields for the window, with what the server imposes added. */
  #heartbeatWithServer(): Pick<HeartbeatStatus, 'reason' | keyof HeartbeatBasis> {
    const decision = this.decision;
    if (!decision) return { reason: '', profile: undefined, adaptive: false, critical: false, profileSec: 0, serverAskedSec: undefined };
    const basis = { profile: decision.profile, adaptive: decision.adaptive, critical: decision.critical, profileSec: decision.profileSec, serverAskedSec: decision.serverAskedSec };
    const server = decision.active ? this.serverKeepaliveSec() : undefined;
    if (server === undefined || server >= decision.intervalSec || decision.serverAskedSec !== undefined) return { reason: decision.reason, ...basis };
    return { reason: `${decision.reason}; the broker asks for ${server} s`, ...basis, serverAskedSec: server };
  }

  /** Reacts to a new decision (change timers, renegotiate). */
  protected abstract heartbeatChanged(decision: HeartbeatDecision): void;

  /** Sends one heartbeat now and drops the link when no answer comes within `timeoutSec`. */
  protected abstract probeLink(timeoutSec: number): void;

  /** Records that a heartbeat went out. */
  protected heartbeatSent(): void {
    this.#heartbeatsSent.push(this.now());
    this.#heartbeatsInLastHour();
  }

  /**
   * Records an answered heartbeat. `probe` marks one sent after a wake-up or network change, which
   * says nothing about how long this network tolerates silence.
   */
  protected heartbeatAnswered(idleSec: number, rttMs: number, probe = false): void {
    this.#lastRttMs = rttMs;
    this.emit('heartbeat', { kind: 'answered', idleSec, rttMs, probe });
  }

  /** Records a heartbeat, sent after `idleSec` of silence, that got no answer: the link was dead. */
  protected heartbeatMissed(idleSec: number, probe = false): void {
    this.#lastDetectionMs = this.now();
    this.emit('heartbeat', { kind: 'dead', idleSec, probe });
  }

  #heartbeatsInLastHour(): number {
    const since = this.now() - 3_600_000;
    while (this.#heartbeatsSent.length > 0 && (this.#heartbeatsSent[0] as number) < since) this.#heartbeatsSent.shift();
    return this.#heartbeatsSent.length;
  }

  /** Connects and keeps reconnecting until stopped. */
  start(): void {
    this.lifecycle.start();
  }

  /** The system's network went away or came back: no retries while offline, reconnect at once after. */
  setOnline(online: boolean): void {
    this.lifecycle.setOnline(online);
  }

  /** The system is going to sleep. */
  suspend(): void {
    this.lifecycle.suspend();
  }

  /** The system woke up: reconnect at once. */
  resume(): void {
    this.lifecycle.resume();
  }
}
