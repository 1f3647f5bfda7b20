/**
 * Names and shapes the Electron preload needs. Kept apart from contract.ts so the sandboxed preload
 * bundles no schema library: the main process validates every call.
 */

/** The name under which the Electron preload exposes the transport to the page. */
export const PRELOAD_GLOBAL = 'pushdeskBridge';

/** Electron IPC channel names used by the binding. */
export const IPC_CALL_CHANNEL = 'pushdesk:call';
export const IPC_EVENT_CHANNEL = 'pushdesk:event';

/**
 * What the preload exposes on `window[PRELOAD_GLOBAL]`: the raw transport, validated by the client.
 */
export interface PreloadBridge {
  call(method: string, args: unknown): Promise<unknown>;
  onEvent(listener: (name: string, payload: unknown) => void): () => void;
}
