import { useEffect, useMemo, useReducer, useRef } from 'react';
import type { UiConnectionStatus, UiMessage } from '../../electron/api/contract.ts';
import type { ApiClient } from './api-client.ts';
import { frameScheduler } from './frame-batch.ts';

/** How many messages a page of history holds. */
export const PAGE_SIZE = 100;

/** What the window shows, newest message first. */
export interface HubState {
  readonly messages: readonly UiMessage[];
  readonly connections: readonly UiConnectionStatus[];
  readonly hasOlder: boolean;
  readonly error: string | undefined;
  /** The core's word that the message store was replaced at start, if it was. */
  readonly storeNotice?: string | undefined;
  /** The message a clicked notification asked to show. */
  readonly focusSeq?: number | undefined;
}

type Action =
  | { type: 'reset'; messages: UiMessage[]; connections: UiConnectionStatus[]; storeNotice: string | null }
  | { type: 'older'; messages: UiMessage[] }
  | { type: 'events'; added: UiMessage[]; updated: UiMessage[]; removed: number[]; connections: UiConnectionStatus[] }
  | { type: 'statuses'; connections: UiConnectionStatus[] }
  | { type: 'error'; message: string }
  | { type: 'focus'; seq: number };

function mergeNewestFirst(current: readonly UiMessage[], incoming: readonly UiMessage[]): UiMessage[] {
  const bySeq = new Map<number, UiMessage>();
  for (const m of current) bySeq.set(m.seq, m);
  for (const m of incoming) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => b.seq - a.seq);
}

function reducer(state: HubState, action: Action): HubState {
  switch (action.type) {
    case 'reset':
      return {
        messages: action.messages,
        connections: action.connections,
        hasOlder: action.messages.length === PAGE_SIZE,
        error: undefined,
        storeNotice: action.storeNotice ?? undefined,
      };
    case 'older':
      return { ...state, messages: mergeNewestFirst(state.messages, action.messages), hasOlder: action.messages.length === PAGE_SIZE };
    case 'events': {
      let messages = state.messages;
      if (action.added.length > 0 || action.updated.length > 0) {
        const known = new Set(messages.map((m) => m.seq));
        const updated = action.updated.filter((m) => known.has(m.seq));
        messages = mergeNewestFirst(messages, [...action.added, ...updated]);
      }
      if (action.removed.length > 0) {
        const removed = new Set(action.removed);
        messages = messages.filter((m) => !removed.has(m.seq));
      }
      let connections = state.connections;
      for (const c of action.connections) {
        connections = connections.some((x) => x.id === c.id) ? connections.map((x) => (x.id === c.id ? c : x)) : [...connections, c];
      }
      return { ...state, messages, connections };
    }
    case 'statuses':
      return { ...state, connections: action.connections };
    case 'error':
      return { ...state, error: action.message };
    case 'focus':
      return { ...state, focusSeq: action.seq };
  }
}

/** What the window can ask of the live history; the same functions for the hook's lifetime. */
export interface HubActions {
  /** Loads the next page of older messages (ignored while one is already loading). */
  loadOlder(): void;
  markRead(seq: number): void;
  choose(seq: number, actionId: string): void;
  /** Applies messages changed by a call (a search result marked read, say) to the live history. */
  applyUpdates(updated: UiMessage[]): void;
}

/**
 * Keeps the window's state in step with the core.
 *
 * Events are gathered and applied at most once per animation frame, so a burst of messages costs one
 * render, not one per message (unless the page runs with `?batching=off`, see frame-batch.ts).
 */
export function useHubState(api: ApiClient): [HubState, HubActions] {
  const [state, dispatch] = useReducer(reducer, { messages: [], connections: [], hasOlder: false, error: undefined });
  // The actions read the latest messages through a ref, so they stay the same functions across renders
  // (memoised rows would otherwise all re-render whenever a message arrives).
  const messagesRef = useRef(state.messages);
  messagesRef.current = state.messages;
  const loadingOlder = useRef(false);

  useEffect(() => {
    let added: UiMessage[] = [];
    let updated: UiMessage[] = [];
    let removed: number[] = [];
    let connections: UiConnectionStatus[] = [];
    const frames = frameScheduler(() => {
      const batch = { added, updated, removed, connections };
      added = [];
      updated = [];
      removed = [];
      connections = [];
      dispatch({ type: 'events', ...batch });
    });
    const schedule = frames.schedule;
    const reload = (): void => {
      Promise.all([api.call('listMessages', { limit: PAGE_SIZE }), api.call('getStatus', {})]).then(
        ([page, status]) => dispatch({ type: 'reset', messages: page.messages, connections: status.connections, storeNotice: status.storeNotice }),
        (error: Error) => dispatch({ type: 'error', message: error.message }),
      );
    };
    const offs = [
      api.onOpen(reload),
      api.on('messagesAdded', (p) => {
        added.push(...p.messages);
        schedule();
      }),
      api.on('messageUpdated', (p) => {
        updated.push(p.message);
        schedule();
      }),
      api.on('messagesRemoved', (p) => {
        removed.push(...p.seqs);
        schedule();
      }),
      api.on('openMessage', (p) => dispatch({ type: 'focus', seq: p.seq })),
      api.on('connectionChanged', (p) => {
        connections.push(p.connection);
        schedule();
      }),
      // Connections were added or removed: their states are read again (a removed one has no more events).
      api.on('connectionsChanged', () => {
        api.call('getStatus', {}).then(
          (status) => dispatch({ type: 'statuses', connections: status.connections }),
          () => {}, // the next event or reconnection brings them
        );
      }),
    ];
    return () => {
      offs.forEach((off) => off());
      frames.cancel();
    };
  }, [api]);

  const actions = useMemo<HubActions>(() => ({
    loadOlder(): void {
      const oldest = messagesRef.current.at(-1);
      if (!oldest || loadingOlder.current) return;
      loadingOlder.current = true;
      api
        .call('listMessages', { beforeSeq: oldest.seq, limit: PAGE_SIZE })
        .then(
          (page) => dispatch({ type: 'older', messages: page.messages }),
          (error: Error) => dispatch({ type: 'error', message: error.message }),
        )
        .finally(() => {
          loadingOlder.current = false;
        });
    },
    choose(seq: number, actionId: string): void {
      const done = actionId === 'acknowledge' ? api.call('acknowledge', { seq }).then((r) => [r.message]) : api.call('chooseAction', { seq, actionId }).then(() => []);
      done.then(
        (updated) => dispatch({ type: 'events', added: [], updated, removed: [], connections: [] }),
        (error: Error) => dispatch({ type: 'error', message: error.message }),
      );
    },
    markRead(seq: number): void {
      api.call('markRead', { seq }).then(
        (result) => dispatch({ type: 'events', added: [], updated: [result.message], removed: [], connections: [] }),
        (error: Error) => dispatch({ type: 'error', message: error.message }),
      );
    },
    applyUpdates(updated: UiMessage[]): void {
      if (updated.length > 0) dispatch({ type: 'events', added: [], updated, removed: [], connections: [] });
    },
  }), [api]);
  return [state, actions];
}
