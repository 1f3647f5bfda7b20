import { useEffect, useMemo, useRef, useState } from 'react';
import type { MethodArgs, UiMessage } from '../../electron/api/contract.ts';
import type { ApiClient } from './api-client.ts';
import { frameScheduler } from './frame-batch.ts';
import { PAGE_SIZE } from './use-hub-state.ts';

/** How far back the time filter reaches. */
export type SinceRange = 'all' | 'hour' | 'day' | 'week';

const SINCE_MS: Record<SinceRange, number | undefined> = { all: undefined, hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 };

/** The search box and filters of the history. */
export interface HistoryFilters {
  readonly text: string;
  /** '' for all channels. */
  readonly channel: string;
  /** 1 for any priority. */
  readonly minPriority: number;
  readonly unreadOnly: boolean;
  readonly since: SinceRange;
}

/** No words, no filters: the live history. */
export const NO_FILTERS: HistoryFilters = { text: '', channel: '', minPriority: 1, unreadOnly: false, since: 'all' };

/** Whether the filters ask for anything other than the live history. */
export function isFiltering(f: HistoryFilters): boolean {
  return f.text.trim() !== '' || f.channel !== '' || f.minPriority > 1 || f.unreadOnly || f.since !== 'all';
}

/** The searchMessages arguments for filters; the time range is counted back from nowMs. */
export function searchArgs(f: HistoryFilters, nowMs: number, beforeSeq?: number): MethodArgs<'searchMessages'> {
  const sinceMs = SINCE_MS[f.since];
  return {
    limit: PAGE_SIZE,
    ...(f.text.trim() === '' ? {} : { text: f.text.trim().slice(0, 500) }),
    ...(f.channel === '' ? {} : { channel: f.channel }),
    ...(f.minPriority > 1 ? { minPriority: f.minPriority } : {}),
    ...(f.unreadOnly ? { unreadOnly: true } : {}),
    ...(sinceMs === undefined ? {} : { sinceMs: Math.max(0, nowMs - sinceMs) }),
    ...(beforeSeq === undefined ? {} : { beforeSeq }),
  };
}

/** Search results: newest first, with the words to highlight. */
export interface SearchState {
  readonly messages: readonly UiMessage[];
  readonly terms: readonly string[];
  readonly nextBeforeSeq: number | null;
  readonly loading: boolean;
  readonly error: string | undefined;
}

const EMPTY: SearchState = { messages: [], terms: [], nextBeforeSeq: null, loading: false, error: undefined };

/**
 * Runs a search whenever the (already debounced) filters change, and pages further back by keyset.
 *
 * A response to an older query is dropped, so fast typing never shows stale results. Updates to
 * messages in the results (read, acknowledged, removed) are applied once per animation frame.
 */
export function useHistorySearch(api: ApiClient, filters: HistoryFilters): [SearchState, { loadMore(): void }] {
  const [state, setState] = useState<SearchState>(EMPTY);
  const generation = useRef(0);
  const stateRef = useRef(state);
  stateRef.current = state;
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const active = isFiltering(filters);
  // The time range is counted from when the search ran, so later pages use the same range.
  const searchedAtMs = useRef(0);
  const loadingMore = useRef(false);

  useEffect(() => {
    const current = ++generation.current;
    if (!active) {
      setState(EMPTY);
      return;
    }
    setState((s) => ({ ...s, loading: true, error: undefined }));
    searchedAtMs.current = Date.now();
    api.call('searchMessages', searchArgs(filters, searchedAtMs.current)).then(
      (page) => {
        if (current !== generation.current) return;
        setState({ messages: page.messages, terms: page.terms, nextBeforeSeq: page.nextBeforeSeq, loading: false, error: undefined });
      },
      (error: Error) => {
        if (current === generation.current) setState({ ...EMPTY, error: error.message });
      },
    );
  }, [api, active, filters]);

  useEffect(() => {
    let updated = new Map<number, UiMessage>();
    let removed = new Set<number>();
    const frames = frameScheduler(() => {
      const u = updated;
      const r = removed;
      updated = new Map();
      removed = new Set();
      setState((s) => {
        if (s.messages.length === 0) return s;
        return { ...s, messages: s.messages.filter((m) => !r.has(m.seq)).map((m) => u.get(m.seq) ?? m) };
      });
    });
    const schedule = frames.schedule;
    const offs = [
      api.on('messageUpdated', (p) => {
        updated.set(p.message.seq, p.message);
        schedule();
      }),
      api.on('messagesRemoved', (p) => {
        for (const seq of p.seqs) removed.add(seq);
        schedule();
      }),
    ];
    return () => {
      offs.forEach((off) => off());
      frames.cancel();
    };
  }, [api]);

  const actions = useMemo(
    () => ({
      loadMore(): void {
        const s = stateRef.current;
        if (loadingMore.current || s.loading || s.nextBeforeSeq === null || !isFiltering(filtersRef.current)) return;
        const current = generation.current;
        loadingMore.current = true;
        setState((x) => ({ ...x, loading: true }));
        api
          .call('searchMessages', searchArgs(filtersRef.current, searchedAtMs.current, s.nextBeforeSeq))
          .finally(() => {
            loadingMore.current = false;
          })
          .then(
          (page) => {
            if (current !== generation.current) return;
            setState((x) => {
              const known = new Set(x.messages.map((m) => m.seq));
              return {
                messages: [...x.messages, ...page.messages.filter((m) => !known.has(m.seq))],
                terms: x.terms,
                nextBeforeSeq: page.nextBeforeSeq,
                loading: false,
                error: undefined,
              };
            });
          },
          (error: Error) => {
            if (current === generation.current) setState((x) => ({ ...x, loading: false, error: error.message }));
          },
        );
      },
    }),
    [api],
  );
  return [state, actions];
}
