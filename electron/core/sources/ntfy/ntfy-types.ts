import type { Logger } from '../../logger.ts';
import type { Backoff } from '../backoff.ts';
import type { Timers } from '../connection-lifecycle.ts';
import type { ProxyResolver } from '../proxy.ts';

/**
 * The contract between the ntfy-compatible source and the hub. The source speaks ntfy's subscribe API
 * (WebSocket `/<topics>/ws`, falling back to `/<topics>/json` or `/<topics>/sse`); the hub stores.
 */

/** One ntfy event as the source hands it over, validated. Times are epoch seconds, as ntfy sends them. */
export interface NtfyMessage {
  readonly id: string;
  readonly time: number;
  readonly expires: number | undefined;
  readonly topic: string;
  readonly title: string | undefined;
  readonly message: string | undefined;
  readonly priority: 1 | 2 | 3 | 4 | 5 | undefined;
  readonly tags: readonly string[];
  readonly click: string | undefined;
  readonly icon: string | undefined;
  /** ntfy action buttons (view, http, broadcast), kept as ntfy sent them after validation. */
  readonly actions: readonly NtfyAction[];
  readonly attachment: NtfyAttachment | undefined;
  /** Messages with the same sequence id are versions of one message: a later one replaces it. */
  readonly sequenceId: string | undefined;
}

export interface NtfyAction {
  readonly action: 'view' | 'http' | 'broadcast';
  readonly label: string;
  readonly url: string | undefined;
  readonly clear: boolean;
}

/** Attachment metadata only: nothing is downloaded without the user. */
export interface NtfyAttachment {
  readonly name: string;
  readonly type: string | undefined;
  readonly size: number | undefined;
  readonly expires: number | undefined;
  readonly url: string;
}

/**
 * Where the source delivers events. Each call must have committed when it returns: the source moves its
 * `since` cursor past an event only afterwards, so a crash repeats rather than skips.
 */
export interface NtfySink {
  /** A message event; returns false when the hub rejected it (it is then counted, and skipped). */
  message(connectionId: string, message: NtfyMessage): boolean;
  /** message_delete (one message, by `sequenceId` or id) or message_clear (mark read / dismiss). */
  remove(connectionId: string, kind: 'delete' | 'clear', message: NtfyMessage): void;
}

/** Keeps the id of the last event delivered, across restarts (the hub backs it with its store). */
export interface CursorStore {
  load(): string | undefined;
  save(id: string): void;
}

/** How the source reaches the server. */
export type NtfyTransport = 'auto' | 'ws' | 'json' | 'sse';

/** Configuration of one ntfy-compatible connection (validated by the config schema). */
export interface NtfyConnectionOptions {
  readonly id: string;
  /** Base URL of the server: http(s)://host[:port][/path]. */
  readonly url: string;
  readonly topics: readonly string[];
  /** `auto` tries the WebSocket and falls back to the JSON stream after a failed upgrade. */
  readonly transport: NtfyTransport;
  readonly auth: { readonly kind: 'basic'; readonly username: string; readonly password: string } | { readonly kind: 'bearer'; readonly token: string } | undefined;
  readonly maxPayloadBytes: number;
  /** See SourceBase.waitsForNetwork; undefined for the default. */
  readonly waitForNetwork?: boolean | undefined;
}

/** What the source needs from the hub. */
export interface NtfySourceOptions {
  readonly config: NtfyConnectionOptions;
  readonly sink: NtfySink;
  readonly cursor: CursorStore;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly timers?: Timers;
  readonly backoff?: Backoff;
  /** Proxy lookup for the server's URLs; HTTP(S)_PROXY and NO_PROXY by default. */
  readonly proxyFor?: ProxyResolver;
}
