import { describe, expect, it } from 'vitest';
import { decideHeartbeat, DEFAULT_HEARTBEAT, type HeartbeatDecision } from '../../electron/core/heartbeat/heartbeat-policy.ts';
import { Backoff, DEFAULT_BACKOFF } from '../../electron/core/sources/backoff.ts';
import { ConnectionLifecycle, type Timers } from '../../electron/core/sources/connection-lifecycle.ts';
import type { ConnectionStateDetail } from '../../electron/core/sources/connection-status.ts';
import { SourceBase } from '../../electron/core/sources/source-base.ts';

/** A clock and timers that move only when the test says so. */
function fakeTime(): Timers & { now: () => number; advance: (ms: number) => void; pending: () => number } {
  let now = 0;
  let next = 1;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    setTimeout: (callback, ms) => {
      const id = next++;
      timers.set(id, { at: now + ms, callback });
      return id;
    },
    clearTimeout: (handle) => timers.delete(handle as number),
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].callback();
      }
      now = until;
    },
    pending: () => timers.size,
  };
}

function setup(random = () => 0.5) {
  const time = fakeTime();
  const calls: string[] = [];
  const states: string[] = [];
  const lifecycle = new ConnectionLifecycle({
    link: { open: () => calls.push('open'), drop: () => calls.push('drop') },
    backoff: new Backoff({ ...DEFAULT_BACKOFF, random }),
    timers: time,
    now: time.now,
  });
  lifecycle.on('change', (state, reason) => states.push(`${state}: ${reason}`));
  return { time, calls, states, lifecycle };
}

describe('ConnectionLifecycle', () => {
  it('connects, and after a loss waits a jittered backoff before reconnecting', () => {
    const { time, calls, lifecycle } = setup();
    lifecycle.start();
    expect(lifecycle.state).toBe('connecting');
    lifecycle.connected();
    lifecycle.lost('the broker closed the connection');
    expect(lifecycle.state).toBe('reconnecting');
    expect(lifecycle.reason).toBe('the broker closed the connection; retrying in 0.5 s (attempt 1)');
    time.advance(499);
    expect(calls).toEqual(['open']);
    time.advance(1);
    expect(calls).toEqual(['open', 'open']);
    expect(lifecycle.state).toBe('connecting');
    expect(lifecycle.reconnects).toBe(1);
  });

  it('grows the delay while connecting keeps failing, up to the cap', () => {
    const { time, lifecycle } = setup(() => 0.999);
    lifecycle.start();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      lifecycle.lost('refused');
      const before = time.now();
      while (lifecycle.state === 'reconnecting') time.advance(100);
      delays.push(time.now() - before);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('spends no retries while offline and reconnects at once when the network returns', () => {
    const { time, calls, lifecycle } = setup();
    lifecycle.start();
    lifecycle.connected();
    lifecycle.setOnline(false);
    expect(lifecycle.state).toBe('offline');
    expect(calls).toEqual(['open', 'drop']);
    lifecycle.lost('socket closed'); // the dropped link reports its close
    time.advance(10 * 60_000);
    expect(calls).toEqual(['open', 'drop']);
    expect(time.pending()).toBe(0);
    lifecycle.setOnline(true);
    expect(calls).toEqual(['open', 'drop', 'open']);
    expect(lifecycle.reason).toBe('the network is back: reconnecting now');
  });

  it('cancels a scheduled retry when the system sleeps, and reconnects at once on resume', () => {
    const { time, calls, lifecycle } = setup();
    lifecycle.start();
    lifecycle.lost('refused');
    lifecycle.suspend();
    expect(lifecycle.state).toBe('suspended');
    time.advance(120_000);
    expect(calls).toEqual(['open']);
    lifecycle.resume();
    expect(calls).toEqual(['open', 'open']);
    expect(lifecycle.state).toBe('connecting');
  });

  it('waits for the network after resuming without one', () => {
    const { calls, lifecycle } = setup();
    lifecycle.start();
    lifecycle.suspend();
    lifecycle.setOnline(false);
    lifecycle.resume();
    expect(lifecycle.state).toBe('offline');
    expect(calls).toEqual(['open', 'drop']);
  });

  it('starts offline without trying to connect', () => {
    const { calls, lifecycle } = setup();
    lifecycle.setOnline(false);
    lifecycle.start();
    expect(lifecycle.state).toBe('offline');
    expect(calls).toEqual([]);
  });

  it('resets the backoff after a connection that lasted 60 s', () => {
    const { time, lifecycle } = setup(() => 0.999);
    lifecycle.start();
    for (let i = 0; i < 4; i++) {
      lifecycle.lost('refused');
      while (lifecycle.state === 'reconnecting') time.advance(100);
    }
    lifecycle.connected();
    time.advance(60_000);
    lifecycle.lost('closed');
    expect(lifecycle.reason).toMatch(/retrying in 1\.0 s \(attempt 1\)/);
  });

  it('does nothing more after stop', () => {
    const { time, calls, lifecycle } = setup();
    lifecycle.start();
    lifecycle.lost('refused');
    lifecycle.stop();
    time.advance(120_000);
    lifecycle.setOnline(false);
    lifecycle.setOnline(true);
    expect(calls).toEqual(['open']);
    expect(lifecycle.state).toBe('stopped');
  });
});

describe('ConnectionLifecycle reason codes', () => {
  /** Every change as state, English words and the code with its numbers, as the event gives them. */
  function recorded(random = () => 0.5) {
    const { time, lifecycle } = setup(random);
    const changes: { state: string; reason: string; detail: ConnectionStateDetail }[] = [];
    lifecycle.on('change', (state, reason, detail) => changes.push({ state, reason, detail }));
    return { time, lifecycle, changes, last: () => changes.at(-1) };
  }

  it('codes every reason the lifecycle words, with the same numbers as the words', () => {
    const { time, lifecycle, last } = recorded(() => 0.8);
    expect(lifecycle.detail).toEqual({ code: 'not-started' });
    expect(lifecycle.reason).toBe('not started');
    lifecycle.start();
    expect(last()).toEqual({ state: 'connecting', reason: 'connecting to the server', detail: { code: 'connecting' } });
    lifecycle.connected();
    expect(last()).toEqual({ state: 'connected', reason: 'connected', detail: { code: 'connected' } });
    lifecycle.lost('the broker closed the connection');
    expect(last()).toEqual({
      state: 'reconnecting',
      reason: 'the broker closed the connection; retrying in 0.8 s (attempt 1)',
      detail: { code: 'reconnecting-in', retryInSec: 0.8, attempt: 1 },
    });
    time.advance(800);
    expect(last()).toEqual({ state: 'connecting', reason: 'reconnecting to the server', detail: { code: 'reconnecting' } });
    lifecycle.lost('refused');
    expect(last()?.detail).toEqual({ code: 'reconnecting-in', retryInSec: 1.6, attempt: 2 });
    expect(last()?.reason).toBe('refused; retrying in 1.6 s (attempt 2)');
    lifecycle.setOnline(false);
    expect(last()).toEqual({ state: 'offline', reason: 'no network: waiting for it to come back', detail: { code: 'waiting-for-network' } });
    lifecycle.setOnline(true);
    expect(last()).toEqual({ state: 'connecting', reason: 'the network is back: reconnecting now', detail: { code: 'network-back' } });
    lifecycle.suspend();
    expect(last()).toEqual({ state: 'suspended', reason: 'the system is asleep', detail: { code: 'asleep' } });
    lifecycle.resume();
    expect(last()).toEqual({ state: 'connecting', reason: 'the system woke up: reconnecting now', detail: { code: 'woke-up' } });
    lifecycle.connected();
    lifecycle.renegotiate('the heartbeat interval grew to 240 s: reconnecting quietly to announce it');
    expect(last()).toEqual({
      state: 'connecting',
      reason: 'the heartbeat interval grew to 240 s: reconnecting quietly to announce it',
      detail: { code: 'renegotiating' },
    });
    lifecycle.stop();
    expect(last()).toEqual({ state: 'stopped', reason: 'stopped', detail: { code: 'stopped' } });
    expect(lifecycle.detail).toEqual({ code: 'stopped' });
  });

  it('codes the waits of a start while asleep or offline, and of a resume without a network', () => {
    const asleep = recorded();
    asleep.lifecycle.suspend();
    asleep.lifecycle.start();
    expect(asleep.last()).toMatchObject({ state: 'suspended', detail: { code: 'asleep' } });
    asleep.lifecycle.setOnline(false);
    asleep.lifecycle.resume();
    expect(asleep.last()).toMatchObject({ state: 'offline', detail: { code: 'waiting-for-network' } });
    const offline = recorded();
    offline.lifecycle.setOnline(false);
    offline.lifecycle.start();
    expect(offline.last()).toMatchObject({ state: 'offline', detail: { code: 'waiting-for-network' } });
  });

  it('rounds the retry delay to the tenth of a second the words show', () => {
    const { lifecycle, last } = recorded(() => 0.12345);
    lifecycle.start();
    lifecycle.lost('refused');
    expect(last()?.reason).toBe('refused; retrying in 0.1 s (attempt 1)');
    expect(last()?.detail.retryInSec).toBe(0.1);
  });
});

/** A source with no link, for its status. */
class StatusSource extends SourceBase {
  serverSec: number | undefined;
  constructor() {
    super({ id: 'plant', url: 'mqtt://user:secret@broker.example:1883', backoff: new Backoff({ ...DEFAULT_BACKOFF, random: () => 0.5 }) });
  }
  protected override openLink(): void {}
  protected override dropLink(): void {}
  protected override heartbeatChanged(): void {}
  protected override probeLink(): void {}
  protected override serverKeepaliveSec(): number | undefined {
    return this.serverSec;
  }
  connect(): void {
    this.lifecycle.connected();
  }
  lose(why: string): void {
    this.lastError = why;
    this.lifecycle.lost(why);
  }
}

describe('SourceBase status codes', () => {
  const ac = (over: Partial<Parameters<typeof decideHeartbeat>[2]> = {}): HeartbeatDecision =>
    decideHeartbeat({ power: 'ac', online: true, suspended: false, networkId: 'n' }, DEFAULT_HEARTBEAT, {
      critical: false,
      learnedIntervalSec: undefined,
      serverKeepaliveSec: undefined,
      ...over,
    });

  it('carries the state code and its numbers, with the why in lastError', () => {
    const source = new StatusSource();
    expect(source.status()).toMatchObject({ state: 'stopped', stateReason: 'not started', stateCode: 'not-started', retryInSec: undefined, attempt: undefined });
    source.start();
    source.connect();
    source.lose('connection refused');
    expect(source.status()).toMatchObject({
      state: 'reconnecting',
      stateReason: 'connection refused; retrying in 0.5 s (attempt 1)',
      stateCode: 'reconnecting-in',
      retryInSec: 0.5,
      attempt: 1,
      lastError: 'connection refused',
    });
  });

  it("carries the heartbeat decision's fields beside its words, and none before the first decision", () => {
    const source = new StatusSource();
    expect(source.status().heartbeat).toEqual({
      reason: '',
      intervalSec: 0,
      profile: undefined,
      adaptive: false,
      critical: false,
      profileSec: 0,
      serverAskedSec: undefined,
      lastRttMs: undefined,
      lastHour: 0,
      lastDetectionMs: undefined,
    });
    source.applyHeartbeat(ac());
    expect(source.status().heartbeat).toMatchObject({ reason: 'AC power, 30 s', intervalSec: 30, profile: 'ac', adaptive: false, critical: false, profileSec: 30, serverAskedSec: undefined });
    source.applyHeartbeat(ac({ serverKeepaliveSec: 20 }));
    expect(source.status().heartbeat).toMatchObject({ reason: 'AC power, 30 s; the server asks for 20 s', intervalSec: 20, profile: 'ac', profileSec: 30, serverAskedSec: 20 });
  });

  it("adds a shorter keep-alive the server imposes, in words and as a field, and ignores a longer one", () => {
    const source = new StatusSource();
    source.applyHeartbeat(ac());
    source.serverSec = 20;
    expect(source.status().heartbeat).toMatchObject({ reason: 'AC power, 30 s; the broker asks for 20 s', profile: 'ac', profileSec: 30, serverAskedSec: 20 });
    source.serverSec = 45;
    expect(source.status().heartbeat).toMatchObject({ reason: 'AC power, 30 s', profile: 'ac', serverAskedSec: undefined });
  });
});
