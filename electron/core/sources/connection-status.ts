/** The states a connection moves through; see ConnectionLifecycle. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'suspended' | 'stopped';

/**
 * What the UI and diagnostics show about one connection.
 *
 * `url` never carries credentials.
 */
export interface ConnectionStatus {
  readonly id: string;
  readonly url: string;
  readonly state: ConnectionState;
  /** Why it is in that state, in plain words ("no network: waiting for it to come back"). */
  readonly stateReason: string;
  /** Plain words for the most recent failure, if any since the last successful connect. */
  readonly lastError: string | undefined;
  readonly connectedSinceMs: number | undefined;
  readonly reconnects: number;
  readonly received: number;
  /** Payload bytes received. */
  readonly bytes: number;
  /** Malformed or oversized payloads rejected. */
  readonly rejected: number;
  /** A standing warning about this connection's safety (TLS verification off), if any. */
  readonly warning: string | undefined;
  /** Heartbeats: the interval in force and why, and what they measured. */
  readonly heartbeat: HeartbeatStatus;
}

/** What the connection panel shows about heartbeats. */
export interface HeartbeatStatus {
  /** "battery, adaptive, 180 s"; empty before the first decision. */
  readonly reason: string;
  readonly intervalSec: number;
  /** Round trip of the last answered heartbeat, in ms. */
  readonly lastRttMs: number | undefined;
  /** Heartbeats sent in the last hour. */
  readonly lastHour: number;
  /** When a dead link was last detected by a missing answer (epoch ms). */
  readonly lastDetectionMs: number | undefined;
}

/** Removes user name and password from a URL for display. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}
