import { describe, expect, it } from 'vitest';
import { AdaptiveInterval } from '../../electron/core/heartbeat/adaptive-interval.ts';
import { decideHeartbeat, DEFAULT_HEARTBEAT, heartbeatReason, type HeartbeatBasis, type MachineState } from '../../electron/core/heartbeat/heartbeat-policy.ts';

const machine = (over: Partial<MachineState> = {}): MachineState => ({ power: 'ac', online: true, suspended: false, networkId: 'wifi-1', ...over });
const facts = { critical: false, learnedIntervalSec: undefined, serverKeepaliveSec: undefined };

describe('decideHeartbeat', () => {
  it('on AC beats every 30 s with a 15 s timeout, so a dead link is found within 45 s', () => {
    const d = decideHeartbeat(machine(), DEFAULT_HEARTBEAT, facts);
    expect(d).toEqual({
      active: true,
      intervalSec: 30,
      timeoutSec: 14,
      reason: 'AC power, 30 s',
      profile: 'ac',
      adaptive: false,
      critical: false,
      profileSec: 30,
      serverAskedSec: undefined,
      backoff: { baseMs: 1000, capMs: 60_000 },
    });
    expect(d.intervalSec + d.timeoutSec).toBeLessThanOrEqual(45);
  });

  it('scales the reconnect backoff per power profile from the configured bounds', () => {
    const reconnect = { baseMs: 2000, capMs: 120_000 };
    const configured = { ...facts, reconnect };
    expect(decideHeartbeat(machine(), DEFAULT_HEARTBEAT, configured).backoff).toEqual(reconnect);
    expect(decideHeartbeat(machine({ power: 'battery' }), DEFAULT_HEARTBEAT, configured).backoff).toEqual({ baseMs: 4000, capMs: 240_000 });
    expect(decideHeartbeat(machine({ power: 'low-battery' }), DEFAULT_HEARTBEAT, configured).backoff).toEqual({ baseMs: 30_000, capMs: 600_000 });
    // A critical channel keeps the battery bounds on low battery.
    expect(decideHeartbeat(machine({ power: 'low-battery' }), DEFAULT_HEARTBEAT, { ...configured, critical: true }).backoff).toEqual({ baseMs: 4000, capMs: 240_000 });
    // The battery cap stops doubling at 10 minutes, but never goes below what was configured.
    expect(decideHeartbeat(machine({ power: 'battery' }), DEFAULT_HEARTBEAT, { ...facts, reconnect: { baseMs: 1000, capMs: 900_000 } }).backoff).toEqual({
      baseMs: 2000,
      capMs: 900_000,
    });
    // Offline or asleep: no attempts at all (the lifecycle waits), but the bounds follow the profile.
    expect(decideHeartbeat(machine({ online: false, power: 'battery' }), DEFAULT_HEARTBEAT, configured)).toMatchObject({ active: false, backoff: { baseMs: 4000 } });
  });

  it('on battery starts at 120 s (30 an hour) and uses what was learned, within 120 to 240 s', () => {
    expect(decideHeartbeat(machine({ power: 'battery' }), DEFAULT_HEARTBEAT, facts)).toMatchObject({ intervalSec: 120, reason: 'battery, adaptive, 120 s' });
    expect(decideHeartbeat(machine({ power: 'battery' }), DEFAULT_HEARTBEAT, { ...facts, learnedIntervalSec: 180 }).intervalSec).toBe(180);
    expect(decideHeartbeat(machine({ power: 'battery' }), DEFAULT_HEARTBEAT, { ...facts, learnedIntervalSec: 900 }).intervalSec).toBe(240);
    expect(decideHeartbeat(machine({ power: 'battery' }), DEFAULT_HEARTBEAT, { ...facts, learnedIntervalSec: 10 }).intervalSec).toBe(120);
  });

  it('ignores what was learned when adaptive mode is off', () => {
    const d = decideHeartbeat(machine({ power: 'battery' }), { ...DEFAULT_HEARTBEAT, adaptiveOnBattery: false }, { ...facts, learnedIntervalSec: 200 });
    expect(d).toMatchObject({ intervalSec: 120, reason: 'battery, 120 s' });
  });

  it('on low battery waits at least 300 s, unless a channel is critical', () => {
    expect(decideHeartbeat(machine({ power: 'low-battery' }), DEFAULT_HEARTBEAT, facts)).toMatchObject({ intervalSec: 300, reason: 'low battery, 300 s' });
    const critical = decideHeartbeat(machine({ power: 'low-battery' }), DEFAULT_HEARTBEAT, { ...facts, critical: true });
    expect(critical.intervalSec).toBe(120);
    expect(critical.reason).toMatch(/critical channel/);
  });

  it('sends no heartbeats while offline or asleep', () => {
    expect(decideHeartbeat(machine({ online: false }), DEFAULT_HEARTBEAT, facts)).toMatchObject({ active: false, reason: 'offline: no heartbeats' });
    expect(decideHeartbeat(machine({ suspended: true, power: 'battery' }), DEFAULT_HEARTBEAT, facts)).toMatchObject({ active: false, reason: 'asleep: no heartbeats' });
  });

  it('never exceeds a keep-alive the server imposes', () => {
    const d = decideHeartbeat(machine({ power: 'battery' }), DEFAULT_HEARTBEAT, { ...facts, serverKeepaliveSec: 60 });
    expect(d).toMatchObject({ intervalSec: 60, reason: 'battery, adaptive, 120 s; the server asks for 60 s' });
  });
});

describe('the heartbeat reason without words', () => {
  /** The fields the window words a reason from. */
  const basis = (d: HeartbeatBasis): HeartbeatBasis => ({ profile: d.profile, adaptive: d.adaptive, critical: d.critical, profileSec: d.profileSec, serverAskedSec: d.serverAskedSec });
  const battery = machine({ power: 'battery' });

  it('gives the profile, adaptive, critical and the intervals for every rule', () => {
    const cases: [MachineState, Parameters<typeof decideHeartbeat>[1], Parameters<typeof decideHeartbeat>[2], string, HeartbeatBasis][] = [
      [machine(), DEFAULT_HEARTBEAT, facts, 'AC power, 30 s', { profile: 'ac', adaptive: false, critical: false, profileSec: 30, serverAskedSec: undefined }],
      [battery, DEFAULT_HEARTBEAT, { ...facts, learnedIntervalSec: 180 }, 'battery, adaptive, 180 s', { profile: 'battery', adaptive: true, critical: false, profileSec: 180, serverAskedSec: undefined }],
      [battery, { ...DEFAULT_HEARTBEAT, adaptiveOnBattery: false }, facts, 'battery, 120 s', { profile: 'battery', adaptive: false, critical: false, profileSec: 120, serverAskedSec: undefined }],
      [
        machine({ power: 'low-battery' }),
        { ...DEFAULT_HEARTBEAT, lowBatteryMinSec: 600 },
        facts,
        'low battery, 600 s',
        { profile: 'low-battery', adaptive: false, critical: false, profileSec: 600, serverAskedSec: undefined },
      ],
      [
        machine({ power: 'low-battery' }),
        DEFAULT_HEARTBEAT,
        { ...facts, critical: true, learnedIntervalSec: 180 },
        'low battery but a critical channel: battery, adaptive, 180 s',
        { profile: 'low-battery', adaptive: true, critical: true, profileSec: 180, serverAskedSec: undefined },
      ],
      // Critical only matters on low battery.
      [machine(), DEFAULT_HEARTBEAT, { ...facts, critical: true }, 'AC power, 30 s', { profile: 'ac', adaptive: false, critical: false, profileSec: 30, serverAskedSec: undefined }],
      [machine({ suspended: true }), DEFAULT_HEARTBEAT, facts, 'asleep: no heartbeats', { profile: 'asleep', adaptive: false, critical: false, profileSec: 0, serverAskedSec: undefined }],
      [machine({ online: false }), DEFAULT_HEARTBEAT, facts, 'offline: no heartbeats', { profile: 'offline', adaptive: false, critical: false, profileSec: 0, serverAskedSec: undefined }],
      // Asleep wins over offline, as in the words.
      [machine({ online: false, suspended: true }), DEFAULT_HEARTBEAT, facts, 'asleep: no heartbeats', { profile: 'asleep', adaptive: false, critical: false, profileSec: 0, serverAskedSec: undefined }],
      [machine(), DEFAULT_HEARTBEAT, { ...facts, serverKeepaliveSec: 20 }, 'AC power, 30 s; the server asks for 20 s', { profile: 'ac', adaptive: false, critical: false, profileSec: 30, serverAskedSec: 20 }],
      // A server keep-alive longer than the interval changes nothing, and says nothing.
      [machine(), DEFAULT_HEARTBEAT, { ...facts, serverKeepaliveSec: 60 }, 'AC power, 30 s', { profile: 'ac', adaptive: false, critical: false, profileSec: 30, serverAskedSec: undefined }],
    ];
    for (const [m, settings, f, words, expected] of cases) {
      const d = decideHeartbeat(m, settings, f);
      expect(d.reason).toBe(words);
      expect(basis(d)).toEqual(expected);
      // The words are made from the fields, so the two never disagree.
      expect(heartbeatReason(basis(d))).toBe(words);
    }
  });

  it('keeps the interval in force apart from the profile\'s when a server shortens it', () => {
    const d = decideHeartbeat(battery, DEFAULT_HEARTBEAT, { ...facts, learnedIntervalSec: 180, serverKeepaliveSec: 60 });
    expect(d).toMatchObject({ intervalSec: 60, profileSec: 180, serverAskedSec: 60, adaptive: true, profile: 'battery' });
  });
});

describe('AdaptiveInterval', () => {
  const options = { minSec: 120, maxSec: 240, stepSec: 30, successesToGrow: 3 };

  it('lengthens after three idle heartbeats answered at the current interval, up to the maximum', () => {
    const learner = new AdaptiveInterval(options);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      learner.succeeded(learner.intervalSec);
      seen.push(learner.intervalSec);
    }
    expect(seen.slice(0, 3)).toEqual([120, 120, 150]);
    expect(learner.intervalSec).toBe(240);
  });

  it('does not count heartbeats after shorter silences (traffic kept the NAT mapping alive)', () => {
    const learner = new AdaptiveInterval(options);
    for (let i = 0; i < 10; i++) learner.succeeded(60);
    expect(learner.intervalSec).toBe(120);
  });

  it('steps back after a failure and never again tries the interval that failed on this network', () => {
    const learner = new AdaptiveInterval(options);
    for (let i = 0; i < 9; i++) learner.succeeded(learner.intervalSec);
    expect(learner.intervalSec).toBe(210);
    learner.failed();
    expect(learner.intervalSec).toBe(180);
    for (let i = 0; i < 30; i++) learner.succeeded(learner.intervalSec);
    expect(learner.intervalSec).toBe(180);
    expect(learner.learned).toEqual({ intervalSec: 180, failedAtSec: 210 });
  });

  it('ignores a failure after less silence than the interval, and forgets an old failure after many successes', () => {
    const learner = new AdaptiveInterval(options);
    expect(learner.failed(60)).toBe(false);
    expect(learner.learned.failedAtSec).toBeUndefined();
    for (let i = 0; i < 3; i++) learner.succeeded(120);
    learner.failed(150);
    expect(learner.learned).toEqual({ intervalSec: 120, failedAtSec: 150 });
    for (let i = 0; i < 299; i++) learner.succeeded(120);
    expect(learner.learned.failedAtSec).toBe(150);
    learner.succeeded(120);
    expect(learner.learned.failedAtSec).toBeUndefined();
  });

  it('resumes from what it learned before', () => {
    expect(new AdaptiveInterval(options, { intervalSec: 210, failedAtSec: undefined }).intervalSec).toBe(210);
    expect(new AdaptiveInterval(options, { intervalSec: 999, failedAtSec: undefined }).intervalSec).toBe(240);
  });
});
