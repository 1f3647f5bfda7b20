/**
 * A token bucket on an injected clock.
 */

/** The bucket's size and refill rate. */
export interface TokenBucketOptions {
  /** The most tokens it holds: how many may pass at once after a quiet spell. */
  readonly capacity: number;
  /** Tokens added per minute, continuously. */
  readonly refillPerMinute: number;
  /** The clock, in epoch ms. */
  readonly now: () => number;
}

// Refills are continuous, so a token may come back as 0.9999999999; this much is a whole token.
const EPSILON = 1e-9;

/**
 * Holds up to `capacity` tokens, starts full and refills continuously; each pass takes one token.
 *
 * A clock that goes backwards adds nothing.
 */
export class TokenBucket {
  readonly #capacity: number;
  readonly #refillPerMinute: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAtMs: number;

  constructor(options: TokenBucketOptions) {
    this.#capacity = options.capacity;
    this.#refillPerMinute = options.refillPerMinute;
    this.#now = options.now;
    this.#tokens = options.capacity;
    this.#updatedAtMs = options.now();
  }

  /** The tokens available now (fractional while refilling). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** True when at least one whole token is available. */
  get available(): boolean {
    return this.tokens >= 1 - EPSILON;
  }

  /** Takes a token if one is available; false (and nothing taken) otherwise. */
  take(): boolean {
    if (!this.available) return false;
    this.#tokens = Math.max(0, this.#tokens - 1);
    return true;
  }

  #refill(): void {
    const nowMs = this.#now();
    const elapsedMs = nowMs - this.#updatedAtMs;
    if (elapsedMs > 0) this.#tokens = Math.min(this.#capacity, this.#tokens + (elapsedMs * this.#refillPerMinute) / 60_000);
    this.#updatedAtMs = Math.max(this.#updatedAtMs, nowMs);
  }
}
