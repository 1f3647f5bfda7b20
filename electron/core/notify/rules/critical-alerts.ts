/**
 * Critical alerts: messages that require acknowledgement are shown again until acknowledged.
 */
import { MIN_ACK_REPEAT_SEC, type CriticalSettings } from './rule-settings.ts';

/**
 * The repeat interval of an alert, in seconds: what the message asks for, never below 30 s, or the
 * configured default when it asks for nothing usable.
 */
export function ackRepeatSec(requestedSec: number | undefined, settings: CriticalSettings): number {
  const chosen = requestedSec !== undefined && Number.isFinite(requestedSec) && requestedSec > 0 ? requestedSec : settings.defaultRepeatSec;
  return Math.max(MIN_ACK_REPEAT_SEC, Math.ceil(chosen));
}

/** An alert that is due to be shown again. */
export interface DueAlert<T> {
  readonly tag: string;
  readonly item: T;
  readonly repeatSec: number;
  /** How many times it has now been repeated (1 the first time). */
  readonly repeats: number;
}

interface Tracked<T> {
  readonly item: T;
  readonly repeatSec: number;
  dueAtMs: number;
  repeats: number;
}

/**
 * The alerts waiting for acknowledgement and when each is next due, on an injected clock.
 *
 * It keeps no timers: the owner asks `nextDueAtMs` to arm one and calls `due` when it fires. An alert
 * is repeated `repeatSec` after it was shown and then `repeatSec` after each repeat; after a long sleep
 * the missed repeats are one repeat, not a burst.
 */
export class CriticalAlerts<T> {
  readonly #now: () => number;
  readonly #tracked = new Map<string, Tracked<T>>();

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Starts (or restarts) repeating the alert with this notification tag; the first repeat is `repeatSec` from now. */
  track(tag: string, repeatSec: number, item: T): void {
    const sec = Math.max(MIN_ACK_REPEAT_SEC, repeatSec);
    this.#tracked.set(tag, { item, repeatSec: sec, dueAtMs: this.#now() + sec * 1000, repeats: 0 });
  }

  /** Stops repeating the alert; true when it was waiting for acknowledgement. */
  acknowledge(tag: string): boolean {
    return this.#tracked.delete(tag);
  }

  /** True while the alert with this tag waits for acknowledgement. */
  isWaiting(tag: string): boolean {
    return this.#tracked.has(tag);
  }

  /** The tags waiting for acknowledgement. */
  get waiting(): readonly string[] {
    return [...this.#tracked.keys()];
  }

  /** When the next alert is due, in epoch ms, or undefined when none waits. */
  nextDueAtMs(): number | undefined {
    let next: number | undefined;
    for (const t of this.#tracked.values()) if (next === undefined || t.dueAtMs < next) next = t.dueAtMs;
    return next;
  }

  /** The alerts due now, in the order they became due; each is next due `repeatSec` from now. */
  due(): DueAlert<T>[] {
    const nowMs = this.#now();
    const due = [...this.#tracked.entries()].filter(([, t]) => t.dueAtMs <= nowMs).sort(([, a], [, b]) => a.dueAtMs - b.dueAtMs);
    return due.map(([tag, t]) => {
      t.repeats += 1;
      t.dueAtMs = nowMs + t.repeatSec * 1000;
      return { tag, item: t.item, repeatSec: t.repeatSec, repeats: t.repeats };
    });
  }
}
