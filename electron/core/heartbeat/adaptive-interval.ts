/**
 * Learns the longest heartbeat interval a network tolerates (adaptive mode, on battery).
 *
 * Carrier and home NATs drop idle TCP mappings after anything from 30 s to many minutes. Starting at the
 * battery minimum, each run of `successesToGrow` heartbeats answered at the current interval lengthens
 * it by `stepSec`, up to the maximum; a link that died while idle shortens it to the last interval that
 * worked, and that becomes a ceiling for this network. What was learned is kept per network.
 */
export interface AdaptiveOptions {
  readonly minSec: number;
  readonly maxSec: number;
  readonly stepSec: number;
  readonly successesToGrow: number;
}

/** The learned state for one network, as stored. */
export interface LearnedInterval {
  readonly intervalSec: number;
  /** An interval known to fail on this network, if one did. */
  readonly failedAtSec: number | undefined;
}

/** Answered idle heartbeats after which a remembered failure is forgotten (about a day on battery). */
const FAILURE_MEMORY = 300;

/** One network's learner. */
export class AdaptiveInterval {
  readonly #options: AdaptiveOptions;
  #intervalSec: number;
  #failedAtSec: number | undefined;
  #successes = 0;
  #successesSinceFailure = 0;

  constructor(options: AdaptiveOptions, learned?: LearnedInterval) {
    this.#options = options;
    this.#intervalSec = Math.min(options.maxSec, Math.max(options.minSec, learned?.intervalSec ?? options.minSec));
    this.#failedAtSec = learned?.failedAtSec;
  }

  /** The interval to use now, in seconds. */
  get intervalSec(): number {
    return this.#intervalSec;
  }

  /** What to store for this network. */
  get learned(): LearnedInterval {
    return { intervalSec: this.#intervalSec, failedAtSec: this.#failedAtSec };
  }

  /**
   * A heartbeat sent after `idleSec` of silence was answered.
   *
   * @returns true when the interval changed.
   */
  succeeded(idleSec: number): boolean {
    if (idleSec < this.#intervalSec) return false; // traffic kept the link busy: proves nothing about idle
    this.#successes++;
    // A remembered failure expires after many answered heartbeats: a NAT may have been replaced.
    if (this.#failedAtSec !== undefined && ++this.#successesSinceFailure >= FAILURE_MEMORY) this.#failedAtSec = undefined;
    if (this.#successes < this.#options.successesToGrow) return false;
    this.#successes = 0;
    const ceiling = this.#failedAtSec === undefined ? this.#options.maxSec : Math.min(this.#options.maxSec, this.#failedAtSec - this.#options.stepSec);
    const next = Math.min(ceiling, this.#intervalSec + this.#options.stepSec);
    if (next <= this.#intervalSec) return false;
    this.#intervalSec = next;
    return true;
  }

  /**
   * The link died while idle at the current interval: step back and remember the failure.
   *
   * @returns true when the interval changed.
   */
  failed(idleSec: number = this.#intervalSec): boolean {
    // A link that died after less silence than the interval says nothing about the interval.
    if (idleSec < this.#intervalSec) return false;
    this.#successes = 0;
    this.#failedAtSec = this.#intervalSec;
    this.#successesSinceFailure = 0;
    const next = Math.max(this.#options.minSec, this.#intervalSec - this.#options.stepSec);
    if (next === this.#intervalSec) return false;
    this.#intervalSec = next;
    return true;
  }
}
