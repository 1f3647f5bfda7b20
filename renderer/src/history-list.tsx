import { elementScroll, useVirtualizer, type Virtualizer, type VirtualizerOptions } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { UiMessage } from '../../electron/api/contract.ts';
import { MessageRowContent } from './message-row.tsx';

/** A first guess at a row's height in pixels; each row is measured once it is drawn. */
const ESTIMATED_ROW_PX = 88;
/** The list's size before it is measured: .history-scroll is 65vh tall (its border outside). */
const initialRect = (): { width: number; height: number } => ({ width: 0, height: Math.round(innerHeight * 0.65) });

/**
 * A row's height without forcing a layout: from the ResizeObserver's entry when it reports (after the
 * browser laid the row out anyway), else the height measured before or the estimate. The default reads
 * offsetHeight as each row is attached, which makes the browser lay out the page once per row drawn.
 */
function rowHeight(element: Element, entry: ResizeObserverEntry | undefined, instance: Virtualizer<HTMLDivElement, Element>): number {
  const box = entry?.borderBoxSize?.[0];
  if (box) return Math.round(box.blockSize);
  const index = instance.indexFromElement(element);
  return instance.itemSizeCache.get(instance.options.getItemKey(index)) ?? ESTIMATED_ROW_PX;
}

const attached = new WeakSet<object>();

/**
 * Scrolls the list, except for the virtualiser's first move: when the list is attached it scrolls it
 * to where a new element already is (the top), which forces a layout in the middle of the first render.
 */
const scrollList: VirtualizerOptions<HTMLDivElement, Element>['scrollToFn'] = (offset, options, instance) => {
  const first = !attached.has(instance);
  attached.add(instance);
  if (first && offset + (options.adjustments ?? 0) === 0) return;
  elementScroll(offset, options, instance);
};

/**
 * The scroll box's size from a ResizeObserver only: the default also reads it when the list is
 * attached, which forces a layout in the middle of the first render (initialRect stands in until then).
 */
function observeListRect(instance: Virtualizer<HTMLDivElement, Element>, cb: (rect: { width: number; height: number }) => void): (() => void) | undefined {
  const element = instance.scrollElement;
  if (!element) return undefined;
  const observer = new ResizeObserver(() => cb({ width: element.clientWidth, height: element.clientHeight }));
  observer.observe(element, { box: 'content-box' });
  return () => observer.disconnect();
}
/** Older messages are asked for when the last drawn row is this close to the end of the list. */
const LOAD_AHEAD_ROWS = 15;

/** The DOM id of a message's row. */
export function rowId(seq: number): string {
  return `message-${seq}`;
}

/**
 * The history as a virtualised list: only the rows near the visible part are in the DOM.
 *
 * Keyboard: the list has one tab stop (the active row); arrow keys, Home, End, Page Up and Page Down
 * move it, Enter opens the message. Reaching the end loads older messages.
 */
export function HistoryList({
  messages,
  terms,
  hasMore,
  openSeq,
  revealSeq,
  onLoadMore,
  onOpen,
  onMarkRead,
  onScrolledAway,
}: {
  messages: readonly UiMessage[];
  terms: readonly string[];
  hasMore: boolean;
  openSeq: number | undefined;
  /** A message to scroll to and focus once (a clicked notification). */
  revealSeq: number | undefined;
  onLoadMore: () => void;
  onOpen: (seq: number) => void;
  onMarkRead: (seq: number) => void;
  /** Told whether the list is scrolled away from its top (and, when it goes, that it no longer is). */
  onScrolledAway?: ((away: boolean) => void) | undefined;
}) {
  const { t } = useTranslation();
  // Each row's accessible name, worked out once per message object (a changed message is a new object)
  // and language, not for every drawn row on every batch of new messages.
  const labels = useMemo(() => ({ t, byMessage: new WeakMap<UiMessage, string>() }), [t]);
  const labelOf = (message: UiMessage): string => {
    let label = labels.byMessage.get(message);
    if (label === undefined) {
      label = message.readAtMs === null ? labels.t('message.unreadLabel', { title: message.title }) : message.title;
      labels.byMessage.set(message, label);
    }
    return label;
  };
  const scrollRef = useRef<HTMLDivElement>(null);
  const [activeSeq, setActiveSeq] = useState<number | undefined>(undefined);
  const pendingFocus = useRef<number | undefined>(undefined);
  const revealed = useRef<number | undefined>(undefined);

  const virtualizer = useVirtualizer({
    count: messages.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ESTIMATED_ROW_PX,
    measureElement: rowHeight,
    initialRect: initialRect(),
    observeElementRect: observeListRect,
    scrollToFn: scrollList,
    overscan: 8,
    getItemKey: (index) => messages[index]?.seq ?? index,
  });
  const items = virtualizer.getVirtualItems();

  // Away from the top: past the first screenful (the rows there stay whatever happens further down).
  const away = (virtualizer.scrollOffset ?? 0) > (virtualizer.scrollRect?.height ?? 0);
  useEffect(() => {
    if (!onScrolledAway) return;
    onScrolledAway(away);
    return () => onScrolledAway(false);
  }, [away, onScrolledAway]);

  // The tab stop: the active row if it is still listed, else the first.
  const activeIndex = Math.max(
    0,
    messages.findIndex((m) => m.seq === activeSeq),
  );
  const tabSeq = messages[activeIndex]?.seq;

  const lastIndex = items.at(-1)?.index;
  useEffect(() => {
    if (hasMore && lastIndex !== undefined && lastIndex >= messages.length - LOAD_AHEAD_ROWS) onLoadMore();
  }, [hasMore, lastIndex, messages.length, onLoadMore]);

  // Focus follows the keyboard once the row is drawn (scrolling to it can take a frame or two): right
  // after the render that drew it, before the next key is handled (a layout effect, not a passive one).
  useLayoutEffect(() => {
    const seq = pendingFocus.current;
    if (seq === undefined) return;
    let tries = 0;
    let frame = 0;
    const attempt = (): void => {
      const row = document.getElementById(rowId(seq));
      if (row) {
        pendingFocus.current = undefined;
        row.focus({ preventScroll: true });
      } else if (++tries < 10) {
        frame = requestAnimationFrame(attempt);
      }
    };
    attempt();
    return () => cancelAnimationFrame(frame);
  });

  useEffect(() => {
    if (revealSeq === undefined || revealed.current === revealSeq) return;
    const index = messages.findIndex((m) => m.seq === revealSeq);
    if (index < 0) return; // it is focused when it arrives
    revealed.current = revealSeq;
    setActiveSeq(revealSeq);
    pendingFocus.current = revealSeq;
    virtualizer.scrollToIndex(index, { align: 'center' });
  }, [revealSeq, messages, virtualizer]);

  const moveTo = (index: number): void => {
    const target = messages[Math.min(Math.max(index, 0), messages.length - 1)];
    if (!target) return;
    setActiveSeq(target.seq);
    pendingFocus.current = target.seq;
    virtualizer.scrollToIndex(messages.indexOf(target), { align: 'auto' });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>): void => {
    // Keys on a row's own buttons and links keep their usual meaning.
    if (!(event.target instanceof HTMLElement) || event.target.dataset.testid !== 'message') return;
    const page = Math.max(1, items.length - 2);
    const moves: Record<string, number> = {
      ArrowDown: activeIndex + 1,
      ArrowUp: activeIndex - 1,
      PageDown: activeIndex + page,
      PageUp: activeIndex - page,
      Home: 0,
      End: messages.length - 1,
    };
    const next = moves[event.key];
    if (next !== undefined) {
      event.preventDefault();
      moveTo(next);
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      if (tabSeq !== undefined) onOpen(tabSeq);
    }
  };

  return (
    <div ref={scrollRef} className="history-scroll">
      <div className="history-sizer" style={{ height: virtualizer.getTotalSize() }}>
        <ul
          className="messages"
          aria-label={t('history.listLabel')}
          aria-describedby="history-keyboard-hint"
          onKeyDown={onKeyDown}
          style={{ transform: `translateY(${items[0]?.start ?? 0}px)` }}
        >
          {items.map((item) => {
            const message = messages[item.index];
            if (!message) return null;
            const unread = message.readAtMs === null;
            return (
              <li
                key={message.seq}
                id={rowId(message.seq)}
                ref={virtualizer.measureElement}
                data-index={item.index}
                tabIndex={message.seq === tabSeq ? 0 : -1}
                className={`message priority-${message.priority}${unread ? ' unread' : ''}${message.seq === openSeq ? ' open' : ''}`}
                data-testid="message"
                data-seq={message.seq}
                data-unread={unread}
                aria-current={message.seq === openSeq ? 'true' : undefined}
                aria-label={labelOf(message)}
                onClick={() => {
                  setActiveSeq(message.seq);
                  onOpen(message.seq);
                }}
              >
                <MessageRowContent message={message} terms={terms} onMarkRead={onMarkRead} />
              </li>
            );
          })}
        </ul>
      </div>
      <p id="history-keyboard-hint" className="visually-hidden">
        {t('history.keyboardHint')}
      </p>
    </div>
  );
}
