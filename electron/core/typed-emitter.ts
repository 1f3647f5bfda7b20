import { EventEmitter } from 'node:events';

/**
 * An EventEmitter whose event names and listener arguments come from an event map.
 *
 * Listeners and emitters share one type, so they cannot drift apart.
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  readonly #emitter = new EventEmitter();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): () => void {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return () => this.#emitter.off(event, listener as (...args: unknown[]) => void);
  }

  /** Calls each listener of `event` in turn. */
  emit<K extends keyof Events & string>(event: K, ...args: Events[K]): void {
    this.#emitter.emit(event, ...args);
  }
}
