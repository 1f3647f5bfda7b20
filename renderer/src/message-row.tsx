import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import type { UiMessage } from '../../electron/api/contract.ts';
import { formatDateTime } from './format.ts';
import { highlight } from './text-nodes.tsx';

/**
 * What a history row shows: title, channel, priority, time, the start of the body, and Mark read.
 *
 * Memoised: the list re-renders its row shells when messages arrive (their positions change), but the
 * content of a row renders again only when its own message, the search terms or the language change.
 * The message objects are kept across merges, so an untouched message is the same object.
 */
export const MessageRowContent = memo(function MessageRowContent({
  message,
  terms,
  onMarkRead,
}: {
  message: UiMessage;
  terms: readonly string[];
  onMarkRead: (seq: number) => void;
}) {
  const { t, i18n } = useTranslation();
  const unread = message.readAtMs === null;
  return (
    <>
      <div className="message-head">
        <strong className="message-title">{highlight(message.title, terms)}</strong>
        <span className="message-channel">{message.channel}</span>
        {message.priority !== 3 && <span className="message-priority">{t(`priority.${message.priority}`)}</span>}
        <time dateTime={new Date(message.receivedAtMs).toISOString()}>{formatDateTime(message.receivedAtMs, i18n.language)}</time>
      </div>
      {message.body !== '' && <p className="message-body">{highlight(message.body, terms)}</p>}
      {unread && (
        <button
          type="button"
          className="mark-read"
          onClick={(event) => {
            event.stopPropagation();
            onMarkRead(message.seq);
          }}
        >
          {t('message.markRead')}
        </button>
      )}
    </>
  );
});
