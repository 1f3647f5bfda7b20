import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { UiMessage } from '../../electron/api/contract.ts';
import { MessageRowContent } from './message-row.tsx';

/** A first guess at a row's height in pixels; each row is measured once it is drawn. */
const ESTIMATED_ROW_PX = 88;
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
}) {
  const { t } = useTranslation();
  const scrollRef = useRef<HTMLDivElement>(null);
  const [activeSeq, setActiveSeq] = useState<number | undefined>(undefined);
  const pendingFocus = useRef<number | undefined>(undefined);
  const revealed = useRef<number | undefined>(undefined);

  const virtualizer = useVirtualizer({
    count: messages.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ESTIMATED_ROW_PX,
    overscan: 8,
    getItemKey: (index) => messages[index]?.seq ?? index,
  });
  const items = virtualizer.getVirtualItems();

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

  // Focus follows the keyboard once the row is drawn (scrolling to it can take a frame or two).
  useEffect(() => {
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
                aria-label={unread ? t('message.unreadLabel', { title: message.title }) : message.title}
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
