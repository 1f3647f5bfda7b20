import {
  callErrorSchema,
  events,
  methods,
  serverFrameSchema,
  type EventName,
  type EventPayload,
  type MethodArgs,
  type MethodName,
  type MethodResult,
  type CallError,
} from '../../electron/api/contract.ts';
import type { PreloadBridge } from '../../electron/api/channels.ts';
import i18next from 'i18next';

/** One argument the core found wrong: a dotted path into the call's arguments ("connection.url") and why. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/**
 * A call the core refused or that failed, with the contract's error code ("invalid-arguments",
 * "locked", "failed", "unknown-method") and, for invalid arguments, each wrong field.
 */
export class ApiError extends Error {
  readonly code: CallError['code'];
  readonly fields: readonly FieldError[];
  constructor(code: CallError['code'], message: string, fields: readonly FieldError[] = []) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.fields = fields;
  }
}

/** The field errors of a failed call (none when it was not an ApiError or named no field). */
export function fieldErrors(error: unknown): readonly FieldError[] {
  return error instanceof ApiError ? error.fields : [];
}

/** The outcome shape both shells return for a call. */
type RawOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A failure as the shell sent it, checked against the contract; anything else is a plain failure. */
function toApiError(raw: unknown): ApiError {
  const parsed = callErrorSchema.safeParse(raw);
  if (parsed.success) return new ApiError(parsed.data.code, parsed.data.message, parsed.data.fields ?? []);
  const message = typeof raw === 'object' && raw !== null && typeof (raw as { message?: unknown }).message === 'string' ? (raw as { message: string }).message : i18next.t('api.failed');
  return new ApiError('failed', message);
}

/** The raw channel to the core: Electron's preload bridge or the headless WebSocket. */
export interface Transport {
  call(method: string, args: unknown): Promise<RawOutcome>;
  onEvent(listener: (name: string, payload: unknown) => void): () => void;
  /** Called after every (re)connection, so the UI can reload what it may have missed. */
  onOpen(listener: () => void): () => void;
}

/** The typed client of the UI contract; validates every result and event it receives. */
export interface ApiClient {
  call<M extends MethodName>(method: M, args: MethodArgs<M>): Promise<MethodResult<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  onOpen(listener: () => void): () => void;
}

/** Wraps a transport in the typed, validating client. */
export function createApiClient(transport: Transport): ApiClient {
  return {
    async call(method, args) {
      const outcome = await transport.call(method, args);
      if (!outcome.ok) throw toApiError(outcome.error);
      return methods[method].result.parse(outcome.value) as MethodResult<typeof method>;
    },
    on(event, listener) {
      return transport.onEvent((name, payload) => {
        if (name !== event) return;
        const parsed = events[event].safeParse(payload);
        if (parsed.success) listener(parsed.data as EventPayload<typeof event>);
        else console.warn(`pushdesk: dropped an invalid ${event} event`, parsed.error.issues[0]);
      });
    },
    onOpen: (listener) => transport.onOpen(listener),
  };
}

/** The Electron transport: the preload's bridge over IPC. */
export function preloadTransport(bridge: PreloadBridge): Transport {
  return {
    call: async (method, args) => (await bridge.call(method, args)) as RawOutcome,
    onEvent: (listener) => bridge.onEvent(listener),
    onOpen: (listener) => {
      queueMicrotask(listener);
      return () => {};
    },
  };
}

/**
 * The headless transport: one WebSocket to the bridge (the token travels as its HttpOnly cookie),
 * reconnecting with backoff; calls made while it is down wait for the next connection.
 */
export function webSocketTransport(url: string): Transport {
  const eventListeners = new Set<(name: string, payload: unknown) => void>();
  const openListeners = new Set<() => void>();
  const pending = new Map<number, (outcome: RawOutcome) => void>();
  const waiting: string[] = [];
  let socket: WebSocket | undefined;
  let nextId = 1;
  let retryMs = 250;

  const connect = (): void => {
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      retryMs = 250;
      for (const frame of waiting.splice(0)) ws.send(frame);
      for (const listener of openListeners) listener();
    };
    ws.onmessage = (event) => {
      const parsed = serverFrameSchema.safeParse(JSON.parse(String(event.data)));
      if (!parsed.success) return;
      const frame = parsed.data;
      if (frame.type === 'event') {
        for (const listener of eventListeners) listener(frame.name, frame.payload);
      } else {
        const resolve = pending.get(frame.id);
        pending.delete(frame.id);
        resolve?.(frame.ok ? { ok: true, value: frame.value } : { ok: false, error: frame.error });
      }
    };
    ws.onclose = () => {
      socket = undefined;
      for (const [id, resolve] of pending) {
        resolve({ ok: false, error: { code: 'failed', message: i18next.t('api.connectionLost') } });
        pending.delete(id);
      }
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };
  connect();

  return {
    call(method, args) {
      const id = nextId++;
      const frame = JSON.stringify({ type: 'call', id, method, args });
      return new Promise((resolve) => {
        pending.set(id, resolve);
        if (socket?.readyState === WebSocket.OPEN) socket.send(frame);
        else waiting.push(frame);
      });
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onOpen(listener) {
      openListeners.add(listener);
      if (socket?.readyState === WebSocket.OPEN) queueMicrotask(listener);
      return () => openListeners.delete(listener);
    },
  };
}
