import { describe, expect, it } from 'vitest';
import { Backoff, DEFAULT_BACKOFF } from '../../electron/core/sources/backoff.ts';

/** A small deterministic random source, so the simulation gives the same figures every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * Simulates a fleet reconnecting after its broker restarts: every desktop loses its link at t = 0, the
 * broker accepts connections again at `downMs`, and each desktop retries after the delays `nextDelay`
 * gives it. Returns when each desktop got back in, in ms.
 */
function reconnectTimes(desktops: number, downMs: number, nextDelay: (desktop: number) => () => number): number[] {
  const times: number[] = [];
  for (let d = 0; d < desktops; d++) {
    const delay = nextDelay(d);
    let t = 0;
    do t += delay();
    while (t < downMs);
    times.push(t);
  }
  return times;
}

/** The most connections the broker sees in any 100 ms window. */
function peakPer100Ms(times: number[]): number {
  const buckets = new Map<number, number>();
  for (const t of times) buckets.set(Math.floor(t / 100), (buckets.get(Math.floor(t / 100)) ?? 0) + 1);
  return Math.max(...buckets.values());
}

describe('a fleet of 10,000 desktops after a broker restart (simulation with the real backoff)', () => {
  const DESKTOPS = 10_000;
  const DOWN_MS = 5_000;

  it('spreads reconnects with full jitter, where a fixed period sends everyone at once', () => {
    const random = seeded(7);
    const jittered = reconnectTimes(DESKTOPS, DOWN_MS, () => {
      const backoff = new Backoff({ ...DEFAULT_BACKOFF, random });
      return () => backoff.nextDelayMs();
    });
    const fixed = reconnectTimes(DESKTOPS, DOWN_MS, () => () => 1000); // mqtt.js's reconnectPeriod
    const peakJittered = peakPer100Ms(jittered);
    const peakFixed = peakPer100Ms(fixed);
    console.log(`peak connections per 100 ms: full jitter ${peakJittered}, fixed 1 s period ${peakFixed}; all back after ${Math.round(Math.max(...jittered))} ms with jitter`);
    expect(peakFixed).toBe(DESKTOPS);
    expect(peakJittered).toBeLessThan(DESKTOPS / 20);
    expect(Math.max(...jittered)).toBeLessThan(DOWN_MS + 60_000); // never longer than one capped wait
  });

  it('spreads the first connects of a fleet that starts together over the start delay', () => {
    const random = seeded(11);
    const startDelayMaxMs = 30_000;
    const starts = Array.from({ length: DESKTOPS }, () => random() * startDelayMaxMs);
    const peak = peakPer100Ms(starts);
    console.log(`peak first connects per 100 ms with a 30 s start delay: ${peak} of ${DESKTOPS}`);
    expect(peak).toBeLessThan(DESKTOPS / 100);
  });
});
