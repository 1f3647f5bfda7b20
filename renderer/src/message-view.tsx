import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import type { UiMessage } from '../../electron/api/contract.ts';
import { isOpenableLink } from '../../electron/api/links.ts';
import { formatDateTime, formatNumber } from './format.ts';
import { highlight, linkify } from './text-nodes.tsx';

/**
 * The open message in full: its text (links that isOpenableLink accepts become links, the rest stays
 * text), Mark read, its action buttons and Acknowledge, and "mark all read" for its channel.
 */
export const MessageView = memo(function MessageView({
  message,
  terms,
  channelUnread,
  onMarkRead,
  onAction,
  onMarkChannelRead,
  onMarkUnread,
}: {
  message: UiMessage | undefined;
  terms: readonly string[];
  /** Unread messages in the open message's channel. */
  channelUnread: number;
  onMarkRead: (seq: number) => void;
  onAction: (seq: number, actionId: string) => void;
  onMarkChannelRead: (channel: string) => void;
  onMarkUnread: (seq: number) => void;
}) {
  const { t, i18n } = useTranslation();
  if (!message) {
    return (
      <section className="message-view empty" aria-label={t('message.viewLabel')}>
        <p>{t('message.noneSelected')}</p>
      </section>
    );
  }
  const unread = message.readAtMs === null;
  return (
    <section className="message-view" aria-labelledby="message-view-title" data-testid="message-view" data-seq={message.seq}>
      <h3 id="message-view-title" className="message-view-title">
        {highlight(message.title, terms)}
      </h3>
      <p className="message-meta">
        <span className="message-channel">{message.channel}</span>{' '}
        <span className="message-priority">{t('message.priority', { priority: t(`priority.${message.priority}`) })}</span>{' '}
        <time dateTime={new Date(message.receivedAtMs).toISOString()}>{t('message.received', { when: formatDateTime(message.receivedAtMs, i18n.language) })}</time>
      </p>
      {message.body !== '' && <p className="message-view-body">{linkify(message.body, terms)}</p>}
      {message.tags.length > 0 && <p className="message-tags">{t('message.tags', { tags: message.tags.join(', ') })}</p>}
      <div className="message-view-actions">
        {message.click !== null && isOpenableLink(message.click) && (
          <a className="message-link" href={message.click} target="_blank" rel="noopener noreferrer">
            {t('message.openLink')}
          </a>
        )}
        {unread ? (
          <button type="button" onClick={() => onMarkRead(message.seq)}>
            {t('message.markRead')}
          </button>
        ) : (
          <button type="button" className="mark-unread" onClick={() => onMarkUnread(message.seq)}>
            {t('message.markUnread')}
          </button>
        )}
        {message.actions.map((action) =>
          action.kind === 'view' ? (
            action.url !== null &&
            isOpenableLink(action.url) && (
              <a key={action.id} className="message-action" href={action.url} target="_blank" rel="noopener noreferrer">
                {action.label}
              </a>
            )
          ) : action.kind === 'acknowledge' && message.acknowledgedAtMs !== null ? (
            <span key={action.id} className="message-acknowledged">
              {t('message.acknowledged')}
            </span>
          ) : (
            <button key={action.id} type="button" className="message-action" onClick={() => onAction(message.seq, action.id)}>
              {action.kind === 'acknowledge' ? t('message.acknowledge') : action.label}
            </button>
          ),
        )}
        {channelUnread > 0 && (
          <button type="button" className="mark-channel-read" onClick={() => onMarkChannelRead(message.channel)}>
            {t('message.markChannelRead', { channel: message.channel, n: formatNumber(channelUnread, i18n.language) })}
          </button>
        )}
      </div>
    </section>
  );
});
