import { useEffect, useRef } from 'react';
import type { UiConnectionStatus, UiMessage } from '../../electron/api/contract.ts';
import { isOpenableLink } from '../../electron/api/links.ts';
import type { ApiClient } from './api-client.ts';
import { ExportPanel } from './export-panel.tsx';
import { useHubState } from './use-hub-state.ts';

const PRIORITY_NAMES = ['', 'min', 'low', 'default', 'high', 'urgent'];

/** The tooltip of a connection: where, why in this state, and its heartbeat. */
function connectionDetails(c: UiConnectionStatus): string {
  const lines = [`${c.url}: ${c.stateReason}`];
  if (c.heartbeat.reason !== '') {
    const rtt = c.heartbeat.lastRttMs === null ? '' : `, last round trip ${Math.round(c.heartbeat.lastRttMs)} ms`;
    lines.push(`heartbeat: ${c.heartbeat.reason}${rtt}, ${c.heartbeat.lastHour} in the last hour`);
  }
  if (c.heartbeat.lastDetectionMs !== null) lines.push(`dead link last detected ${new Date(c.heartbeat.lastDetectionMs).toLocaleString()}`);
  return lines.join('\n');
}

function ConnectionBadge({ connection }: { connection: UiConnectionStatus }) {
  return (
    <li className={`connection connection-${connection.state}`} title={connectionDetails(connection)}>
      <span className="connection-id">{connection.id}</span> <span className="connection-state">{connection.state}</span>
      {connection.lastError && <span className="connection-error">: {connection.lastError}</span>}
      {connection.warning && (
        <span className="connection-warning" role="note">
          {' '}
          ⚠ {connection.warning}
        </span>
      )}
    </li>
  );
}

function MessageRow({
  message,
  onMarkRead,
  onAction,
}: {
  message: UiMessage;
  onMarkRead: (seq: number) => void;
  onAction: (seq: number, actionId: string) => void;
}) {
  const unread = message.readAtMs === null;
  return (
    <li
      id={`message-${message.seq}`}
      tabIndex={-1}
      className={`message priority-${message.priority}${unread ? ' unread' : ''}`}
      data-testid="message"
      data-seq={message.seq}
      data-unread={unread}
      aria-label={`${unread ? 'Unread: ' : ''}${message.title}`}
    >
      <div className="message-head">
        <strong className="message-title">{message.title}</strong>
        <span className="message-channel">{message.channel}</span>
        {message.priority !== 3 && <span className="message-priority">{PRIORITY_NAMES[message.priority]}</span>}
        <time dateTime={new Date(message.receivedAtMs).toISOString()}>{new Date(message.receivedAtMs).toLocaleString()}</time>
      </div>
      {message.body !== '' && <p className="message-body">{message.body}</p>}
      {message.tags.length > 0 && <p className="message-tags">{message.tags.join(', ')}</p>}
      {message.click !== null && isOpenableLink(message.click) && (
        <a className="message-link" href={message.click} target="_blank" rel="noopener noreferrer">
          Open link
        </a>
      )}
      {unread && (
        <button type="button" onClick={() => onMarkRead(message.seq)}>
          Mark read
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
            Acknowledged
          </span>
        ) : (
          <button key={action.id} type="button" className="message-action" onClick={() => onAction(message.seq, action.id)}>
            {action.label}
          </button>
        ),
      )}
    </li>
  );
}

/** The window: connection states and the message history. */
export function App({ api }: { api: ApiClient }) {
  const [state, actions] = useHubState(api);
  // A clicked notification: bring its message into view and give it focus (it is marked read by the core).
  // Once per click: a row that arrives later is focused when it appears, then never again.
  const focused = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (state.focusSeq === undefined || focused.current === state.focusSeq) return;
    const row = document.getElementById(`message-${state.focusSeq}`);
    if (!row) return;
    focused.current = state.focusSeq;
    row.scrollIntoView({ block: 'center' });
    row.focus();
  }, [state.focusSeq, state.messages]);
  const unread = state.messages.filter((m) => m.readAtMs === null).length;
  return (
    <div className="app">
      <header>
        <h1>Pushdesk</h1>
        <ul className="connections" aria-label="Connections">
          {state.connections.map((c) => (
            <ConnectionBadge key={c.id} connection={c} />
          ))}
        </ul>
      </header>
      {state.storeNotice && (
        <p role="alert" className="error">
          {state.storeNotice}
        </p>
      )}
      {state.error && (
        <p role="alert" className="error">
          {state.error}
        </p>
      )}
      <main>
        <h2>
          History <span className="unread-count">{unread > 0 ? `${unread} unread` : ''}</span>
        </h2>
        {state.messages.length === 0 ? (
          <p className="empty">No messages yet.</p>
        ) : (
          <ul className="messages" aria-label="Messages">
            {state.messages.map((m) => (
              <MessageRow key={m.seq} message={m} onMarkRead={actions.markRead} onAction={actions.choose} />
            ))}
          </ul>
        )}
        {state.hasOlder && (
          <button type="button" className="older" onClick={actions.loadOlder}>
            Load older messages
          </button>
        )}
        <ExportPanel api={api} channels={[...new Set(state.messages.map((m) => m.channel))].sort()} />
      </main>
    </div>
  );
}
