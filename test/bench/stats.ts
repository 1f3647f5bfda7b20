/**
 * Small statistics and formatting helpers shared by the bench's figures.
 */

/** The middle value (the upper middle for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * The nearest-rank percentile: the smallest value that at least `p` per cent of the values do not exceed.
 *
 * @throws Error on an empty list: a figure without samples is a bench bug, not a zero.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/** Milliseconds on the system-wide monotonic clock (CLOCK_MONOTONIC on Linux): comparable across processes. */
export function monoMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

/** A duration in ms with precision that suits its size: 0.042 ms, 3.41 ms, 48.2 ms, 1,250 ms. */
export function fmtMs(ms: number): string {
  const digits = ms < 1 ? 3 : ms < 10 ? 2 : ms < 100 ? 1 : 0;
  return `${ms.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ms`;
}

/** A ratio of value to baseline, two decimals (three below 0.01, so a large win does not read as 0.00). */
export function fmtRatio(value: number, baseline: number): string {
  const ratio = value / baseline;
  return ratio < 0.01 ? ratio.toFixed(3) : ratio.toFixed(2);
}

/** Whole number with thousands separators. */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Column layout shared by every section of the bench's table. */
export function row(figure: string, value: string, baseline: string, ratio: string, target = ''): string {
  return `${figure.padEnd(58)} ${value.padStart(11)}    ${baseline.padEnd(44)} ${ratio.padStart(6)}${target === '' ? '' : `   ${target}`}`.trimEnd();
}

/** A section's heading row: the figure's title and what its baseline is. */
export const header = (title: string, baseline: string): string => row(title, 'value', `baseline (${baseline})`, 'ratio', 'target');

/** A target beside its figure, and whether this run met it (the bench never fails on a target). */
export const target = (text: string, met: boolean): string => `${text}: ${met ? 'met' : 'MISSED'}`;
