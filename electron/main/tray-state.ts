import type { ConnectionState } from '../core/sources/connection-status.ts';
import type { ChannelCount } from '../core/store/message-store.ts';

/** The overall state the tray icon shows. */
export type TrayStateName = 'connected' | 'degraded' | 'offline' | 'paused';

/** What the tray is computed from. */
export interface TrayInputs {
  readonly connections: readonly { readonly id: string; readonly state: ConnectionState }[];
  readonly channelCounts: readonly Pick<ChannelCount, 'channel' | 'unread'>[];
  /** Channels whose unread messages are not counted. */
  readonly muted: ReadonlySet<string>;
  /** Until when notifications are paused (epoch ms); undefined, or a past instant, when they are not. */
  readonly pausedUntilMs: number | undefined;
  readonly nowMs: number;
  /** The end of a pause as the person reads it ("14:30"). */
  readonly formatTime: (epochMs: number) => string;
}

/** What the tray shows. */
export interface TrayView {
  readonly state: TrayStateName;
  /** Unread messages outside muted channels. */
  readonly unread: number;
  /** The hover text, at most TOOLTIP_MAX characters. */
  readonly tooltip: string;
  /** The text beside the icon (macOS menu bar): the unread count, capped at "999+"; empty when none. */
  readonly label: string;
  /** For app.setBadgeCount (macOS Dock, Linux launchers); 0 hides the badge. */
  readonly badgeCount: number;
  /** The icon's base name under build/ (`tray-<state>`). */
  readonly icon: `tray-${TrayStateName}`;
}

/** Windows cuts tray tooltips at 127 characters. */
export const TOOLTIP_MAX = 127;

/** Connections listed by name in the tooltip; the rest are counted. */
const NAMED_DOWN = 3;

/**
 * The tray's state, tooltip, label and badge.
 *
 * Connections: every one connected is "connected", some down is "degraded", none connected (or none
 * configured) is "offline". One not started yet (its start may be delayed) counts as down. "paused"
 * shows only while the
 * connections are all up: a pause hides pop-ups, but a hub that lost its connections receives nothing
 * at all, and the person needs to see that first. The tooltip always names the pause.
 */
export function trayState(inputs: TrayInputs): TrayView {
  const unread = inputs.channelCounts.reduce((sum, c) => (inputs.muted.has(c.channel) ? sum : sum + Math.max(0, c.unread)), 0);
  const counted = inputs.connections;
  const down = counted.filter((c) => c.state !== 'connected');
  const paused = inputs.pausedUntilMs !== undefined && inputs.pausedUntilMs > inputs.nowMs;

  let connection: 'connected' | 'degraded' | 'offline';
  let connectionLine: string;
  if (counted.length === 0) {
    connection = 'offline';
    connectionLine = 'No connections configured';
  } else if (down.length === counted.length) {
    connection = 'offline';
    connectionLine = counted.length === 1 ? `Offline: ${counted[0]?.id} is down` : `Offline: all ${counted.length} connections down`;
  } else if (down.length > 0) {
    connection = 'degraded';
    const named = down.slice(0, NAMED_DOWN).map((c) => c.id);
    const more = down.length > NAMED_DOWN ? ` and ${down.length - NAMED_DOWN} more` : '';
    connectionLine = `${down.length} of ${counted.length} connections down: ${named.join(', ')}${more}`;
  } else {
    connection = 'connected';
    connectionLine = counted.length === 1 ? 'Connected' : `All ${counted.length} connections up`;
  }
  const state: TrayStateName = paused && connection === 'connected' ? 'paused' : connection;

  const lines = [`Pushdesk: ${unread === 0 ? 'no unread messages' : `${unread} unread`}`, connectionLine];
  if (paused && inputs.pausedUntilMs !== undefined) lines.push(`Notifications paused until ${inputs.formatTime(inputs.pausedUntilMs)}`);
  const tooltip = fit(lines, TOOLTIP_MAX);

  return {
    state,
    unread,
    tooltip,
    label: unread === 0 ? '' : unread > 999 ? '999+' : String(unread),
    badgeCount: unread,
    icon: `tray-${state}`,
  };
}

/** Joins the lines, cutting the longest (the connection list) rather than dropping the pause. */
function fit(lines: string[], max: number): string {
  const text = lines.join('\n');
  if (text.length <= max) return text;
  const excess = text.length - max;
  const longest = lines.reduce((at, line, i) => (line.length > (lines[at]?.length ?? 0) ? i : at), 0);
  const line = lines[longest] ?? '';
  const cut = [...lines];
  cut[longest] = `${line.slice(0, Math.max(0, line.length - excess - 1))}…`;
  return cut.join('\n').slice(0, max);
}
