import type { StoredMessage } from '../message/message.ts';
import type { MessageStore, NewItem, ReceiptFor } from './message-store.ts';

/** Schedules a callback soon, after pending I/O (setImmediate in production). */
export type Defer = (callback: () => void) => void;

/**
 * Groups writes into transactions without ever delaying an acknowledgement.
 *
 * Messages nobody waits on (QoS 0) are queued and written together, at `maxBatch` rows or on the next
 * turn of the event loop. A message whose acknowledgement depends on it (QoS 1 and 2) is written
 * with `commit`, which flushes the queue and the message in one transaction before it returns, so
 * order is kept and the caller may acknowledge as soon as it returns.
 */
export class WriteBatcher {
  readonly #store: MessageStore;
  readonly #onCommitted: (added: StoredMessage[]) => void;
  readonly #onQueuedWriteFailed: (error: unknown, lost: number) => void;
  readonly #defer: Defer;
  readonly #maxBatch: number;
  readonly #receiptsFor: ReceiptFor | undefined;
  #queue: NewItem[] = [];
  #scheduled = false;

  constructor(options: {
    store: MessageStore;
    onCommitted: (added: StoredMessage[]) => void;
    onQueuedWriteFailed: (error: unknown, lost: number) => void;
    defer?: Defer;
    maxBatch?: number;
    /** A receipt to queue with each new message, in its transaction (the delivered receipt). */
    receiptsFor?: ReceiptFor;
  }) {
    this.#receiptsFor = options.receiptsFor;
    this.#store = options.store;
    this.#onCommitted = options.onCommitted;
    this.#onQueuedWriteFailed = options.onQueuedWriteFailed;
    this.#defer = options.defer ?? setImmediate;
    this.#maxBatch = options.maxBatch ?? 1000;
  }

  /** Queues a message whose sender waits for no acknowledgement. */
  enqueue(message: NewItem): void {
    this.#queue.push(message);
    if (this.#queue.length >= this.#maxBatch) {
      this.#flushQueued();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      this.#defer(() => {
        this.#scheduled = false;
        this.#flushQueued();
      });
    }
  }

  /**
   * Writes the queue and `message` in one transaction.
   *
   * @throws the store's error; nothing of this call is then committed and the caller must not acknowledge.
   */
  commit(message: NewItem): void {
    const queued = this.#queue;
    this.#queue = [];
    let added: StoredMessage[];
    try {
      added = this.#store.insertBatch([...queued, message], this.#receiptsFor);
    } catch (error) {
      this.#queue = queued.concat(this.#queue);
      throw error;
    }
    this.#onCommitted(added);
  }

  /** Writes whatever is queued now. */
  flush(): void {
    this.#flushQueued();
  }

  #flushQueued(): void {
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    let added: StoredMessage[];
    try {
      added = this.#store.insertBatch(batch, this.#receiptsFor);
    } catch (error) {
      this.#onQueuedWriteFailed(error, batch.length);
      return;
    }
    this.#onCommitted(added);
  }
}
