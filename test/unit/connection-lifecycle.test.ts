import { describe, expect, it } from 'vitest';
import { Backoff, DEFAULT_BACKOFF } from '../../electron/core/sources/backoff.ts';
import { ConnectionLifecycle, type Timers } from '../../electron/core/sources/connection-lifecycle.ts';

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
