import { useCallback, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { UiChannelEntry, UiChannelRule } from '../../electron/api/contract.ts';
import type { ApiClient } from './api-client.ts';
import { useCoreCall, type CoreCallOptions } from './use-core-call.ts';
import { formatDateTime, formatNumber } from './format.ts';
import { LockNote } from './lock-note.tsx';

/** How long a mute can last, in minutes; 0 is "until turned back on". */
const MUTE_CHOICES = [15, 60, 480, 1440, 0] as const;

/**
 * The directory is listed again whenever the core says it changed, and 500 ms after messages arrive,
 * change or go (for its unread counts).
 */
const WHEN: CoreCallOptions = { reloadOn: ['channelsChanged'], refreshOn: ['messagesAdded', 'messageUpdated', 'messagesRemoved'], refreshDelayMs: 500 };

/** The channel directory as the core last listed it, and a way to show one entry's new state at once. */
function useChannelDirectory(api: ApiClient): { channels: readonly UiChannelEntry[] | undefined; error: string | undefined; replace(entry: UiChannelEntry): void } {
  const { result, error, setResult } = useCoreCall(api, 'listChannels', WHEN);
  const replace = useCallback(
    (entry: UiChannelEntry) => {
      setResult((r) => r && { ...r, channels: r.channels.map((c) => (c.connectionId === entry.connectionId && c.topic === entry.topic ? entry : c)) });
    },
    [setResult],
  );
  return { channels: result?.channels, error, replace };
}

/** The channel's mute, in words: not muted, until a time, or until turned back on. */
function muteState(rule: UiChannelRule, nowMs: number): 'off' | 'until' | 'forever' {
  if (rule.mutedUntilMs !== null && rule.mutedUntilMs > nowMs) return 'until';
  return rule.muted && rule.mutedUntilMs === null ? 'forever' : 'off';
}

/** One channel: what it is, subscribe, and its notification rule. */
function ChannelItem({ api, entry, onChanged }: { api: ApiClient; entry: UiChannelEntry; onChanged: (entry: UiChannelEntry) => void }) {
  const { t, i18n } = useTranslation();
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [rule, setRule] = useState(entry.rule);
  const [muteFor, setMuteFor] = useState<number>(60);
  useEffect(() => setRule(entry.rule), [entry.rule]);

  // The switch shows the choice at once; it goes back if the core refuses it.
  const [choice, setChoice] = useState<boolean | undefined>(undefined);
  const subscribe = (subscribed: boolean): void => {
    setBusy(true);
    setChoice(subscribed);
    setError('');
    api
      .call('setSubscribed', { connectionId: entry.connectionId, topic: entry.topic, subscribed })
      .then(
        (result) => onChanged(result.channel),
        (e: Error) => setError(t('channels.failed', { error: e.message })),
      )
      .finally(() => {
        setBusy(false);
        setChoice(undefined);
      });
  };
  const changeRule = (change: { muted?: boolean; muteMinutes?: number; minPriority?: number; sound?: boolean }): void => {
    const before = rule;
    // Priority and sound show at once (a mute waits for the core, which says until when).
    setRule((r) => ({ ...r, ...(change.minPriority === undefined ? {} : { minPriority: change.minPriority }), ...(change.sound === undefined ? {} : { sound: change.sound }) }));
    setBusy(true);
    setError('');
    api
      .call('setChannelRule', { channel: entry.channel, ...change })
      .then(
        (result) => setRule(result.rule),
        (e: Error) => {
          setRule(before);
          setError(t('channels.failed', { error: e.message }));
        },
      )
      .finally(() => setBusy(false));
  };

  const locked = entry.ruleLockedReason;
  const mute = muteState(rule, Date.now());
  const lockId = `${id}-rule-lock`;
  const mandatoryId = `${id}-mandatory`;
  return (
    <li className={`channel${entry.subscribed ? ' subscribed' : ''}`} data-testid="channel" data-channel={entry.channel} data-topic={entry.topic}>
      <div className="channel-head">
        <h4 id={`${id}-name`} className="channel-name">
          {entry.channel}
        </h4>
        <span className="channel-topic">
          <span className="visually-hidden">{t('channels.topicLabel')} </span>
          <code>{entry.topic}</code>
        </span>
        <span className="badge">{t(`channels.source.${entry.source}`)}</span>
        {entry.kind === 'data' && <span className="badge">{t('channels.dataFeed')}</span>}
        {entry.unread > 0 && <span className="unread-count">{t('channels.unread', { n: formatNumber(entry.unread, i18n.language) })}</span>}
      </div>
      {entry.description !== null && entry.description !== '' && <p className="channel-description">{entry.description}</p>}
      <div className="channel-controls">
        <label className="switch">
          <input
            type="checkbox"
            role="switch"
            data-testid="subscribe"
            checked={choice ?? entry.subscribed}
            aria-busy={busy || undefined}
            disabled={busy || entry.mandatory}
            aria-describedby={entry.mandatory ? mandatoryId : undefined}
            onChange={(e) => subscribe(e.target.checked)}
          />{' '}
          {t('channels.subscribed')}
        </label>
        {entry.mandatory && <LockNote id={mandatoryId} reason={t('channels.mandatory')} />}
      </div>
      {entry.kind === 'notification' && (
        <fieldset className="channel-rule" disabled={locked !== null} aria-describedby={locked !== null ? lockId : undefined}>
          <legend>{t('channels.ruleLegend', { channel: entry.channel })}</legend>
          <div className="row">
            <span className="mute-state" data-testid="mute-state">
              {mute === 'off'
                ? t('channels.notMuted')
                : mute === 'forever'
                  ? t('channels.mutedForever')
                  : t('channels.mutedUntil', { when: formatDateTime(rule.mutedUntilMs ?? 0, i18n.language) })}
            </span>
            {mute === 'off' ? (
              <>
                <label>
                  {t('channels.muteFor')}{' '}
                  <select value={muteFor} onChange={(e) => setMuteFor(Number(e.target.value))}>
                    {MUTE_CHOICES.map((m) => (
                      <option key={m} value={m}>
                        {t(`channels.mute.${m}`)}
                      </option>
                    ))}
                  </select>
                </label>
                <button type="button" disabled={busy} onClick={() => changeRule(muteFor === 0 ? { muted: true } : { muteMinutes: muteFor })}>
                  {t('channels.muteButton')}
                </button>
              </>
            ) : (
              <button type="button" disabled={busy} onClick={() => changeRule({ muted: false })}>
                {t('channels.unmute')}
              </button>
            )}
          </div>
          <div className="row">
            <label>
              {t('channels.minPriority')}{' '}
              <select value={rule.minPriority} disabled={busy} onChange={(e) => changeRule({ minPriority: Number(e.target.value) })}>
                {[1, 2, 3, 4, 5].map((p) => (
                  <option key={p} value={p}>
                    {t(`priority.${p}`)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              <input type="checkbox" checked={rule.sound} disabled={busy} onChange={(e) => changeRule({ sound: e.target.checked })} /> {t('channels.sound')}
            </label>
          </div>
          {locked !== null && <LockNote id={lockId} reason={locked} />}
        </fieldset>
      )}
      {error !== '' && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </li>
  );
}

/** The Channels screen: the directory grouped by connection. */
export function ChannelsScreen({ api }: { api: ApiClient }) {
  const { t } = useTranslation();
  const { channels, error, replace } = useChannelDirectory(api);
  const groups = new Map<string, UiChannelEntry[]>();
  for (const c of channels ?? []) {
    const list = groups.get(c.connectionId) ?? [];
    list.push(c);
    groups.set(c.connectionId, list);
  }
  return (
    <>
      <h2>{t('channels.heading')}</h2>
      <p className="intro">{t('channels.intro')}</p>
      {error !== undefined && (
        <p role="alert" className="error">
          {t('channels.loadFailed', { error })}
        </p>
      )}
      {channels === undefined ? (
        error === undefined && <p className="empty">{t('history.loading')}</p>
      ) : channels.length === 0 ? (
        <p className="empty">{t('channels.empty')}</p>
      ) : (
        [...groups].map(([connectionId, list]) => (
          <section key={connectionId} className="channel-group" aria-labelledby={`channels-${connectionId}`} data-testid="channel-group">
            <h3 id={`channels-${connectionId}`}>{t('channels.connection', { id: connectionId })}</h3>
            <ul className="channel-list">
              {list.map((entry) => (
                <ChannelItem key={`${entry.connectionId}\u0000${entry.topic}`} api={api} entry={entry} onChanged={replace} />
              ))}
            </ul>
          </section>
        ))
      )}
    </>
  );
}
