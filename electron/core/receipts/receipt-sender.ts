import type { Logger } from '../logger.ts';
import type { MessageStore, OutboxReceipt } from '../store/message-store.ts';

/** How one connection delivers a receipt; `send` resolves once the broker or server confirmed it. */
export interface ReceiptTransport {
  /** Whether the connection is up, so sending has a chance. */
  ready(): boolean;
  send(receipt: OutboxReceipt): Promise<void>;
}

/** The longest wait for a confirmation before an attempt counts as failed, in ms. */
const SEND_TIMEOUT_MS = 10_000;

/** Wait before the next attempt after `attempts` failures: 1 s doubling up to 60 s. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.min(attempts, 6));
}

/**
 * Drains one connection's receipt outbox: sends due receipts in order while the connection is up,
 * deletes each once it is confirmed (PUBACK, HTTP 2xx) and reschedules a failed one with backoff.
 *
 * A receipt that was sent but not confirmed before a crash is sent again after the restart with the
 * same receipt id, so the receiver can drop the copy.
 */
export class ReceiptSender {
  readonly #store: MessageStore;
  readonly #connectionId: string;
  readonly #transport: ReceiptTransport;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #onConfirmed: (receiptId: string) => void;
  #draining = false;
  #again = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: {
    store: MessageStore;
    connectionId: string;
    transport: ReceiptTransport;
    logger: Logger;
    now?: () => number;
    onConfirmed?: (receiptId: string) => void;
  }) {
    this.#store = options.store;
    this.#connectionId = options.connectionId;
    this.#transport = options.transport;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#onConfirmed = options.onConfirmed ?? (() => {});
  }

  /** Sends what is due now (call after queuing a receipt and when the connection comes up). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#draining) {
      this.#again = true;
      return;
    }
    void this.#drain();
  }

  /** Stops sending; what is left stays in the outbox for the next start. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      do {
        this.#again = false;
        while (!this.#stopped && this.#transport.ready()) {
          const due = this.#store.dueReceipts(this.#connectionId, this.#now(), 20);
          if (due.length === 0) break;
          for (const receipt of due) {
            if (this.#stopped || !this.#transport.ready()) break;
            await this.#sendOne(receipt);
          }
        }
      } while (this.#again && !this.#stopped);
    } finally {
      this.#draining = false;
    }
    this.#scheduleRetry();
  }

  async #sendOne(receipt: OutboxReceipt): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#transport.send(receipt),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no confirmation within ${SEND_TIMEOUT_MS / 1000} s`)), SEND_TIMEOUT_MS);
        }),
      ]);
      if (this.#stopped) return;
      this.#store.receiptConfirmed(receipt.receiptId);
      this.#onConfirmed(receipt.receiptId);
    } catch (error) {
      if (this.#stopped) return;
      const message = (error as Error).message;
      this.#store.receiptFailed(receipt.receiptId, this.#now() + retryDelayMs(receipt.attempts), message);
      if (receipt.attempts === 0) {
        this.#logger.warn('receipt not confirmed yet; it stays queued and is retried', {
          connection: this.#connectionId,
          receiptId: receipt.receiptId,
          error: message,
        });
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #scheduleRetry(): void {
    clearTimeout(this.#timer);
    // While the connection is down nothing is due: its coming up kicks the sender.
    if (this.#stopped || !this.#transport.ready()) return;
    const next = this.#store.nextReceiptAttempt(this.#connectionId);
    if (next === undefined) return;
    this.#timer = setTimeout(() => this.kick(), Math.max(50, next - this.#now()));
    this.#timer.unref();
  }
}
