/**
 * Storm control: a token bucket per channel and a global one; beyond them a channel's messages are
 * counted into one summary notification.
 */
import type { StormSettings } from './rule-settings.ts';
import { TokenBucket } from './token-bucket.ts';

/** What storm control does with one notification. */
export type StormVerdict =
  | {
      readonly kind: 'pass';
      /** In words, for logs: `storm control: 4 left in "Builds", 9 overall`. */
      readonly reason: string;
    }
  | {
      readonly kind: 'coalesce';
      readonly channel: string;
      /** Messages counted into the channel's summary since it opened (or was last dismissed). */
      readonly count: number;
      /** The summary's text: "14 new in Build failures". */
      readonly text: string;
      /** True for the message that opened the summary; later ones update it. */
      readonly opened: boolean;
      readonly reason: string;
    };

interface Storm {
  count: number;
  lastAtMs: number;
}

/** The summary text of a storm: "14 new in Build failures". */
export function stormSummaryText(channel: string, count: number): string {
  return `${count} new in ${channel}`;
}

/**
 * Decides, per channel, whether a notification pops up on its own or joins the channel's summary.
 *
 * A notification passes when both the channel's bucket and the global bucket have a token, and takes
 * one from each. Otherwise the channel is in a storm: this and every later message of the channel is
 * counted into its summary, without taking tokens, until `stormEndSec` pass without a message in that
 * channel. Exempt notifications (urgent, or requiring acknowledgement) always pass and take a token
 * from each bucket that has one. Only pop-ups are limited: every message is stored and counted unread
 * whatever happens here.
 */
export class StormControl {
  readonly #settings: StormSettings;
  readonly #now: () => number;
  readonly #global: TokenBucket;
  readonly #channels = new Map<string, TokenBucket>();
  readonly #storms = new Map<string, Storm>();

  constructor(settings: StormSettings, now: () => number) {
    this.#settings = settings;
    this.#now = now;
    this.#global = new TokenBucket({ capacity: settings.globalBurst, refillPerMinute: settings.globalPerMinute, now });
  }

  /** Decides for one notification of `channel`. */
  admit(channel: string, options: { readonly exempt?: boolean } = {}): StormVerdict {
    if (!this.#settings.enabled) return { kind: 'pass', reason: 'storm control off' };
    const bucket = this.#bucket(channel);
    if (options.exempt === true) {
      bucket.take();
      this.#global.take();
      return { kind: 'pass', reason: 'storm control: urgent or awaiting acknowledgement, never coalesced' };
    }
    const nowMs = this.#now();
    const storm = this.#storms.get(channel);
    if (storm !== undefined) {
      if (nowMs - storm.lastAtMs < this.#settings.stormEndSec * 1000) return this.#coalesce(channel, storm, nowMs, 'the storm goes on');
      this.#storms.delete(channel);
    }
    if (bucket.available && this.#global.available) {
      bucket.take();
      this.#global.take();
      return { kind: 'pass', reason: `storm control: ${Math.floor(bucket.tokens)} left in "${channel}", ${Math.floor(this.#global.tokens)} overall` };
    }
    const which = bucket.available
      ? `over the global limit (${this.#settings.globalBurst} at once, ${this.#settings.globalPerMinute} a minute)`
      : `over the limit of "${channel}" (${this.#settings.channelBurst} at once, ${this.#settings.channelPerMinute} a minute)`;
    const opened: Storm = { count: 0, lastAtMs: nowMs };
    this.#storms.set(channel, opened);
    return this.#coalesce(channel, opened, nowMs, which);
  }

  /** The number counted into `channel`'s open summary, or undefined when the channel has no storm. */
  summaryCount(channel: string): number | undefined {
    const storm = this.#storms.get(channel);
    if (storm === undefined || this.#now() - storm.lastAtMs >= this.#settings.stormEndSec * 1000) return undefined;
    return storm.count;
  }

  /** The user dismissed `channel`'s summary: the storm goes on, its count starts again from zero. */
  summaryDismissed(channel: string): void {
    const storm = this.#storms.get(channel);
    if (storm !== undefined) storm.count = 0;
  }

  #coalesce(channel: string, storm: Storm, nowMs: number, why: string): StormVerdict {
    storm.count += 1;
    storm.lastAtMs = nowMs;
    const text = stormSummaryText(channel, storm.count);
    return { kind: 'coalesce', channel, count: storm.count, text, opened: storm.count === 1, reason: `storm control: ${why}; ${text}` };
  }

  #bucket(channel: string): TokenBucket {
    let bucket = this.#channels.get(channel);
    if (bucket === undefined) {
      bucket = new TokenBucket({ capacity: this.#settings.channelBurst, refillPerMinute: this.#settings.channelPerMinute, now: this.#now });
      this.#channels.set(channel, bucket);
    }
    return bucket;
  }
}
