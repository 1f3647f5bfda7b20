import { describe, expect, it } from 'vitest';
import { Backoff, DEFAULT_BACKOFF } from '../../electron/core/sources/backoff.ts';

describe('Backoff with full jitter', () => {
  it('doubles the ceiling from 1 s up to the 60 s cap', () => {
    const backoff = new Backoff({ ...DEFAULT_BACKOFF, random: () => 0.5 });
    const ceilings: number[] = [];
    for (let i = 0; i < 9; i++) {
      ceilings.push(backoff.ceilingMs());
      backoff.nextDelayMs();
    }
    expect(ceilings).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it('draws each delay between 0 and the ceiling', () => {
    const low = new Backoff({ ...DEFAULT_BACKOFF, random: () => 0 });
    const high = new Backoff({ ...DEFAULT_BACKOFF, random: () => 0.999999 });
    for (let i = 0; i < 10; i++) {
      expect(low.nextDelayMs()).toBe(0);
      const ceiling = high.ceilingMs();
      const delay = high.nextDelayMs();
      expect(delay).toBeLessThan(ceiling);
      expect(delay).toBeGreaterThanOrEqual(ceiling - 1);
    }
  });

  it('starts again from the base after a connection stayed up for 60 s, not after a short one', () => {
    const backoff = new Backoff({ ...DEFAULT_BACKOFF, random: () => 0.5 });
    for (let i = 0; i < 5; i++) backoff.nextDelayMs();
    backoff.connectionLost(59_999);
    expect(backoff.ceilingMs()).toBe(32_000);
    backoff.connectionLost(60_000);
    expect(backoff.ceilingMs()).toBe(1000);
    expect(backoff.attempt).toBe(0);
  });

  it('spreads the first reconnect of many clients over the whole window', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const delays = Array.from({ length: 1000 }, () => new Backoff({ ...DEFAULT_BACKOFF, random }).nextDelayMs());
    const buckets = [0, 0, 0, 0];
    for (const d of delays) buckets[Math.floor(d / 250)]!++;
    for (const count of buckets) expect(count).toBeGreaterThan(200);
  });
});

describe('Backoff bounds that change with the power profile', () => {
  it('uses the new base and cap from the next delay on, keeping the attempt count', () => {
    const backoff = new Backoff({ baseMs: 1000, capMs: 60_000, resetAfterMs: 60_000, random: () => 0.999999 });
    backoff.nextDelayMs();
    backoff.nextDelayMs();
    expect(backoff.ceilingMs()).toBe(4000);
    backoff.setBounds({ baseMs: 30_000, capMs: 600_000 });
    expect(backoff.bounds).toEqual({ baseMs: 30_000, capMs: 600_000 });
    expect(backoff.attempt).toBe(2);
    expect(backoff.ceilingMs()).toBe(120_000);
    backoff.setBounds({ baseMs: 1000, capMs: 3000 });
    expect(backoff.ceilingMs()).toBe(3000);
  });
});
