import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { UiConnectionStatus } from '../../electron/api/contract.ts';
import type { ApiClient } from './api-client.ts';
import { ExportPanel } from './export-panel.tsx';
import { formatDateTime, formatNumber } from './format.ts';
import { HistoryList } from './history-list.tsx';
import { LANGUAGES, setLanguage, matchLanguage } from './i18n/index.ts';
import { MessageView } from './message-view.tsx';
import { SearchBar } from './search-bar.tsx';
import { useChannelCounts } from './use-channel-counts.ts';
import { isFiltering, NO_FILTERS, useHistorySearch, type HistoryFilters } from './use-history-search.ts';
import { useHubState } from './use-hub-state.ts';

/** How long typing must pause before the words are searched for. */
const SEARCH_DEBOUNCE_MS = 250;

const NO_TERMS: readonly string[] = [];

function ConnectionBadge({ connection }: { connection: UiConnectionStatus }) {
  const { t, i18n } = useTranslation();
  const c = connection;
  const lines = [`${c.url}: ${c.stateReason}`];
  if (c.heartbeat.reason !== '') {
    const n = formatNumber(c.heartbeat.lastHour, i18n.language);
    lines.push(
      c.heartbeat.lastRttMs === null
        ? t('connections.heartbeat', { reason: c.heartbeat.reason, n })
        : t('connections.heartbeatRtt', { reason: c.heartbeat.reason, n, rtt: formatNumber(Math.round(c.heartbeat.lastRttMs), i18n.language) }),
    );
  }
  if (c.heartbeat.lastDetectionMs !== null) lines.push(t('connections.deadLink', { when: formatDateTime(c.heartbeat.lastDetectionMs, i18n.language) }));
  return (
    <li className={`connection connection-${c.state}`} title={lines.join('\n')}>
      <span className="connection-id">{c.id}</span> <span className="connection-state">{t(`connections.state.${c.state}`)}</span>
      {c.lastError && <span className="connection-error">: {c.lastError}</span>}
      {c.warning && (
        <span className="connection-warning" role="note">
          {' '}
          ⚠ {c.warning}
        </span>
      )}
    </li>
  );
}

function LanguageSelect() {
  const { t, i18n } = useTranslation();
  return (
    <label className="language">
      {t('language.label')}{' '}
      <select value={matchLanguage(i18n.language)} onChange={(e) => setLanguage(matchLanguage(e.target.value))} data-testid="language">
        {LANGUAGES.map((lng) => (
          <option key={lng} value={lng} lang={lng}>
            {t(`language.${lng}`)}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The window: connection states, the history with search and filters, and the open message. */
export function App({ api }: { api: ApiClient }) {
  const { t, i18n } = useTranslation();
  const [state, actions] = useHubState(api);
  const channels = useChannelCounts(api);
  // What the person typed and chose, and the filters searched for (the words after a pause).
  const [draft, setDraft] = useState<HistoryFilters>(NO_FILTERS);
  const [filters, setFilters] = useState<HistoryFilters>(NO_FILTERS);
  useEffect(() => {
    if (draft === filters) return;
    const typing = draft.text !== filters.text && draft.text.trim() !== '';
    const timer = setTimeout(() => setFilters(draft), typing ? SEARCH_DEBOUNCE_MS : 0);
    return () => clearTimeout(timer);
  }, [draft, filters]);
  const [search, searchActions] = useHistorySearch(api, filters);
  const searching = isFiltering(filters);
  const messages = searching ? search.messages : state.messages;
  const terms = searching ? search.terms : NO_TERMS;
  const hasMore = searching ? search.nextBeforeSeq !== null : state.hasOlder;
  const loadMore = searching ? searchActions.loadMore : actions.loadOlder;

  const [openSeq, setOpenSeq] = useState<number | undefined>(undefined);
  // A clicked notification opens its message.
  useEffect(() => {
    if (state.focusSeq !== undefined) setOpenSeq(state.focusSeq);
  }, [state.focusSeq]);
  const openMessage = useMemo(
    () => (openSeq === undefined ? undefined : (messages.find((m) => m.seq === openSeq) ?? state.messages.find((m) => m.seq === openSeq))),
    [openSeq, messages, state.messages],
  );
  const [notice, setNotice] = useState('');
  const markChannelRead = useCallback(
    (channel: string) => {
      api.call('markChannelRead', { channel }).then(
        (result) => setNotice(t('message.markedChannelRead', { n: formatNumber(result.marked, i18n.language) })),
        (error: Error) => setNotice(error.message),
      );
    },
    [api, t, i18n.language],
  );

  const unread = channels.reduce((sum, c) => sum + c.unread, 0);
  const channelUnread = channels.find((c) => c.channel === openMessage?.channel)?.unread ?? 0;
  return (
    <div className="app">
      <header>
        <h1>{t('app.title')}</h1>
        <ul className="connections" aria-label={t('connections.label')}>
          {state.connections.map((c) => (
            <ConnectionBadge key={c.id} connection={c} />
          ))}
        </ul>
        <LanguageSelect />
      </header>
      {state.storeNotice && (
        <p role="alert" className="error">
          {state.storeNotice}
        </p>
      )}
      {(state.error ?? search.error) && (
        <p role="alert" className="error">
          {state.error ?? search.error}
        </p>
      )}
      <main>
        <h2>
          {t('history.heading')} <span className="unread-count">{unread > 0 ? t('history.unread', { n: formatNumber(unread, i18n.language) }) : ''}</span>
        </h2>
        <SearchBar filters={draft} channels={channels} onChange={setDraft} />
        <div className="history">
          <div className="history-main">
            {messages.length === 0 ? (
              <p className="empty">{search.loading ? t('history.loading') : searching ? t('history.noMatches') : t('history.empty')}</p>
            ) : (
              <HistoryList
                messages={messages}
                terms={terms}
                hasMore={hasMore}
                openSeq={openSeq}
                revealSeq={searching ? undefined : state.focusSeq}
                onLoadMore={loadMore}
                onOpen={setOpenSeq}
                onMarkRead={actions.markRead}
              />
            )}
            <p className="history-count" role="status">
              {messages.length > 0 ? t('history.shown', { n: formatNumber(messages.length, i18n.language) }) : ''}
            </p>
          </div>
          <div className="history-side">
            <MessageView
              message={openMessage}
              terms={terms}
              channelUnread={channelUnread}
              onMarkRead={actions.markRead}
              onAction={actions.choose}
              onMarkChannelRead={markChannelRead}
            />
            {notice !== '' && (
              <p role="status" className="notice">
                {notice}
              </p>
            )}
          </div>
        </div>
        <ExportPanel api={api} channels={channels.map((c) => c.channel)} />
      </main>
    </div>
  );
}
