import { useCallback, useEffect, useState, type Dispatch, type SetStateAction } from 'react';
import type { EventName, MethodArgs, MethodName, MethodResult } from '../../electron/api/contract.ts';
import type { ApiClient } from './api-client.ts';

/** The contract's methods that take no arguments (their argument object may be empty). */
export type ArglessMethod = { [M in MethodName]: Record<string, never> extends MethodArgs<M> ? M : never }[MethodName];

/** When a value read from the core is read again. */
export interface CoreCallOptions {
  /** Events after which it is read again at once (the core says the value changed). */
  readonly reloadOn?: readonly EventName[];
  /** Events after which it is read again `refreshDelayMs` later: a burst of them costs one call. */
  readonly refreshOn?: readonly EventName[];
  readonly refreshDelayMs?: number;
}

/** The last answer (undefined until the first), why the last call failed if it did, and a way to set it from elsewhere. */
export interface CoreCallState<T> {
  readonly result: T | undefined;
  readonly error: string | undefined;
  /** Replaces the result (with an update's answer, say) until the next read, and clears `error`. */
  readonly setResult: Dispatch<SetStateAction<T | undefined>>;
}

/**
 * A value the window reads from the core with one argument-less call: read on every (re)connection,
 * again when an event of `reloadOn` arrives, and after a delay for events of `refreshOn`. A failed
 * call keeps the last result and sets `error`; a later answer clears it. Answers that arrive after the
 * component is gone are dropped. `options` is read once, when the component mounts.
 */
export function useCoreCall<M extends ArglessMethod>(api: ApiClient, method: M, options: CoreCallOptions = {}): CoreCallState<MethodResult<M>> {
  const [result, setResult] = useState<MethodResult<M> | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [settings] = useState(options);
  useEffect(() => {
    let closed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      api.call(method, {} as MethodArgs<M>).then(
        (value) => {
          if (closed) return;
          setResult(value);
          setError(undefined);
        },
        (e: Error) => {
          if (!closed) setError(e.message);
        },
      );
    };
    const later = (): void => {
      timer ??= setTimeout(load, settings.refreshDelayMs ?? 0);
    };
    const offs = [
      api.onOpen(load),
      ...(settings.reloadOn ?? []).map((event) => api.on(event, load)),
      ...(settings.refreshOn ?? []).map((event) => api.on(event, later)),
    ];
    return () => {
      closed = true;
      offs.forEach((off) => off());
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [api, method, settings]);
  const replaceResult = useCallback<Dispatch<SetStateAction<MethodResult<M> | undefined>>>((next) => {
    setError(undefined);
    setResult(next);
  }, []);
  return { result, error, setResult: replaceResult };
}
