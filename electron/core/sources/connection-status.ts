import type { HeartbeatProfile } from '../heartbeat/heartbeat-policy.ts';

/** The states a connection moves through; see ConnectionLifecycle. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'suspended' | 'stopped';

/**
 * Why a connection is in its state, as a language-free code the window words in its own language
 * (`stateReason` keeps the English words, for logs, diagnostics and tests):
 *
 * - not-started: "not started"; stopped: "stopped"; connected: "connected";
 * - connecting: "connecting to the server" (the first attempt);
 * - reconnecting-in: "<why>; retrying in 3.2 s (attempt 4)", with `retryInSec` and `attempt`; the why is
 *   the failure's own words, which the status carries as `lastError`;
 * - reconnecting: "reconnecting to the server" (the backoff ran out, attempting now);
 * - waiting-for-network: "no network: waiting for it to come back"; asleep: "the system is asleep";
 * - network-back: "the network is back: reconnecting now"; woke-up: "the system woke up: reconnecting now";
 * - renegotiating: reconnecting at once to renew the link (a longer keep-alive to announce, a stream to
 *   check); the source's own words for it stay in `stateReason`;
 * - other: anything without a code yet; the window shows `stateReason` as it is.
 */
export type ConnectionStateCode =
  | 'not-started'
  | 'connecting'
  | 'connected'
  | 'reconnecting-in'
  | 'reconnecting'
  | 'waiting-for-network'
  | 'asleep'
  | 'network-back'
  | 'woke-up'
  | 'renegotiating'
  | 'stopped'
  | 'other';

/** A state reason's code and its numbers (`retryInSec` and `attempt` for reconnecting-in only). */
export interface ConnectionStateDetail {
  readonly code: ConnectionStateCode;
  /** Seconds until the next attempt, to one decimal as the words give it. */
  readonly retryInSec?: number | undefined;
  /** The attempt the retry will be, counted since the last good connection. */
  readonly attempt?: number | undefined;
}

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
  /** The same reason as a code and numbers, for the window's language; see ConnectionStateCode. */
  readonly stateCode: ConnectionStateCode;
  readonly retryInSec: number | undefined;
  readonly attempt: number | undefined;
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
  /**
   * The same reason without words (HeartbeatDecision's fields): the power profile, undefined before the
   * first decision or when the reason says more than these fields do (the window then shows `reason`).
   */
  readonly profile: HeartbeatProfile | undefined;
  readonly adaptive: boolean;
  readonly critical: boolean;
  /** The profile's own interval, before a server's keep-alive shortened it; 0 when inactive. */
  readonly profileSec: number;
  /** A keep-alive the server (or MQTT broker) imposes that is shorter than the profile's interval. */
  readonly serverAskedSec: number | undefined;
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
