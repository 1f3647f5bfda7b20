import { useEffect, useMemo, useReducer, useRef } from 'react';
import type { UiConnectionStatus, UiMessage } from '../../electron/api/contract.ts';
import type { ApiClient } from './api-client.ts';
import { PAGE_SIZE } from './early-connection.ts';
import { frameScheduler } from './frame-batch.ts';

export { PAGE_SIZE };

/**
 * How many of the newest messages the live history keeps while it is scrolled to the top: older ones
 * are let go (and loaded again, a page at a time, when the list is scrolled down to them), so the work
 * of each batch of new messages does not grow with the time the window has been open.
 */
export const LIVE_LIMIT = 1000;

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
  | { type: 'older'; beforeSeq: number; messages: UiMessage[] }
  | { type: 'events'; added: UiMessage[]; updated: UiMessage[]; removed: number[]; connections: UiConnectionStatus[]; limit?: boolean }
  | { type: 'statuses'; connections: UiConnectionStatus[] }
  | { type: 'error'; message: string }
  | { type: 'focus'; seq: number };

const bySeqDescending = (a: UiMessage, b: UiMessage): number => b.seq - a.seq;

/** Where `seq` is in a list sorted newest (highest seq) first, or -1. */
export function indexOfSeq(messages: readonly UiMessage[], seq: number): number {
  let low = 0;
  let high = messages.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const at = (messages[mid] as UiMessage).seq;
    if (at === seq) return mid;
    if (at > seq) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}

/** The general case: every message once (the incoming one where both have it), newest first. */
function mergeNewestFirst(current: readonly UiMessage[], incoming: readonly UiMessage[]): UiMessage[] {
  const bySeq = new Map<number, UiMessage>();
  for (const m of current) bySeq.set(m.seq, m);
  for (const m of incoming) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort(bySeqDescending);
}

/** Incoming messages newest first, without repeats (the later of two with the same seq wins). */
function newestFirstUnique(incoming: readonly UiMessage[]): UiMessage[] {
  const sorted = [...incoming].reverse().sort(bySeqDescending); // stable: the later of equals first
  return sorted.filter((m, i) => i === 0 || (sorted[i - 1] as UiMessage).seq !== m.seq);
}

/**
 * New messages: the store numbers them after everything listed, so they go in front as they are;
 * anything else (a repeat of a listed message) takes the slower general way.
 */
function addNewest(current: readonly UiMessage[], added: readonly UiMessage[]): readonly UiMessage[] {
  if (added.length === 0) return current;
  const newest = current[0]?.seq ?? 0;
  if (!added.every((m) => m.seq > newest)) return mergeNewestFirst(current, added);
  return newestFirstUnique(added).concat(current);
}

/** Changed messages replace the listed ones in place (found by seq); those not listed are ignored. */
function applyUpdated(current: readonly UiMessage[], updated: readonly UiMessage[]): readonly UiMessage[] {
  let next: UiMessage[] | undefined;
  for (const m of updated) {
    const at = indexOfSeq(next ?? current, m.seq);
    if (at < 0) continue;
    next ??= current.slice();
    next[at] = m;
  }
  return next ?? current;
}

function applyRemoved(current: readonly UiMessage[], removed: readonly number[]): readonly UiMessage[] {
  if (!removed.some((seq) => indexOfSeq(current, seq) >= 0)) return current;
  const gone = new Set(removed);
  return current.filter((m) => !gone.has(m.seq));
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
    case 'older': {
      // A page that no longer continues the list (it was shortened meanwhile) would leave a gap.
      const oldest = state.messages.at(-1);
      if (oldest?.seq !== action.beforeSeq) return state;
      const page = action.messages.every((m) => m.seq < action.beforeSeq) ? newestFirstUnique(action.messages) : undefined;
      const messages = page ? state.messages.concat(page) : mergeNewestFirst(state.messages, action.messages);
      return { ...state, messages, hasOlder: action.messages.length === PAGE_SIZE };
    }
    case 'events': {
      let messages = addNewest(state.messages, action.added);
      messages = applyUpdated(messages, action.updated);
      messages = applyRemoved(messages, action.removed);
      let hasOlder = state.hasOlder;
      if (action.limit === true && messages.length > LIVE_LIMIT) {
        messages = messages.slice(0, LIVE_LIMIT);
        hasOlder = true;
      }
      let connections = state.connections;
      for (const c of action.connections) {
        connections = connections.some((x) => x.id === c.id) ? connections.map((x) => (x.id === c.id ? c : x)) : [...connections, c];
      }
      if (messages === state.messages && connections === state.connections) return state;
      return { ...state, messages, connections, hasOlder };
    }
    case 'statuses':
      return { ...state, connections: action.connections };
    case 'error':
      return { ...state, error: action.message };
    case 'focus':
      return { ...state, focusSeq: action.seq };
  }
}

/** The history's first page and the connections, as the window is first drawn with them. */
export interface FirstPage {
  readonly messages: UiMessage[];
  readonly connections: UiConnectionStatus[];
  readonly storeNotice: string | null;
}

/** How long the window waits for its first page before it is drawn without (and shows it when it comes). */
const FIRST_PAGE_WAIT_MS = 500;

/**
 * The first page and the connections, for drawing the window with them at once rather than drawing it
 * empty and again when they come: the calls main.tsx started early have usually been answered by the
 * time the window's code has loaded. Undefined when they fail or take longer than FIRST_PAGE_WAIT_MS.
 */
export function loadFirstPage(api: ApiClient): Promise<FirstPage | undefined> {
  const both = Promise.all([api.call('listMessages', { limit: PAGE_SIZE }), api.call('getStatus', {})]).then(
    ([page, status]) => ({ messages: page.messages, connections: status.connections, storeNotice: status.storeNotice }),
    () => undefined, // useHubState asks again, and shows the error if there is one
  );
  return Promise.race([both, new Promise<undefined>((resolve) => setTimeout(resolve, FIRST_PAGE_WAIT_MS, undefined))]);
}

/** What the window can ask of the live history; the same functions for the hook's lifetime. */
export interface HubActions {
  /** Loads the next page of older messages (ignored while one is already loading). */
  loadOlder(): void;
  markRead(seq: number): void;
  /** Marks a message unread again. */
  markUnread(seq: number): void;
  choose(seq: number, actionId: string): void;
  /**
   * Whether the live history is shown scrolled away from its top: while it is not, it keeps only the
   * newest LIVE_LIMIT messages.
   */
  setScrolledAway(away: boolean): void;
}

/**
 * Keeps the window's state in step with the core.
 *
 * Events are gathered and applied at most once per animation frame, so a burst of messages costs one
 * render, not one per message (unless the page runs with `?batching=off`, see frame-batch.ts).
 */
export function useHubState(api: ApiClient, first?: FirstPage): [HubState, HubActions] {
  const [state, dispatch] = useReducer(reducer, first, (page): HubState => {
    const empty: HubState = { messages: [], connections: [], hasOlder: false, error: undefined };
    return page ? reducer(empty, { type: 'reset', ...page }) : empty;
  });
  // Drawn with the first page already: the first connection need not load it again.
  const firstShown = useRef(first !== undefined);
  // The actions read the latest messages through a ref, so they stay the same functions across renders
  // (memoised rows would otherwise all re-render whenever a message arrives).
  const messagesRef = useRef(state.messages);
  messagesRef.current = state.messages;
  const loadingOlder = useRef(false);
  const scrolledAway = useRef(false);

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
      dispatch({ type: 'events', ...batch, limit: !scrolledAway.current });
    });
    const schedule = frames.schedule;
    const reload = (): void => {
      Promise.all([api.call('listMessages', { limit: PAGE_SIZE }), api.call('getStatus', {})]).then(
        ([page, status]) => dispatch({ type: 'reset', messages: page.messages, connections: status.connections, storeNotice: status.storeNotice }),
        (error: Error) => dispatch({ type: 'error', message: error.message }),
      );
    };
    let skipReload = firstShown.current;
    firstShown.current = false;
    const offs = [
      api.onOpen(() => {
        if (skipReload) skipReload = false;
        else reload();
      }),
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
      const beforeSeq = oldest.seq;
      api
        .call('listMessages', { beforeSeq, limit: PAGE_SIZE })
        .then(
          (page) => dispatch({ type: 'older', beforeSeq, messages: page.messages }),
          (error: Error) => dispatch({ type: 'error', message: error.message }),
        )
        .finally(() => {
          loadingOlder.current = false;
        });
    },
    // The core's messageUpdated event brings each change; a call's own answer is not applied again
    // (a late answer to "mark read", which waits for the receipt, would undo a later "mark unread").
    choose(seq: number, actionId: string): void {
      const done = actionId === 'acknowledge' ? api.call('acknowledge', { seq }) : api.call('chooseAction', { seq, actionId });
      done.catch((error: Error) => dispatch({ type: 'error', message: error.message }));
    },
    markRead(seq: number): void {
      api.call('markRead', { seq }).catch((error: Error) => dispatch({ type: 'error', message: error.message }));
    },
    markUnread(seq: number): void {
      api.call('markUnread', { seq }).catch((error: Error) => dispatch({ type: 'error', message: error.message }));
    },
    setScrolledAway(away: boolean): void {
      scrolledAway.current = away;
    },
  }), [api]);
  return [state, actions];
}
