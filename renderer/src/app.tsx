import { memo, lazy, Suspense, useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { UiConnectionStatus } from '../../electron/api/contract.ts';
import type { ApiClient } from './api-client.ts';
import { localiseHeartbeatReason, localiseStateReason } from './connection-words.ts';
import type { NumberedProposal } from './connections-screen.tsx';
import { formatDateTime, formatNumber } from './format.ts';
import { HistoryScreen } from './history-screen.tsx';
import { applyLanguageSetting } from './i18n/index.ts';
import { applyTheme } from './theme.ts';
import { useChannelCounts } from './use-channel-counts.ts';
import { NO_FILTERS, type HistoryFilters } from './use-history-search.ts';
import { useHubState, type FirstPage } from './use-hub-state.ts';
import { useSettings } from './use-settings.ts';

/** The window's screens, in the order of the tabs. */
export const SCREENS = ['history', 'channels', 'connections', 'settings'] as const;
export type Screen = (typeof SCREENS)[number];

/** The screen the address names (#channels), so a reload or a link opens it; History otherwise. */
function screenFromHash(): Screen {
  const name = location.hash.replace(/^#/, '');
  return (SCREENS as readonly string[]).includes(name) ? (name as Screen) : 'history';
}

/**
 * The screens other than History, each loaded the first time it is shown (History is what the window
 * opens on; the others would only slow its start). Once the first rows are drawn, they are fetched in
 * idle time, so a tab opens without waiting for the network.
 */
const loadChannels = () => import('./channels-screen.tsx');
const loadConnections = () => import('./connections-screen.tsx');
const loadSettings = () => import('./settings-screen.tsx');
const ChannelsScreen = lazy(() => loadChannels().then((m) => ({ default: m.ChannelsScreen })));
const ConnectionsScreen = lazy(() => loadConnections().then((m) => ({ default: m.ConnectionsScreen })));
const SettingsScreen = lazy(() => loadSettings().then((m) => ({ default: m.SettingsScreen })));

/** Fetches the other screens' code once the window is idle (they are run only when shown). */
function useLoadScreensWhenIdle(ready: boolean): void {
  useEffect(() => {
    if (!ready) return;
    const load = (): void => {
      void Promise.all([loadChannels(), loadConnections(), loadSettings(), import('./export-panel.tsx')]).catch(() => {});
    };
    if (typeof requestIdleCallback === 'function') {
      const id = requestIdleCallback(load, { timeout: 3000 });
      return () => cancelIdleCallback(id);
    }
    const timer = setTimeout(load, 1000);
    return () => clearTimeout(timer);
  }, [ready]);
}

/** A connection badge's tooltip: its address and state, and its heartbeat, in words. */
function badgeTitle(c: UiConnectionStatus, t: TFunction, language: string): string {
  const lines = [`${c.url}: ${localiseStateReason(c, t, language)}`];
  const reason = localiseHeartbeatReason(c.heartbeat, t, language);
  if (reason !== '') {
    const n = formatNumber(c.heartbeat.lastHour, language);
    lines.push(
      c.heartbeat.lastRttMs === null
        ? t('connections.heartbeat', { reason, n })
        : t('connections.heartbeatRtt', { reason, n, rtt: formatNumber(Math.round(c.heartbeat.lastRttMs), language) }),
    );
  }
  if (c.heartbeat.lastDetectionMs !== null) lines.push(t('connections.deadLink', { when: formatDateTime(c.heartbeat.lastDetectionMs, language) }));
  return lines.join('\n');
}

const ConnectionBadge = memo(function ConnectionBadge({ connection }: { connection: UiConnectionStatus }) {
  const { t, i18n } = useTranslation();
  const c = connection;
  // The tooltip is worded once the pointer comes near (and kept up to date after that), not on every
  // state change of every connection from the window's start.
  const [pointedAt, setPointedAt] = useState(false);
  return (
    <li
      className={`connection connection-${c.state}`}
      title={pointedAt ? badgeTitle(c, t, i18n.language) : undefined}
      onPointerEnter={pointedAt ? undefined : () => setPointedAt(true)}
    >
      <span className="connection-id">{c.id}</span> <span className="connection-state">{t(`connections.state.${c.state}`)}</span>
      {c.lastError && <span className="connection-error">: {c.lastError}</span>}
      {c.warning && (
        <span className="connection-warning" role="note">
          {' '}
          <span aria-hidden="true">⚠</span> {c.warning}
        </span>
      )}
    </li>
  );
});

/**
 * The screens as tabs (WAI-ARIA tabs pattern): one tab stop, the arrow keys, Home and End move between
 * the tabs and show the screen at once.
 */
function ScreenTabs({ screen, onSelect }: { screen: Screen; onSelect: (screen: Screen) => void }) {
  const { t } = useTranslation();
  const refs = useRef(new Map<Screen, HTMLButtonElement>());
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const at = SCREENS.indexOf(screen);
    const moves: Record<string, number> = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: SCREENS.length - 1 };
    const to = moves[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = SCREENS[(to + SCREENS.length) % SCREENS.length] as Screen;
    onSelect(next);
    refs.current.get(next)?.focus();
  };
  return (
    <div role="tablist" aria-label={t('nav.label')} className="tabs" onKeyDown={onKeyDown}>
      {SCREENS.map((s) => (
        <button
          key={s}
          ref={(el) => {
            if (el) refs.current.set(s, el);
            else refs.current.delete(s);
          }}
          type="button"
          role="tab"
          id={`tab-${s}`}
          data-testid={`tab-${s}`}
          aria-selected={s === screen}
          aria-controls={s === screen ? `panel-${s}` : undefined}
          tabIndex={s === screen ? 0 : -1}
          className="tab"
          onClick={() => onSelect(s)}
        >
          {t(`nav.${s}`)}
        </button>
      ))}
    </div>
  );
}

/** The window: connection states, the screens as tabs, and the screen shown. */
export function App({ api, first }: { api: ApiClient; first?: FirstPage | undefined }) {
  const { t } = useTranslation();
  const [state, actions] = useHubState(api, first);
  const channels = useChannelCounts(api);
  const [settingsState, updateSettings] = useSettings(api);
  const [screen, setScreen] = useState<Screen>(screenFromHash);
  // The history's search and filters stay as they were while another screen is shown.
  const [draft, setDraft] = useState<HistoryFilters>(NO_FILTERS);

  const settings = settingsState.settings;
  useEffect(() => {
    if (!settings) return;
    applyTheme(settings.theme);
    applyLanguageSetting(settings.language);
  }, [settings]);

  useEffect(() => {
    const onHash = (): void => setScreen(screenFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const select = (next: Screen): void => {
    setScreen(next);
    history.replaceState(null, '', next === 'history' ? `${location.pathname}${location.search}` : `#${next}`);
  };
  // A clicked notification shows its message, whatever screen is open.
  useEffect(() => {
    if (state.focusSeq !== undefined) setScreen('history');
  }, [state.focusSeq]);

  // A confirmed pushdesk://add-connection link: the Connections screen opens its add form with it.
  const [proposal, setProposal] = useState<NumberedProposal | undefined>(undefined);
  useEffect(() => {
    let seq = 0;
    return api.on('connectionProposed', ({ url, name }) => {
      seq += 1;
      setProposal({ url, name, seq });
      setScreen('connections');
      history.replaceState(null, '', '#connections');
    });
  }, [api]);
  const proposalTaken = useCallback(() => setProposal(undefined), []);
  useLoadScreensWhenIdle(state.messages.length > 0 || state.connections.length > 0 || state.error !== undefined);

  return (
    <div className="app">
      <header>
        <h1>{t('app.title')}</h1>
        <ul className="connections" aria-label={t('connections.label')}>
          {state.connections.map((c) => (
            <ConnectionBadge key={c.id} connection={c} />
          ))}
        </ul>
        <ScreenTabs screen={screen} onSelect={select} />
      </header>
      {state.storeNotice && (
        <p role="alert" className="error">
          {state.storeNotice}
        </p>
      )}
      <main>
        <div role="tabpanel" id={`panel-${screen}`} aria-labelledby={`tab-${screen}`} className="panel" data-testid={`panel-${screen}`}>
          {screen === 'history' && <HistoryScreen api={api} state={state} actions={actions} channels={channels} draft={draft} onDraftChange={setDraft} />}
          <Suspense fallback={<p className="empty">{t('app.loading')}</p>}>
            {screen === 'channels' && <ChannelsScreen api={api} />}
            {screen === 'connections' && (
              <ConnectionsScreen api={api} statuses={state.connections} locks={settingsState.locks} proposal={proposal} onProposalTaken={proposalTaken} />
            )}
            {screen === 'settings' && <SettingsScreen api={api} state={settingsState} update={updateSettings} channels={channels} />}
          </Suspense>
        </div>
      </main>
    </div>
  );
}
