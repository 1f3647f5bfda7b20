import './zod-setup.ts';
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
import { callKey, type EarlyBridge, type EarlySocket } from './early-connection.ts';

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

type AnyListener = (payload: unknown) => void;

/**
 * Wraps a transport in the typed, validating client.
 *
 * Each event is validated once, however many parts of the window listen to it (messagesAdded has
 * several), and only when someone listens. With `replayEarly` (the transport took over a connection
 * opened before the window was drawn, see early-connection.ts), the events received until the window's
 * listeners are in place are kept and handed to each listener as it subscribes: they may be newer than
 * the early results the window starts from. Keeping stops a task after the first subscription (the
 * window subscribes in one pass of effects).
 */
export function createApiClient(transport: Transport, options: { replayEarly?: boolean } = {}): ApiClient {
  const listeners = new Map<string, Set<AnyListener>>();
  let backlog: [string, unknown][] | undefined = options.replayEarly === true ? [] : undefined;
  let backlogEnds: ReturnType<typeof setTimeout> | undefined;
  transport.onEvent((name, payload) => {
    if (!Object.hasOwn(events, name)) return;
    const wanted = listeners.get(name);
    if (backlog === undefined && (wanted === undefined || wanted.size === 0)) return;
    const parsed = events[name as EventName].safeParse(payload);
    if (!parsed.success) {
      console.warn(`pushdesk: dropped an invalid ${name} event`, parsed.error.issues[0]);
      return;
    }
    backlog?.push([name, parsed.data]);
    if (wanted) for (const listener of [...wanted]) listener(parsed.data);
  });
  return {
    async call(method, args) {
      const outcome = await transport.call(method, args);
      if (!outcome.ok) throw toApiError(outcome.error);
      return methods[method].result.parse(outcome.value) as MethodResult<typeof method>;
    },
    on(event, listener) {
      const own = listener as AnyListener;
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(own);
      if (backlog !== undefined) {
        for (const [name, payload] of backlog) if (name === event) own(payload);
        backlogEnds ??= setTimeout(() => {
          backlog = undefined;
        }, 0);
      }
      return () => {
        set.delete(own);
      };
    },
    onOpen: (listener) => transport.onOpen(listener),
  };
}

/** Hands events to the transport's listeners; those that come before the first listener wait for it. */
function eventRelay(): { emit(name: string, payload: unknown): void; add(listener: (name: string, payload: unknown) => void): () => void } {
  const listeners = new Set<(name: string, payload: unknown) => void>();
  let waiting: [string, unknown][] | undefined = [];
  return {
    emit(name, payload) {
      if (waiting !== undefined) waiting.push([name, payload]);
      else for (const listener of listeners) listener(name, payload);
    },
    add(listener) {
      listeners.add(listener);
      if (waiting !== undefined) {
        const early = waiting;
        waiting = undefined;
        for (const [name, payload] of early) listener(name, payload);
      }
      return () => listeners.delete(listener);
    },
  };
}

/**
 * The Electron transport: the preload's bridge over IPC. With `early`, it takes over the calls and
 * events of early-connection.ts.
 */
export function preloadTransport(bridge: PreloadBridge, early?: EarlyBridge): Transport {
  const relay = eventRelay();
  bridge.onEvent((name, payload) => relay.emit(name, payload));
  const prefetched = new Map(early?.calls ?? []);
  for (const [name, payload] of early?.take() ?? []) relay.emit(name, payload);
  return {
    call: async (method, args) => {
      const key = callKey(method, args);
      const answer = prefetched.get(key);
      prefetched.delete(key);
      return (await (answer ?? bridge.call(method, args))) as RawOutcome;
    },
    onEvent: (listener) => relay.add(listener),
    onOpen: (listener) => {
      queueMicrotask(listener);
      return () => {};
    },
  };
}

/**
 * The headless transport: one WebSocket to the bridge (the token travels as its HttpOnly cookie),
 * reconnecting with backoff; calls made while it is down wait for the next connection. With `early`,
 * its first connection is the socket early-connection.ts opened: the frames received so far are
 * handled as if they had just arrived, and the early calls answer the window's first identical calls.
 */
export function webSocketTransport(url: string, early?: EarlySocket): Transport {
  const relay = eventRelay();
  const openListeners = new Set<() => void>();
  const pending = new Map<number, (outcome: RawOutcome) => void>();
  /** Early calls' answers, by callKey, until the window asks for them (first connection only). */
  const prefetched = new Map<string, Promise<RawOutcome>>();
  const waiting: string[] = [];
  let socket: WebSocket | undefined;
  let nextId = 1;
  let retryMs = 250;

  const receive = (data: string): void => {
    let raw: unknown;
    try {
      raw = JSON.parse(data);
    } catch {
      return;
    }
    const parsed = serverFrameSchema.safeParse(raw);
    if (!parsed.success) return;
    const frame = parsed.data;
    if (frame.type === 'event') {
      relay.emit(frame.name, frame.payload);
    } else {
      const resolve = pending.get(frame.id);
      pending.delete(frame.id);
      resolve?.(frame.ok ? { ok: true, value: frame.value } : { ok: false, error: frame.error });
    }
  };

  const attach = (ws: WebSocket): void => {
    socket = ws;
    ws.onopen = () => {
      retryMs = 250;
      for (const frame of waiting.splice(0)) ws.send(frame);
      for (const listener of openListeners) listener();
    };
    ws.onmessage = (event) => receive(String(event.data));
    ws.onclose = () => {
      socket = undefined;
      prefetched.clear();
      for (const [id, resolve] of pending) {
        resolve({ ok: false, error: { code: 'failed', message: i18next.t('api.connectionLost') } });
        pending.delete(id);
      }
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };
  const connect = (): void => attach(new WebSocket(url));

  if (early && early.socket.readyState !== WebSocket.CLOSED) {
    for (const [key, id] of early.calls) {
      prefetched.set(key, new Promise((resolve) => pending.set(id, resolve)));
      nextId = Math.max(nextId, id + 1);
    }
    attach(early.socket);
    for (const data of early.take()) receive(data);
  } else {
    early?.take();
    connect();
  }

  return {
    call(method, args) {
      const key = callKey(method, args);
      const answer = prefetched.get(key);
      if (answer) {
        prefetched.delete(key);
        return answer;
      }
      const id = nextId++;
      const frame = JSON.stringify({ type: 'call', id, method, args });
      return new Promise((resolve) => {
        pending.set(id, resolve);
        if (socket?.readyState === WebSocket.OPEN) socket.send(frame);
        else waiting.push(frame);
      });
    },
    onEvent: (listener) => relay.add(listener),
    onOpen(listener) {
      openListeners.add(listener);
      if (socket?.readyState === WebSocket.OPEN) queueMicrotask(listener);
      return () => openListeners.delete(listener);
    },
  };
}
