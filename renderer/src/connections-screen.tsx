import { lazy, Suspense, useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { UiConnectionStatus, UiConnectionView, UiLock } from '../../electron/api/contract.ts';
import type { ApiClient } from './api-client.ts';
import { useCoreCall, type CoreCallOptions } from './use-core-call.ts';
import type { ConnectionProposal } from './connection-form.tsx';
import { localiseHeartbeatReason, localiseStateReason } from './connection-words.ts';
import { formatDateTime, formatNumber } from './format.ts';
import { LockNote } from './lock-note.tsx';
import { lockFor } from './use-settings.ts';

/** The form, loaded when it is first opened. */
const ConnectionForm = lazy(() => import('./connection-form.tsx').then((m) => ({ default: m.ConnectionForm })));

/** The connections as the Connections screen edits them, listed again when the core says they changed. */
const WHEN: CoreCallOptions = { reloadOn: ['connectionsChanged'] };
function useConnectionViews(api: ApiClient): { views: readonly UiConnectionView[] | undefined; error: string | undefined } {
  const { result, error } = useCoreCall(api, 'listConnections', WHEN);
  return { views: result?.connections, error };
}

/** A connection's live state, in words: state, reasons, heartbeat, round trip, reconnects, error, warning. */
function StatusDetails({ status }: { status: UiConnectionStatus }) {
  const { t, i18n } = useTranslation();
  const n = (value: number): string => formatNumber(value, i18n.language);
  const hb = status.heartbeat;
  const hbReason = localiseHeartbeatReason(hb, t, i18n.language);
  return (
    <dl className="status-details">
      <div>
        <dt>{t('connections.fields.state')}</dt>
        <dd>
          <span className={`state-badge connection-${status.state}`} data-testid="connection-state">
            {t(`connections.state.${status.state}`)}
          </span>{' '}
          <span data-testid="connection-state-reason">{localiseStateReason(status, t, i18n.language)}</span>
        </dd>
      </div>
      {status.connectedSinceMs !== null && (
        <div>
          <dt>{t('connections.fields.since')}</dt>
          <dd>{formatDateTime(status.connectedSinceMs, i18n.language)}</dd>
        </div>
      )}
      <div>
        <dt>{t('connections.fields.heartbeat')}</dt>
        <dd data-testid="connection-heartbeat">{hbReason === '' ? t('connections.none') : t('connections.heartbeatEvery', { reason: hbReason, sec: n(hb.intervalSec) })}</dd>
      </div>
      <div>
        <dt>{t('connections.fields.rtt')}</dt>
        <dd>{hb.lastRttMs === null ? t('connections.none') : t('connections.ms', { ms: n(Math.round(hb.lastRttMs)) })}</dd>
      </div>
      <div>
        <dt>{t('connections.fields.reconnects')}</dt>
        <dd>{n(status.reconnects)}</dd>
      </div>
      <div>
        <dt>{t('connections.fields.received')}</dt>
        <dd>{t('connections.receivedValue', { n: n(status.received), rejected: n(status.rejected) })}</dd>
      </div>
      {hb.lastDetectionMs !== null && (
        <div>
          <dt>{t('connections.fields.deadLink')}</dt>
          <dd>{formatDateTime(hb.lastDetectionMs, i18n.language)}</dd>
        </div>
      )}
      <div>
        <dt>{t('connections.fields.lastError')}</dt>
        <dd className={status.lastError ? 'error' : undefined}>{status.lastError ?? t('connections.none')}</dd>
      </div>
      {status.warning !== null && (
        <div>
          <dt>{t('connections.fields.warning')}</dt>
          <dd className="warning">
            <span aria-hidden="true">⚠</span> {status.warning}
          </dd>
        </div>
      )}
    </dl>
  );
}

/** One connection: its live state, what it is set to, and Edit, Test, Remove. */
function ConnectionCard({
  api,
  view,
  status,
  onEdit,
}: {
  api: ApiClient;
  view: UiConnectionView | undefined;
  status: UiConnectionStatus | undefined;
  onEdit: (view: UiConnectionView) => void;
}) {
  const { t, i18n } = useTranslation();
  const id = useId().replace(/[^A-Za-z0-9_-]/g, '');
  const name = view?.id ?? status?.id ?? '';
  const [confirming, setConfirming] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const removeRef = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  const locked = view?.lockedReason ?? null;
  const lockId = `${id}-lock`;
  const remove = (): void => {
    setBusy(true);
    api
      .call('removeConnection', { id: name })
      .then(
        () => setOutcome({ ok: true, text: t('connections.removed', { id: name }) }),
        (e: Error) => setOutcome({ ok: false, text: t('connections.removeFailed', { error: e.message }) }),
      )
      .finally(() => {
        setBusy(false);
        setConfirming(false);
      });
  };
  const test = (): void => {
    if (!view) return;
    setBusy(true);
    setOutcome(undefined);
    const connection = { id: view.id, kind: view.kind, url: view.url, ...(view.username === null ? {} : { username: view.username }), verifyTls: view.verifyTls, subscriptions: view.subscriptions };
    api
      .call('testConnection', { connection })
      .then(
        (r) => setOutcome({ ok: r.ok, text: t(r.ok ? 'form.testOk' : 'form.testFailed', { message: r.message, ms: formatNumber(Math.round(r.elapsedMs), i18n.language) }) }),
        (e: Error) => setOutcome({ ok: false, text: t('form.testError', { error: e.message }) }),
      )
      .finally(() => setBusy(false));
  };

  return (
    <li className="connection-card" data-testid="connection-card" data-id={name}>
      <div className="connection-card-head">
        <h3 id={`${id}-name`}>{name}</h3>
        {view && <span className="badge">{t(`form.kind${view.kind === 'mqtt' ? 'Mqtt' : 'Ntfy'}`)}</span>}
        {view && <span className="badge">{t(`connections.source.${view.source}`)}</span>}
        <code className="connection-url">{view?.url ?? status?.url}</code>
      </div>
      {status ? <StatusDetails status={status} /> : <p className="muted">{t('connections.noStatus')}</p>}
      {view && (
        <>
          <p className="connection-settings">
            {view.username !== null && <span>{t('connections.usernameValue', { username: view.username })} </span>}
            <span>{view.hasSecret ? t('connections.secretKept') : t('connections.noSecret')} </span>
            {view.kind === 'mqtt' && <span>{view.verifyTls ? t('connections.tlsVerified') : t('connections.tlsNotVerified')}</span>}
          </p>
          <ul className="subscriptions" aria-label={t('connections.subscriptionsOf', { id: name })}>
            {view.subscriptions.map((s) => (
              <li key={s.topic}>
                <code>{s.topic}</code> <span aria-hidden="true">→</span>
                <span className="visually-hidden">{t('connections.toChannel')}</span> {s.channel}
              </li>
            ))}
          </ul>
          {locked !== null && <LockNote id={lockId} reason={locked} />}
          <div className="buttons">
            <button type="button" disabled={locked !== null || busy} aria-describedby={locked !== null ? lockId : undefined} onClick={() => onEdit(view)}>
              {t('connections.edit')}
            </button>
            <button type="button" disabled={busy} onClick={test}>
              {t('form.test')}
            </button>
            <button ref={removeRef} type="button" disabled={locked !== null || busy || confirming} aria-describedby={locked !== null ? lockId : undefined} onClick={() => setConfirming(true)}>
              {t('connections.remove')}
            </button>
          </div>
          {confirming && (
            <div role="group" aria-labelledby={`${id}-confirm`} className="confirm" data-testid="confirm-remove">
              <p id={`${id}-confirm`}>{t('connections.confirmRemove', { id: name })}</p>
              <button ref={confirmRef} type="button" className="danger" disabled={busy} onClick={remove}>
                {t('connections.confirmYes')}
              </button>{' '}
              <button
                type="button"
                onClick={() => {
                  setConfirming(false);
                  requestAnimationFrame(() => removeRef.current?.focus());
                }}
              >
                {t('form.cancel')}
              </button>
            </div>
          )}
        </>
      )}
      <p role="status" className={outcome ? (outcome.ok ? 'test-ok' : 'test-failed') : undefined}>
        {busy && !confirming ? t('form.working') : (outcome?.text ?? '')}
      </p>
    </li>
  );
}

/** A connection a link proposed, numbered so that each proposal opens a fresh form. */
export interface NumberedProposal extends ConnectionProposal {
  readonly seq: number;
}

/** The Connections screen: each connection's live state and settings; add, edit, test, remove. */
export function ConnectionsScreen({
  api,
  statuses,
  locks,
  proposal,
  onProposalTaken,
}: {
  api: ApiClient;
  statuses: readonly UiConnectionStatus[];
  /** The settings' locks: "connections" keeps the person from adding connections. */
  locks: readonly UiLock[];
  /** A connection a link proposed, not yet shown: the add form opens with it. */
  proposal?: NumberedProposal | undefined;
  /** Called once the screen has taken the proposal (so it is not shown again). */
  onProposalTaken?: () => void;
}) {
  const { t } = useTranslation();
  const addLock = lockFor(locks, 'connections');
  const { views, error } = useConnectionViews(api);
  // The form: closed, adding (null) or editing a connection.
  const [editing, setEditing] = useState<UiConnectionView | null | undefined>(undefined);
  // What the add form starts with when a link proposed the connection.
  const [proposed, setProposed] = useState<NumberedProposal | undefined>(undefined);
  const [notice, setNotice] = useState('');
  const addRef = useRef<HTMLButtonElement>(null);

  // A proposal opens the add form with it (replacing a form left open: the person just confirmed the link);
  // nothing is saved until the person saves. Where connections are locked, it says why instead.
  const locked = addLock !== undefined;
  useEffect(() => {
    if (!proposal) return;
    onProposalTaken?.();
    if (locked) {
      setNotice(t('connections.proposalLocked', { url: proposal.url }));
      return;
    }
    setNotice('');
    setProposed(proposal);
    setEditing(null);
    scrollTo({ top: 0 });
  }, [proposal, onProposalTaken, locked, t]);

  // The editable connections once they are known (a removed one's last state may linger); until then, the running ones.
  const ids = views ? views.map((v) => v.id) : statuses.map((s) => s.id);
  return (
    <>
      <h2>{t('connections.heading')}</h2>
      {error !== undefined && (
        <p role="alert" className="error">
          {t('connections.loadFailed', { error })}
        </p>
      )}
      {editing === undefined ? (
        <>
          <button
            ref={addRef}
            type="button"
            className="primary"
            disabled={addLock !== undefined}
            aria-describedby={addLock ? 'connections-add-lock' : undefined}
            onClick={() => {
              setNotice('');
              setProposed(undefined);
              setEditing(null);
            }}
          >
            {t('connections.add')}
          </button>
          {addLock && <LockNote id="connections-add-lock" reason={addLock.reason} />}
        </>
      ) : (
        <Suspense fallback={<p className="empty">{t('app.loading')}</p>}>
          <ConnectionForm
            key={editing?.id ?? (proposed ? `(proposal ${proposed.seq})` : '(new)')}
            api={api}
            editing={editing ?? undefined}
            proposal={editing === null ? proposed : undefined}
            onDone={(savedId) => {
              setEditing(undefined);
              setProposed(undefined);
              setNotice(savedId === undefined ? '' : t('connections.saved', { id: savedId }));
              requestAnimationFrame(() => addRef.current?.focus());
            }}
          />
        </Suspense>
      )}
      <p role="status" className="notice">
        {notice}
      </p>
      {ids.length === 0 ? (
        <p className="empty">{views === undefined && error === undefined ? t('history.loading') : t('connections.empty')}</p>
      ) : (
        <ul className="connection-cards" aria-label={t('connections.label')}>
          {ids.map((cid) => (
            <ConnectionCard
              key={cid}
              api={api}
              view={views?.find((v) => v.id === cid)}
              status={statuses.find((s) => s.id === cid)}
              onEdit={(view) => {
                setNotice('');
                setProposed(undefined);
                setEditing(view);
                scrollTo({ top: 0 });
              }}
            />
          ))}
        </ul>
      )}
    </>
  );
}
