import { PRELOAD_GLOBAL, type PreloadBridge } from '../../electron/api/channels.ts';
import { prepareFormats } from './format.ts';
import { effectiveLanguage, storedLanguageSetting } from './language.ts';

/**
 * The window's first move, made before React, i18next and the contract's schemas are loaded: it reaches
 * the core and asks for what the History screen shows first (the newest page and the connections), so
 * the answers travel while the rest of the window's code is fetched and run. The transport
 * (api-client.ts) then takes over the connection and those answers: it validates them like any other
 * (nothing here trusts or interprets what the core sends).
 *
 * Headless, that is the bridge's WebSocket (its token travels as the HttpOnly cookie, as for any
 * socket of the page); in Electron, the preload's IPC bridge. Imports nothing but names and the
 * language and format helpers, so it stays a few kilobytes.
 */

/** How many messages a page of history holds. */
export const PAGE_SIZE = 100;

/** The calls the window makes first on every connection (useHubState's reload), asked for here ahead of time. */
const FIRST_CALLS: readonly (readonly [method: string, args: unknown])[] = [
  ['listMessages', { limit: PAGE_SIZE }],
  ['getStatus', {}],
];

/** The same method with the same arguments: a call the transport may answer with an early result. */
export function callKey(method: string, args: unknown): string {
  return `${method} ${JSON.stringify(args)}`;
}

/** The WebSocket opened early and what it received so far; for webSocketTransport to take over. */
export interface EarlySocket {
  readonly socket: WebSocket;
  /** The early calls' ids, by callKey; the transport numbers its own calls after them. */
  readonly calls: ReadonlyMap<string, number>;
  /** Stops collecting frames and returns those received so far, in order. */
  take(): string[];
}

/** The IPC bridge's early calls and the events it received so far; for preloadTransport to take over. */
export interface EarlyBridge {
  readonly bridge: PreloadBridge;
  readonly calls: ReadonlyMap<string, Promise<unknown>>;
  /** Stops collecting events and returns those received so far, in order. */
  take(): [string, unknown][];
}

export type EarlyConnection = { readonly kind: 'socket'; readonly early: EarlySocket } | { readonly kind: 'bridge'; readonly early: EarlyBridge };

/** The address of the headless bridge's WebSocket, on the page's own host. */
export function bridgeSocketUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

/** Builds the formats of the language the window will open in (see prepareFormats), in a task of its own. */
function prepareFormatsSoon(): void {
  setTimeout(() => prepareFormats(effectiveLanguage(storedLanguageSetting())), 0);
}

function openSocket(url: string): EarlySocket {
  const socket = new WebSocket(url);
  const frames: string[] = [];
  const calls = new Map<string, number>();
  const sent: string[] = [];
  FIRST_CALLS.forEach(([method, args], i) => {
    calls.set(callKey(method, args), i + 1);
    sent.push(JSON.stringify({ type: 'call', id: i + 1, method, args }));
  });
  const collect = (event: MessageEvent): void => {
    frames.push(String(event.data));
  };
  socket.addEventListener('message', collect);
  socket.addEventListener(
    'open',
    () => {
      for (const frame of sent) socket.send(frame);
      prepareFormatsSoon(); // while the core answers
    },
    { once: true },
  );
  return {
    socket,
    calls,
    take() {
      socket.removeEventListener('message', collect);
      return frames.splice(0);
    },
  };
}

function callBridge(bridge: PreloadBridge): EarlyBridge {
  const events: [string, unknown][] = [];
  const off = bridge.onEvent((name, payload) => events.push([name, payload]));
  const calls = new Map<string, Promise<unknown>>();
  for (const [method, args] of FIRST_CALLS) {
    const result = bridge.call(method, args);
    result.catch(() => {}); // a failure is the transport's to report, once the window asks
    calls.set(callKey(method, args), result);
  }
  prepareFormatsSoon(); // while the core answers
  return {
    bridge,
    calls,
    take() {
      off();
      return events.splice(0);
    },
  };
}

/**
 * Starts the connection and, while the answers travel, the date and number formats. Called once, by
 * main.tsx, before anything else of the window is loaded.
 */
export function startEarlyConnection(): EarlyConnection {
  const bridge = (window as unknown as Record<string, PreloadBridge | undefined>)[PRELOAD_GLOBAL];
  return bridge ? { kind: 'bridge', early: callBridge(bridge) } : { kind: 'socket', early: openSocket(bridgeSocketUrl()) };
}
