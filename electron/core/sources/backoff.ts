/**
 * Reconnect delays with "full jitter": a random delay between 0 and min(cap, base x 2^attempt).
 *
 * Full jitter spreads the reconnects of many desktops after a broker restart instead of letting them
 * arrive in waves (see the AWS architecture note "Exponential Backoff And Jitter"). The attempt count
 * resets once a connection has stayed up for `resetAfterMs`.
 */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
  readonly resetAfterMs: number;
  /** A number in [0, 1); Math.random in production, a fixed sequence in tests. */
  readonly random?: () => number;
}

/** The defaults: base 1 s, cap 60 s, reset after 60 s connected. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, capMs: 60_000, resetAfterMs: 60_000 };

/** Tracks attempts for one connection and hands out the next delay. */
export class Backoff {
  #options: BackoffOptions;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = DEFAULT_BACKOFF) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
  }

  /** Changes the base and the cap (a new power profile); the attempt count is kept. */
  setBounds(bounds: { baseMs: number; capMs: number }): void {
    this.#options = { ...this.#options, baseMs: bounds.baseMs, capMs: bounds.capMs };
  }

  /** The current base and cap, in ms. */
  get bounds(): { baseMs: number; capMs: number } {
    return { baseMs: this.#options.baseMs, capMs: this.#options.capMs };
  }

  /** How many delays have been handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The upper bound of the next delay, in ms. */
  ceilingMs(): number {
    return Math.min(this.#options.capMs, this.#options.baseMs * 2 ** Math.min(this.#attempt, 30));
  }

  /** The next delay in ms; each call counts as one attempt. */
  nextDelayMs(): number {
    const delay = Math.floor(this.#random() * this.ceilingMs());
    this.#attempt++;
    return delay;
  }

  /**
   * Called when a connection drops after being up for `upForMs`: a connection that stayed up long
   * enough starts again from the base delay.
   */
  connectionLost(upForMs: number): void {
    if (upForMs >= this.#options.resetAfterMs) this.#attempt = 0;
  }
}
