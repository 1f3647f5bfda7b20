import { TypedEmitter } from '../typed-emitter.ts';
import { Backoff } from './backoff.ts';
import type { ConnectionState, ConnectionStateDetail } from './connection-status.ts';

/** Timer functions, injected so tests can drive time. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real timers. */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What the lifecycle asks of the connection it drives. */
export interface LinkControl {
  /** Opens the link (first connect or reconnect). Success or failure is reported back. */
  open(): void;
  /** Drops the link at once without reconnecting (no network, system asleep, stopped). */
  drop(): void;
}

/** Events of a lifecycle: every state change with its reason in plain words, and as a code with numbers. */
export interface LifecycleEvents {
  change: [state: ConnectionState, reason: string, detail: ConnectionStateDetail];
}

/**
 * The connection state machine every kind of source shares.
 *
 * connecting -> connected -> (link lost) -> reconnecting -> connecting ...; offline while the
 * system has no network (no retries are spent), suspended while it sleeps, stopped at the end.
 * Reconnects wait a full-jitter backoff; coming back online or resuming reconnects at once.
 */
export class ConnectionLifecycle extends TypedEmitter<LifecycleEvents> {
  readonly #link: LinkControl;
  readonly #backoff: Backoff;
  readonly #timers: Timers;
  readonly #now: () => number;
  #state: ConnectionState = 'stopped';
  #reason = 'not started';
  #detail: ConnectionStateDetail = { code: 'not-started' };
  #timer: unknown;
  #connectedAtMs: number | undefined;
  #online = true;
  #asleep = false;
  #reconnects = 0;

  constructor(options: { link: LinkControl; backoff?: Backoff; timers?: Timers; now?: () => number }) {
    super();
    this.#link = options.link;
    this.#backoff = options.backoff ?? new Backoff();
    this.#timers = options.timers ?? systemTimers;
    this.#now = options.now ?? Date.now;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get reason(): string {
    return this.#reason;
  }

  /** The reason as a language-free code with its numbers (see ConnectionStateCode). */
  get detail(): ConnectionStateDetail {
    return this.#detail;
  }

  /** How many reconnect attempts were made since start. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** When the current link came up, if it is up. */
  get connectedSinceMs(): number | undefined {
    return this.#connectedAtMs;
  }

  /** Starts connecting (unless offline or asleep, which wait for the network or resume). */
  start(): void {
    if (this.#state !== 'stopped') return;
    this.#openOrWait('connecting to the server', { code: 'connecting' });
  }

  /** The link is up. */
  connected(): void {
    if (this.#state === 'stopped') return;
    this.#connectedAtMs = this.#now();
    this.#set('connected', 'connected', { code: 'connected' });
  }

  /** The link went down or could not be opened; `why` is in plain words. */
  lost(why: string): void {
    const upForMs = this.#connectedAtMs === undefined ? 0 : this.#now() - this.#connectedAtMs;
    this.#connectedAtMs = undefined;
    if (this.#state === 'stopped' || this.#state === 'offline' || this.#state === 'suspended') return;
    if (this.#state === 'reconnecting') return; // already scheduled
    this.#backoff.connectionLost(upForMs);
    const delayMs = this.#backoff.nextDelayMs();
    const retryIn = (delayMs / 1000).toFixed(1);
    const attempt = this.#backoff.attempt;
    this.#set('reconnecting', `${why}; retrying in ${retryIn} s (attempt ${attempt})`, { code: 'reconnecting-in', retryInSec: Number(retryIn), attempt });
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#reconnects++;
      this.#set('connecting', 'reconnecting to the server', { code: 'reconnecting' });
      this.#link.open();
    }, delayMs);
  }

  /** The system's network went away or came back. */
  setOnline(online: boolean): void {
    if (online === this.#online) return;
    this.#online = online;
    if (this.#state === 'stopped') return;
    if (!online) this.#pause('offline', 'no network: waiting for it to come back', { code: 'waiting-for-network' });
    else if (!this.#asleep) this.#resumeNow('the network is back', { code: 'network-back' });
  }

  /** The system is going to sleep. */
  suspend(): void {
    if (this.#asleep) return;
    this.#asleep = true;
    if (this.#state !== 'stopped') this.#pause('suspended', 'the system is asleep', { code: 'asleep' });
  }

  /** The system woke up. */
  resume(): void {
    if (!this.#asleep) return;
    this.#asleep = false;
    if (this.#state === 'stopped') return;
    if (this.#online) this.#resumeNow('the system woke up', { code: 'woke-up' });
    else this.#set('offline', 'no network: waiting for it to come back', { code: 'waiting-for-network' });
  }

  /**
   * Reconnects at once, without backoff, to change what the link announced (a longer MQTT keep-alive).
   * Does nothing unless connected. The reason's words are the caller's; its code is `renegotiating`.
   */
  renegotiate(reason: string): void {
    if (this.#state !== 'connected') return;
    this.#connectedAtMs = undefined;
    this.#reconnects++;
    this.#set('connecting', reason, { code: 'renegotiating' });
    this.#link.open();
  }

  /** Stops for good: no more reconnects. */
  stop(): void {
    this.#clearTimer();
    this.#connectedAtMs = undefined;
    this.#set('stopped', 'stopped', { code: 'stopped' });
  }

  #openOrWait(reason: string, detail: ConnectionStateDetail): void {
    if (this.#asleep) this.#set('suspended', 'the system is asleep', { code: 'asleep' });
    else if (!this.#online) this.#set('offline', 'no network: waiting for it to come back', { code: 'waiting-for-network' });
    else {
      this.#set('connecting', reason, detail);
      this.#link.open();
    }
  }

  #pause(state: 'offline' | 'suspended', reason: string, detail: ConnectionStateDetail): void {
    this.#clearTimer();
    const wasUp = this.#state === 'connected' || this.#state === 'connecting';
    this.#connectedAtMs = undefined;
    this.#set(state, reason, detail);
    if (wasUp) this.#link.drop();
  }

  #resumeNow(reason: string, detail: ConnectionStateDetail): void {
    this.#clearTimer();
    this.#reconnects++;
    this.#set('connecting', `${reason}: reconnecting now`, detail);
    this.#link.open();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #set(state: ConnectionState, reason: string, detail: ConnectionStateDetail): void {
    this.#state = state;
    this.#reason = reason;
    this.#detail = detail;
    this.emit('change', state, reason, detail);
  }
}
