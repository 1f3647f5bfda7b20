import { useState } from 'react';
import type { ApiClient } from './api-client.ts';

/**
 * Export of the history (the same as `npm run hub -- export`): JSONL or CSV, all channels or one.
 * Headless, the bridge sends the file as a download; on the desktop the core asks where to save it.
 */
export function ExportPanel({ api, channels }: { api: ApiClient; channels: readonly string[] }) {
  const [format, setFormat] = useState<'jsonl' | 'csv'>('jsonl');
  const [channel, setChannel] = useState('');
  const [outcome, setOutcome] = useState('');
  const run = (): void => {
    setOutcome('');
    api.call('exportMessages', { format, ...(channel === '' ? {} : { channel }) }).then(
      (result) => {
        if (result.href !== null) {
          const link = document.createElement('a');
          link.href = result.href;
          link.download = '';
          link.click();
          setOutcome('Export started.');
        } else if (result.path !== null) {
          setOutcome(`Saved ${result.count ?? 0} messages to ${result.path}.`);
        }
      },
      (error: Error) => setOutcome(`Export failed: ${error.message}`),
    );
  };
  return (
    <form
      className="export"
      aria-label="Export history"
      onSubmit={(event) => {
        event.preventDefault();
        run();
      }}
    >
      <label>
        Format{' '}
        <select value={format} onChange={(e) => setFormat(e.target.value === 'csv' ? 'csv' : 'jsonl')}>
          <option value="jsonl">JSON lines</option>
          <option value="csv">CSV</option>
        </select>
      </label>{' '}
      <label>
        Channel{' '}
        <select value={channel} onChange={(e) => setChannel(e.target.value)}>
          <option value="">All channels</option>
          {channels.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>{' '}
      <button type="submit">Export</button>
      {outcome !== '' && (
        <span role="status" className="export-outcome">
          {' '}
          {outcome}
        </span>
      )}
    </form>
  );
}
