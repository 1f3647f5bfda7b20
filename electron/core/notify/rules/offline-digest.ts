/**
 * The offline digest: a backlog delivered after a reconnect becomes one summary instead of a burst.
 */
import type { Priority } from '../../message/message.ts';
import type { DigestSettings } from './rule-settings.ts';

/** What the digest holds of one message. */
export interface DigestEntry<T> {
  /** The notification tag: a later version of the same message takes the earlier one's place. */
  readonly tag: string;
  readonly priority: Priority;
  readonly silent: boolean;
  readonly sound: boolean;
  readonly item: T;
}

/** The one summary that stands for a backlog. */
export interface DigestSummary {
  /** Every message of the backlog that would have popped up, those shown on their own included. */
  readonly count: number;
  /** Those of priority 4 or 5. */
  readonly highPriority: number;
  /** "23 messages while you were away, 3 high priority". */
  readonly text: string;
  /** True when every held message was silent. */
  readonly silent: boolean;
  /** True when a held message asked for sound. */
  readonly sound: boolean;
}

/** What closing a backlog gives. */
export type DigestOutcome<T> =
  | { readonly kind: 'empty' }
  /** Too few for a digest: show these one by one. */
  | { readonly kind: 'release'; readonly items: readonly T[]; readonly reason: string }
  | { readonly kind: 'digest'; readonly summary: DigestSummary; readonly reason: string };

/** The text of a digest: "23 messages while you were away, 3 high priority". */
export function digestText(count: number, highPriority: number): string {
  const messages = `${count} message${count === 1 ? '' : 's'} while you were away`;
  return highPriority > 0 ? `${messages}, ${highPriority} high priority` : messages;
}

const PRIORITY_BITS = 7;
const SILENT_BIT = 8;
const SOUND_BIT = 16;

/** What the summary needs of a held message whose item is not kept, in one number. */
function pack(priority: Priority, silent: boolean, sound: boolean): number {
  return (priority & PRIORITY_BITS) | (silent ? SILENT_BIT : 0) | (sound ? SOUND_BIT : 0);
}

/**
 * Collects the messages of one backlog window and, when it closes, gives one summary for them.
 *
 * Urgent messages (priority 5) and those requiring acknowledgement are shown one by one as they come
 * and only counted here; every other
 * message that would have popped up is held. Closing gives a digest when the backlog had at least
 * `minMessages` messages, otherwise the held messages to show one by one. The owner decides when a
 * backlog window closes (the source says its backlog is delivered, or a short silence).
 */
export class OfflineDigest<T> {
  readonly #settings: DigestSettings;
  /**
   * Held messages by tag: the entry for the first `minMessages` (see hold), beyond them only what the
   * summary needs, packed in a number (see pack).
   */
  readonly #held = new Map<string, DigestEntry<T> | number>();
  #shownAlone = 0;
  #shownHigh = 0;

  constructor(settings: DigestSettings) {
    this.#settings = settings;
  }

  /** True while messages are held or counted for a digest. */
  get open(): boolean {
    return this.#held.size + this.#shownAlone > 0;
  }

  /** How many messages the digest will count so far. */
  get count(): number {
    return this.#held.size + this.#shownAlone;
  }

  /** Holds a message for the digest; returns how many it counts so far. */
  hold(entry: DigestEntry<T>): number {
    this.#held.delete(entry.tag);
    // Only the first messages can ever be released one by one: beyond `minMessages` the backlog is a
    // digest, so a day's backlog keeps its counts here, not every message.
    this.#held.set(entry.tag, this.#held.size < this.#settings.minMessages ? entry : pack(entry.priority, entry.silent, entry.sound));
    return this.count;
  }

  /**
   * Holds a message as `hold` does when it is sure to keep no item for it (more than `minMessages`
   * are held already), so the caller need not build one; undefined, and nothing held, otherwise: the
   * caller then calls `hold`.
   */
  holdCounted(tag: string, priority: Priority, silent: boolean, sound: boolean): number | undefined {
    if (this.#held.size <= this.#settings.minMessages) return undefined;
    // No delete first, as hold does to move the tag last: the order matters only for entries with an
    // item (released one by one, in order), and this entry has none.
    this.#held.set(tag, pack(priority, silent, sound));
    return this.count;
  }

  /** Counts a message of the backlog that was shown on its own (urgent, or requiring acknowledgement). */
  countShown(priority: Priority): void {
    this.#shownAlone += 1;
    if (priority >= 4) this.#shownHigh += 1;
  }

  /** Forgets a held message (cleared, deleted, or replaced by a version that does not pop up); true if held. */
  drop(tag: string): boolean {
    return this.#held.delete(tag);
  }

  /** Ends the backlog window and starts an empty one. */
  close(): DigestOutcome<T> {
    const held = [...this.#held.values()];
    const shownAlone = this.#shownAlone;
    const shownHigh = this.#shownHigh;
    this.#held.clear();
    this.#shownAlone = 0;
    this.#shownHigh = 0;
    if (held.length === 0) return { kind: 'empty' };
    const count = held.length + shownAlone;
    if (count < this.#settings.minMessages) {
      // An entry held without its item (a larger backlog that shrank through clears) stays in history only.
      const items = held.flatMap((e) => (typeof e === 'number' ? [] : [e.item]));
      return { kind: 'release', items, reason: `backlog of ${count}, fewer than ${this.#settings.minMessages}: shown one by one` };
    }
    let highPriority = shownHigh;
    let silent = true;
    let sound = false;
    for (const e of held) {
      const packed = typeof e === 'number' ? e : pack(e.priority, e.silent, e.sound);
      if ((packed & PRIORITY_BITS) >= 4) highPriority += 1;
      if ((packed & SILENT_BIT) === 0) silent = false;
      if ((packed & SOUND_BIT) !== 0) sound = true;
    }
    const summary: DigestSummary = { count, highPriority, text: digestText(count, highPriority), silent, sound };
    const aloneNote = shownAlone > 0 ? ` (${shownAlone} shown on their own)` : '';
    return { kind: 'digest', summary, reason: `offline digest of ${count} backlog messages${aloneNote}` };
  }
}
