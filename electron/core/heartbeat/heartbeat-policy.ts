/**
 * When to send heartbeats: a pure function from what the machine is doing to an interval.
 *
 * The interval is the longest silence before a heartbeat is sent; the timeout is how long its answer
 * may take. A dead link is noticed at most interval + timeout after the last sign of life.
 */

/** The power state the OS reports. Power-saver mode counts as low battery. */
export type PowerSource = 'ac' | 'battery' | 'low-battery';

/** What the OS says about the machine now. */
export interface MachineState {
  readonly power: PowerSource;
  readonly online: boolean;
  readonly suspended: boolean;
  /** An identifier of the current network (interface and addresses); adaptive intervals are kept per network. */
  readonly networkId: string;
}

/** The heartbeat settings (docs/configuration.md, `heartbeat`). Durations in seconds. */
export interface HeartbeatSettings {
  readonly acIntervalSec: number;
  readonly acTimeoutSec: number;
  readonly batteryMinSec: number;
  readonly batteryMaxSec: number;
  readonly batteryTimeoutSec: number;
  readonly lowBatteryMinSec: number;
  /** How long the answer to a probe after resume, unlock or a network change may take. */
  readonly probeTimeoutSec: number;
  /** Learn the longest interval the network tolerates while on battery. */
  readonly adaptiveOnBattery: boolean;
}

/** The defaults: 30 s on AC (a dead link is found 44 s after the last traffic at most), 120 to 240 s on battery, 300 s on low battery. */
export const DEFAULT_HEARTBEAT: HeartbeatSettings = {
  acIntervalSec: 30,
  acTimeoutSec: 14,
  batteryMinSec: 120,
  batteryMaxSec: 240,
  batteryTimeoutSec: 30,
  lowBatteryMinSec: 300,
  probeTimeoutSec: 4,
  adaptiveOnBattery: true,
};

/** Which rule chose the interval: the power profile, or asleep or offline (no heartbeats). */
export type HeartbeatProfile = 'ac' | 'battery' | 'low-battery' | 'asleep' | 'offline';

/**
 * Why the interval is what it is, without words: the window words it in its own language, and
 * `heartbeatReason` words it in English for the decision's `reason`.
 */
export interface HeartbeatBasis {
  readonly profile: HeartbeatProfile;
  /** On battery (or low battery with a critical channel) with adaptive mode on. */
  readonly adaptive: boolean;
  /** On low battery, a critical channel kept the battery interval. */
  readonly critical: boolean;
  /** The profile's own interval, before a server's keep-alive shortened it; 0 when asleep or offline. */
  readonly profileSec: number;
  /** The keep-alive the server imposes, when it is shorter than the profile's interval. */
  readonly serverAskedSec: number | undefined;
}

/** What one connection should do. */
export interface HeartbeatDecision extends HeartbeatBasis {
  /** False while offline or asleep: no heartbeats at all. */
  readonly active: boolean;
  readonly intervalSec: number;
  readonly timeoutSec: number;
  /** In words, for logs, diagnostics and the connection panel in English: "battery, adaptive, 180 s". */
  readonly reason: string;
  /** Reconnect backoff bounds for this profile (full jitter between 0 and the growing ceiling). */
  readonly backoff: BackoffBounds;
}

/** The base and the cap of a reconnect backoff, in ms. */
export interface BackoffBounds {
  readonly baseMs: number;
  readonly capMs: number;
}

/**
 * Reconnect backoff per power profile, from the connection's configured bounds: on AC as configured;
 * on battery each doubled (fewer wake-ups while a server is away), at most 10 minutes; on low battery
 * (unless critical) a base of at least 30 s and a cap of at least 10 minutes. While offline or asleep
 * there are no attempts at all, and coming back reconnects at once, whatever the bounds.
 */
export function backoffFor(power: PowerSource, configured: BackoffBounds, critical: boolean): BackoffBounds {
  if (power === 'ac') return configured;
  if (power === 'low-battery' && !critical) {
    return { baseMs: Math.max(configured.baseMs * 4, 30_000), capMs: Math.max(configured.capMs, 600_000) };
  }
  return { baseMs: configured.baseMs * 2, capMs: Math.max(configured.capMs, Math.min(configured.capMs * 2, 600_000)) };
}

/** What the policy knows about one connection. */
export interface ConnectionFacts {
  /** A channel of this connection is marked critical: low battery does not stretch its heartbeat. */
  readonly critical: boolean;
  /** The interval the adaptive learner found for the current network, if any. */
  readonly learnedIntervalSec: number | undefined;
  /** A keep-alive the server imposes (MQTT 5 CONNACK Server Keep Alive), in seconds. */
  readonly serverKeepaliveSec: number | undefined;
  /** The reconnect bounds the configuration gives this connection (AC power uses them as they are). */
  readonly reconnect?: BackoffBounds | undefined;
}

/** mqtt.js's and the configuration's default reconnect bounds, when a connection gives none. */
const DEFAULT_RECONNECT: BackoffBounds = { baseMs: 1000, capMs: 60_000 };

/**
 * A basis in English words: "AC power, 30 s", "battery, adaptive, 180 s", "low battery, 600 s",
 * "low battery but a critical channel: battery, adaptive, 180 s", "asleep: no heartbeats",
 * "offline: no heartbeats", each with "; the server asks for 20 s" when a server shortened it.
 */
export function heartbeatReason(basis: HeartbeatBasis): string {
  if (basis.profile === 'asleep') return 'asleep: no heartbeats';
  if (basis.profile === 'offline') return 'offline: no heartbeats';
  let words: string;
  if (basis.profile === 'ac') words = `AC power, ${basis.profileSec} s`;
  else if (basis.profile === 'low-battery' && !basis.critical) words = `low battery, ${basis.profileSec} s`;
  else {
    words = `battery${basis.adaptive ? ', adaptive' : ''}, ${basis.profileSec} s`;
    if (basis.profile === 'low-battery') words = `low battery but a critical channel: ${words}`;
  }
  return basis.serverAskedSec === undefined ? words : `${words}; the server asks for ${basis.serverAskedSec} s`;
}

/**
 * Decides the heartbeat for one connection.
 *
 * Rules, in order: offline or asleep, none; on AC, the AC interval; on battery, the learned interval
 * within the battery bounds (the minimum when adaptive mode is off or nothing is learned yet); on low
 * battery, at least the low-battery minimum unless the connection is critical (then as on battery).
 * A keep-alive the server imposes is never exceeded.
 */
export function decideHeartbeat(machine: MachineState, settings: HeartbeatSettings, facts: ConnectionFacts): HeartbeatDecision {
  const backoff = backoffFor(machine.power, facts.reconnect ?? DEFAULT_RECONNECT, facts.critical);
  if (machine.suspended || !machine.online) {
    const basis: HeartbeatBasis = { profile: machine.suspended ? 'asleep' : 'offline', adaptive: false, critical: false, profileSec: 0, serverAskedSec: undefined };
    return { active: false, intervalSec: 0, timeoutSec: 0, ...basis, reason: heartbeatReason(basis), backoff };
  }
  const chosen = byPower(machine.power, settings, facts);
  const serverSec = facts.serverKeepaliveSec;
  const shortened = serverSec !== undefined && serverSec > 0 && chosen.basis.profileSec > serverSec;
  const basis: HeartbeatBasis = { ...chosen.basis, serverAskedSec: shortened ? serverSec : undefined };
  return {
    active: true,
    intervalSec: shortened ? serverSec : basis.profileSec,
    timeoutSec: chosen.timeoutSec,
    ...basis,
    reason: heartbeatReason(basis),
    backoff,
  };
}

function byPower(
  power: PowerSource,
  settings: HeartbeatSettings,
  facts: ConnectionFacts,
): { basis: Omit<HeartbeatBasis, 'serverAskedSec'>; timeoutSec: number } {
  const chose = (profile: PowerSource, profileSec: number, timeoutSec: number, adaptive = false) => ({
    basis: { profile, adaptive, critical: profile === 'low-battery' && facts.critical, profileSec },
    timeoutSec,
  });
  if (power === 'ac') return chose('ac', settings.acIntervalSec, settings.acTimeoutSec);
  if (power === 'low-battery' && !facts.critical) {
    return chose('low-battery', Math.max(settings.lowBatteryMinSec, settings.batteryMaxSec), settings.batteryTimeoutSec);
  }
  // Battery, or low battery with a critical channel: as on battery.
  const learned = settings.adaptiveOnBattery ? facts.learnedIntervalSec : undefined;
  const intervalSec = learned === undefined ? settings.batteryMinSec : Math.min(settings.batteryMaxSec, Math.max(settings.batteryMinSec, learned));
  return chose(power, intervalSec, settings.batteryTimeoutSec, settings.adaptiveOnBattery);
}
