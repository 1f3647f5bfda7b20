import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiClient } from './api-client.ts';
import { formatNumber } from './format.ts';
import { HistoryList } from './history-list.tsx';
import { MessageView } from './message-view.tsx';
import { SearchBar } from './search-bar.tsx';
import type { ChannelCount } from './use-channel-counts.ts';
import { isFiltering, useHistorySearch, type HistoryFilters } from './use-history-search.ts';
import type { HubActions, HubState } from './use-hub-state.ts';

/** The export form, loaded after the first rows are drawn (see app.tsx's screens). */
const ExportPanel = lazy(() => import('./export-panel.tsx').then((m) => ({ default: m.ExportPanel })));

/** How long typing must pause before the words are searched for. */
const SEARCH_DEBOUNCE_MS = 250;

const NO_TERMS: readonly string[] = [];

/** The History screen: the live history or search results, the filters and the open message. */
export function HistoryScreen({
  api,
  state,
  actions,
  channels,
  draft,
  onDraftChange,
}: {
  api: ApiClient;
  state: HubState;
  actions: HubActions;
  channels: readonly ChannelCount[];
  /** What the person typed and chose (kept by the window while another screen is shown). */
  draft: HistoryFilters;
  onDraftChange: (filters: HistoryFilters) => void;
}) {
  const { t, i18n } = useTranslation();
  // The filters searched for: the words after a pause, the rest at once.
  const [filters, setFilters] = useState<HistoryFilters>(draft);
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

  const [openSeq, setOpenSeq] = useState<number | undefined>(state.focusSeq);
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
    <>
      <h2>
        {t('history.heading')} <span className="unread-count">{unread > 0 ? t('history.unread', { n: formatNumber(unread, i18n.language) }) : ''}</span>
      </h2>
      {(state.error ?? search.error) && (
        <p role="alert" className="error">
          {state.error ?? search.error}
        </p>
      )}
      <SearchBar filters={draft} channels={channels} onChange={onDraftChange} />
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
              onScrolledAway={searching ? undefined : actions.setScrolledAway}
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
            onMarkUnread={actions.markUnread}
          />
          {notice !== '' && (
            <p role="status" className="notice">
              {notice}
            </p>
          )}
        </div>
      </div>
      <Suspense fallback={null}>
        <ExportPanel api={api} channels={channels.map((c) => c.channel)} filters={filters} />
      </Suspense>
    </>
  );
}
