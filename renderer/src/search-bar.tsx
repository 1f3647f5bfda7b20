import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import { formatNumber } from './format.ts';
import type { ChannelCount } from './use-channel-counts.ts';
import type { HistoryFilters, SinceRange } from './use-history-search.ts';

const SINCE_RANGES: readonly { value: SinceRange; key: string }[] = [
  { value: 'all', key: 'search.sinceAll' },
  { value: 'hour', key: 'search.sinceHour' },
  { value: 'day', key: 'search.sinceDay' },
  { value: 'week', key: 'search.sinceWeek' },
];

function isSinceRange(value: string): value is SinceRange {
  return SINCE_RANGES.some((r) => r.value === value);
}

/** The search box and the filters of the history: channel, minimum priority, unread only, time range. */
export const SearchBar = memo(function SearchBar({
  filters,
  channels,
  onChange,
}: {
  filters: HistoryFilters;
  channels: readonly ChannelCount[];
  onChange: (filters: HistoryFilters) => void;
}) {
  const { t, i18n } = useTranslation();
  return (
    <form
      role="search"
      className="search"
      aria-label={t('search.filters')}
      onSubmit={(event) => event.preventDefault()}
    >
      <input
        type="search"
        className="search-text"
        aria-label={t('search.label')}
        placeholder={t('search.placeholder')}
        value={filters.text}
        maxLength={500}
        onChange={(e) => onChange({ ...filters, text: e.target.value })}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && filters.text !== '') {
            e.preventDefault();
            onChange({ ...filters, text: '' });
          }
        }}
      />
      {filters.text !== '' && (
        <button type="button" onClick={() => onChange({ ...filters, text: '' })}>
          {t('search.clear')}
        </button>
      )}
      <label>
        {t('search.channel')}{' '}
        <select value={filters.channel} onChange={(e) => onChange({ ...filters, channel: e.target.value })}>
          <option value="">{t('search.allChannels')}</option>
          {channels.map((c) => (
            <option key={c.channel} value={c.channel}>
              {t('search.channelOption', { channel: c.channel, unread: formatNumber(c.unread, i18n.language) })}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('search.minPriority')}{' '}
        <select value={filters.minPriority} onChange={(e) => onChange({ ...filters, minPriority: Number(e.target.value) })}>
          <option value={1}>{t('search.anyPriority')}</option>
          {[2, 3, 4, 5].map((p) => (
            <option key={p} value={p}>
              {t(`priority.${p}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('search.since')}{' '}
        <select value={filters.since} onChange={(e) => onChange({ ...filters, since: isSinceRange(e.target.value) ? e.target.value : 'all' })}>
          {SINCE_RANGES.map((r) => (
            <option key={r.value} value={r.value}>
              {t(r.key)}
            </option>
          ))}
        </select>
      </label>
      <label>
        <input type="checkbox" checked={filters.unreadOnly} onChange={(e) => onChange({ ...filters, unreadOnly: e.target.checked })} /> {t('search.unreadOnly')}
      </label>
    </form>
  );
});
