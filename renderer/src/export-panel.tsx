import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MethodArgs } from '../../electron/api/contract.ts';
import type { ApiClient } from './api-client.ts';
import { startDownload } from './download.ts';
import { isFiltering, searchArgs, type HistoryFilters } from './use-history-search.ts';

/**
 * Export of the history (the same as `npm run hub -- export`): JSONL or CSV, all channels or one, or
 * (under the history, while it is searched or filtered) exactly what the list shows.
 * Headless, the bridge sends the file as a download; on the desktop the core asks where to save it.
 */
export function ExportPanel({ api, channels, filters }: { api: ApiClient; channels: readonly string[]; filters?: HistoryFilters | undefined }) {
  const { t } = useTranslation();
  const [format, setFormat] = useState<'jsonl' | 'csv'>('jsonl');
  const [channel, setChannel] = useState('');
  const [outcome, setOutcome] = useState('');
  const [onlyShown, setOnlyShown] = useState(true);
  const filtered = filters !== undefined && isFiltering(filters) && onlyShown;
  const run = (): void => {
    setOutcome('');
    let request: MethodArgs<'exportMessages'>;
    if (filtered) {
      // The list's own search arguments, without its paging.
      const shown: Record<string, unknown> = { ...searchArgs(filters, Date.now()) };
      delete shown.limit;
      delete shown.beforeSeq;
      request = { format, ...(shown as Omit<MethodArgs<'exportMessages'>, 'format'>) };
    } else {
      request = { format, ...(channel === '' ? {} : { channel }) };
    }
    api.call('exportMessages', request).then(
      (result) => {
        if (result.href !== null) {
          startDownload(result.href);
          setOutcome(t('export.started'));
        } else if (result.path !== null) {
          setOutcome(t('export.saved', { n: result.count ?? 0, path: result.path }));
        }
      },
      (error: Error) => setOutcome(t('export.failed', { error: error.message })),
    );
  };
  return (
    <form
      className="export"
      aria-label={t('export.label')}
      onSubmit={(event) => {
        event.preventDefault();
        run();
      }}
    >
      <label>
        {t('export.format')}{' '}
        <select value={format} onChange={(e) => setFormat(e.target.value === 'csv' ? 'csv' : 'jsonl')}>
          <option value="jsonl">{t('export.jsonl')}</option>
          <option value="csv">{t('export.csv')}</option>
        </select>
      </label>{' '}
      {filters !== undefined && isFiltering(filters) && (
        <>
          <label>
            <input type="checkbox" checked={onlyShown} onChange={(e) => setOnlyShown(e.target.checked)} data-testid="export-only-shown" /> {t('export.onlyShown')}
          </label>{' '}
        </>
      )}
      {!filtered && (
        <>
          <label>
            {t('export.channel')}{' '}
            <select value={channel} onChange={(e) => setChannel(e.target.value)}>
              <option value="">{t('export.allChannels')}</option>
              {channels.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>{' '}
        </>
      )}
      <button type="submit">{t('export.submit')}</button>
      {outcome !== '' && (
        <span role="status" className="export-outcome">
          {' '}
          {outcome}
        </span>
      )}
    </form>
  );
}
