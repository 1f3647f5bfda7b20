import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEFAULT_UI_DIR } from '../../electron/headless/headless-app.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { spawnHub, writeBenchConfig } from './hub-footprint.ts';
import { fmtInt, fmtMs, fmtRatio, header, median, percentile, row, target } from './stats.ts';
import { buildStoreFixture, DEFAULT_STORE_ROWS } from './store-fixture.ts';

/**
 * The window's figures, measured in Debian's Chromium through Playwright against a hub child process
 * (test/bench/ui-hub.ts: the headless hub's Hub, ApiService and bridge, serving the built UI).
 *
 * Frames under load: the History screen is open (scrolled to the top, so new rows appear) while a steady
 * publisher (its own process) sends ntfy-style JSON at `rate` msg/s for `seconds` to a real mosquitto the
 * hub subscribes to. In the page, an init script records every requestAnimationFrame timestamp, and
 * PerformanceObservers record 'longtask' (> 50 ms) and 'long-animation-frame' entries. Frame time is
 * the interval between consecutive animation frames while the stream runs.
 *   value:    batching on, as shipped: the hub gathers messagesAdded for 50 ms (uiBatchMs) and the UI
 *             applies core events once per animation frame;
 *   baseline: batching off end to end: the hub with uiBatchMs 0 (an event per store commit) and the page
 *             with `?batching=off` (renderer/src/frame-batch.ts: every event applied at once, in its own
 *             render).
 *
 * Opening the history: a cold load (a new browser context: no cache, a new renderer process) of the
 * hub's address, timed from navigation start (performance.timeOrigin, the token redirect included) to
 * the end of the rendering update of the first frame that contains a history row (a MutationObserver
 * sees the row, a requestAnimationFrame callback then a MessageChannel task after it). Median of
 * `loads` rounds, after one unmeasured load per hub (reported apart: the first after the hub started).
 *   value:    the hub on the 1,000,000-message store fixture (store-fixture.ts; BENCH_STORE_DIR reuses one);
 *   baseline: the same UI on a store of 1,000 messages built the same way; also reported: the large
 *             store with `?batching=off`, the large store reloaded in the same page (caches warm), and
 *             where the median load's time went (document, the bridge's WebSocket created and open, each
 *             first call sent and answered, DOMContentLoaded, row in the DOM, row drawn).
 *
 * Runs alone with `node --disable-warning=ExperimentalWarning test/bench/ui-frames.ts` after `npm run
 * build` (main() at the end: BENCH_UI_RATE, BENCH_UI_SECONDS, BENCH_UI_LOADS, BENCH_UI_FRAMES=0,
 * BENCH_UI_OPEN=0, BENCH_STORE_DIR, BENCH_STORE_ROWS, BENCH_UI_DIR). Without a store directory the
 * 1,000,000-message fixture is built in a temporary folder first and removed after.
 */

const UI_HUB = fileURLToPath(new URL('./ui-hub.ts', import.meta.url));
const PUBLISHER = fileURLToPath(new URL('./steady-publisher.ts', import.meta.url));
const TOPIC = 'bench/ui';
const VIEWPORT = { width: 1200, height: 800 };

/** What to run; everything has a default that matches the targets. */
export interface UiBenchOptions {
  /** Messages a second while frames are recorded (1,000). */
  readonly rate?: number | undefined;
  /** How long the stream lasts, s (30). */
  readonly seconds?: number | undefined;
  /** Frames recorded with nothing happening before each stream, s (3). */
  readonly idleSeconds?: number | undefined;
  /** Measured cold loads per store (7). */
  readonly loads?: number | undefined;
  /** A large store fixture to reuse (built here in a temporary folder when absent or empty). */
  readonly storeDir?: string | undefined;
  /** Its size (1,000,000). */
  readonly storeRows?: number | undefined;
  /** Size of the baseline store for opening the history (1,000). */
  readonly smallRows?: number | undefined;
  /** The built UI to serve (out/renderer, what `npm run build` makes, by default). */
  readonly uiDir?: string | undefined;
  /** Skip a part. */
  readonly frames?: boolean;
  readonly open?: boolean;
  readonly progress?: (line: string) => void;
}

/** A long task or long animation frame, times in ms from the page's time origin. */
export interface LongEntry {
  readonly startTime: number;
  readonly duration: number;
  /** long-animation-frame only: the part of it that blocked input (each task's time over 50 ms). */
  readonly blockingDuration?: number;
  /** long-animation-frame only: its longest scripts, "invoker (source function) ms". */
  readonly scripts?: readonly string[];
  /** long-animation-frame only: the longest script in it (0 when none took over 5 ms: the frame was not long because of the page's scripts). */
  readonly longestScriptMs?: number;
}

/** One stream with the History screen open. */
export interface FrameRun {
  readonly batching: boolean;
  readonly uiBatchMs: number;
  /** Intervals between animation frames while nothing happens, before the stream. */
  readonly idleFramesMs: number[];
  /** Intervals between animation frames while the stream runs. */
  readonly framesMs: number[];
  /** When each of those frames began, ms from the start of the stream. */
  readonly framesAtMs: number[];
  readonly longTasks: LongEntry[];
  readonly longAnimationFrames: LongEntry[];
  readonly sent: number;
  readonly sentPerSec: number;
  /** Messages the list said it held once the stream had drained. */
  readonly listed: number;
  /** The list's scroll position at the end (0: still at the top). */
  readonly scrollTop: number;
  /** The machine's 1-minute load average at the end (the bench shares it with whatever else runs). */
  readonly loadAverage: number;
}

/** One cold load: ms from navigation start. */
export interface OpenLoad {
  readonly firstRowMs: number;
  /** The row was in the DOM (before its frame was drawn). */
  readonly rowInsertedMs: number;
  /** The HTML document had arrived. */
  readonly responseEndMs: number;
  readonly domContentLoadedMs: number;
  /** The bridge's WebSocket until the first row: [ms, what] (socket created and open, calls sent, results). */
  readonly wire: [number, string][];
}

/** Loads of one store. */
export interface OpenSeries {
  readonly rows: number;
  readonly batching: boolean;
  /** The unmeasured load right after the hub started. */
  readonly first: OpenLoad;
  readonly loads: OpenLoad[];
}

export interface UiBenchResult {
  readonly chromium: string;
  /** Whether the served UI's code knows `?batching=off` (a build older than the switch would make both runs the same). */
  readonly batchingSwitch: boolean;
  readonly frames?: { readonly rate: number; readonly seconds: number; readonly on: FrameRun; readonly off: FrameRun };
  readonly open?: {
    readonly large: OpenSeries;
    readonly largeOff: OpenSeries;
    readonly small: OpenSeries;
    /** The large store again, reloaded in the same page right after each cold load (HTTP and code cache warm). */
    readonly warm: OpenLoad[];
    readonly storeBuilt: boolean;
    readonly loadAverage: number;
  };
}

/**
 * Runs in the page before its own scripts (through the DevTools protocol, so the page's CSP allows it):
 * frame timestamps, long tasks, long animation frames and the first history row.
 */
const INSTRUMENT = `(() => {
  const bench = { frames: [], longTasks: [], loafs: [], rowInsertedMs: undefined, firstRowMs: undefined };
  Object.defineProperty(window, '__uiBench', { value: bench });
  // Settled when the first row is drawn, so the bench waits with one call instead of asking the page
  // every few milliseconds (each question would be a task on the main thread being measured).
  let drawn;
  Object.defineProperty(window, '__uiBenchDrawn', { value: new Promise((resolve) => { drawn = resolve; }) });
  const tick = (t) => { bench.frames.push(t); requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const observe = (type, keep) => {
    try { new PerformanceObserver((list) => list.getEntries().forEach((e) => keep(e))).observe({ type, buffered: true }); } catch {}
  };
  observe('longtask', (e) => bench.longTasks.push({ startTime: e.startTime, duration: e.duration }));
  observe('long-animation-frame', (e) => bench.loafs.push({
    startTime: e.startTime, duration: e.duration, blockingDuration: e.blockingDuration,
    longestScriptMs: Math.max(0, ...[...(e.scripts || [])].map((s) => s.duration)),
    scripts: [...(e.scripts || [])].sort((a, b) => b.duration - a.duration).slice(0, 3)
      .map((s) => (s.invoker || s.invokerType) + (s.sourceFunctionName ? ' (' + s.sourceFunctionName + ')' : '') + ' ' + Math.round(s.duration) + ' ms'),
  }));
  const rows = new MutationObserver(() => {
    if (bench.rowInsertedMs !== undefined || !document.querySelector('[data-testid="message"]')) return;
    bench.rowInsertedMs = performance.now();
    rows.disconnect();
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { bench.firstRowMs = performance.now(); drawn(); };
      channel.port2.postMessage(0);
    });
  });
  rows.observe(document, { childList: true, subtree: true });
  // The bridge's WebSocket until the first row: when it was made and opened, each call sent and its
  // result received (the first 40 characters of a frame name it).
  bench.wire = [];
  const methodOf = new Map();
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      const mark = (what) => bench.rowInsertedMs === undefined && bench.wire.push([Math.round(performance.now()), what]);
      mark('socket created');
      this.addEventListener('open', () => mark('socket open'));
      this.addEventListener('message', (e) => {
        const id = /"id":(\\d+)/.exec(String(e.data).slice(0, 40));
        if (id && methodOf.has(id[1])) mark(methodOf.get(id[1]) + ' result ' + String(e.data).length + ' B');
      });
      this.mark = mark;
    }
    send(data) {
      const call = /"id":(\\d+),"method":"(\\w+)"/.exec(String(data).slice(0, 80));
      if (call) { methodOf.set(call[1], call[2]); this.mark(call[2] + ' sent'); }
      super.send(data);
    }
  };
})();`;

/** What the init script gathered, as the page holds it. */
interface PageBench {
  frames: number[];
  wire: [number, string][];
  longTasks: LongEntry[];
  loafs: LongEntry[];
  rowInsertedMs?: number;
  firstRowMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const readBench = async (page: Page): Promise<PageBench> => (await page.evaluate('window.__uiBench')) as PageBench;
const pageNow = async (page: Page): Promise<number> => (await page.evaluate('performance.now()')) as number;

/** Intervals between the frame timestamps that fall inside [from, to]. */
function intervals(frames: readonly number[], from: number, to: number): number[] {
  const inside = frames.filter((t) => t >= from && t <= to);
  return inside.slice(1).map((t, i) => t - (inside[i] as number));
}

/** A hub child process (ui-hub.ts) on `dataDir`, subscribed to the bench topic on `broker`. */
interface UiHub {
  readonly url: string;
  stop(): Promise<void>;
}

async function startUiHub(broker: Mosquitto, dataDir: string, uiBatchMs: number, uiDir: string | undefined): Promise<UiHub> {
  const config = writeBenchConfig(broker, { deviceId: 'bench-ui', topic: TOPIC, qos: 0, clientId: `bench-ui-${process.pid}-${uiBatchMs}` });
  const args = ['--config', config.path, '--data-dir', dataDir, '--ui-batch-ms', String(uiBatchMs)];
  if (uiDir !== undefined) args.push('--ui-dir', uiDir);
  const hub = await spawnHub(UI_HUB, args);
  return {
    url: hub.url,
    stop: async () => {
      await hub.stop();
      config.remove();
    },
  };
}

/** A new context (cold: no cache, no cookies) with the instrumentation, and a page in it. */
async function instrumentedPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US' });
  await context.addInitScript(INSTRUMENT);
  return { context, page: await context.newPage() };
}

const address = (url: string, batching: boolean): string => (batching ? url : `${url}&batching=off`);

/** The steady publisher: resolves once it is connected, with a start function that resolves when it is done. */
async function publisher(broker: Mosquitto, rate: number, seconds: number): Promise<() => Promise<{ sent: number; sentPerSec: number }>> {
  const child = fork(PUBLISHER, [broker.url, TOPIC, String(rate), String(seconds)], {
    execArgv: ['--disable-warning=ExperimentalWarning'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type: string }) => m.type === 'ready' && resolve());
    void exited.then((code) => reject(new Error(`the steady publisher exited with ${code} before it was ready`)));
  });
  return async () => {
    const done = new Promise<{ sent: number; seconds: number }>((resolve, reject) => {
      child.on('message', (m: { type: string; sent?: number; seconds?: number }) => m.type === 'done' && resolve({ sent: m.sent as number, seconds: m.seconds as number }));
      void exited.then((code) => reject(new Error(`the steady publisher exited with ${code} before it finished`)));
    });
    child.send('start');
    const result = await done;
    await exited;
    return { sent: result.sent, sentPerSec: result.sent / result.seconds };
  };
}

/** How many messages the list says it holds ("30,000 messages shown"); 0 before the first. */
async function listed(page: Page): Promise<number> {
  const text = (await page.locator('.history-count').textContent()) ?? '';
  return Number(text.replace(/\D/g, '') || 0);
}

/** One stream with the History screen open, on a fresh data directory. */
async function frameRun(browser: Browser, broker: Mosquitto, batching: boolean, o: UiBenchOptions & { rate: number; seconds: number; idleSeconds: number }): Promise<FrameRun> {
  const uiBatchMs = batching ? 50 : 0;
  const dataDir = mkdtempSync(join(tmpdir(), 'pushdesk-bench-ui-frames-'));
  const hub = await startUiHub(broker, dataDir, uiBatchMs, o.uiDir);
  const { context, page } = await instrumentedPage(browser);
  try {
    await page.goto(address(hub.url, batching));
    await page.getByRole('heading', { name: /History/ }).waitFor();
    await page.locator('.connection-connected').waitFor({ timeout: 15_000 });
    // Past the connection's backlog window, so the stream is live traffic.
    await sleep(1500);
    const idleFrom = await pageNow(page);
    await sleep(o.idleSeconds * 1000);
    const idleTo = await pageNow(page);
    const start = await publisher(broker, o.rate, o.seconds);
    const from = await pageNow(page);
    const { sent, sentPerSec } = await start();
    const to = await pageNow(page);
    // Let the list catch up (not timed): until it holds everything or has not grown for 3 s.
    let last = -1;
    let quietSince = performance.now();
    while ((await listed(page)) < sent && performance.now() - quietSince < 3000) {
      const now = await listed(page);
      if (now !== last) {
        last = now;
        quietSince = performance.now();
      }
      await sleep(100);
    }
    const bench = await readBench(page);
    const within = (e: LongEntry): boolean => e.startTime >= from && e.startTime <= to;
    return {
      batching,
      uiBatchMs,
      idleFramesMs: intervals(bench.frames, idleFrom, idleTo),
      framesMs: intervals(bench.frames, from, to),
      framesAtMs: bench.frames.filter((t) => t >= from && t <= to).slice(1).map((t) => t - from),
      longTasks: bench.longTasks.filter(within),
      longAnimationFrames: bench.loafs.filter(within),
      sent,
      sentPerSec,
      listed: await listed(page),
      scrollTop: await page.locator('.history-scroll').evaluate((el: { scrollTop: number }) => el.scrollTop),
      loadAverage: loadavg()[0] as number,
    };
  } finally {
    await context.close();
    await hub.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The times of the load the page is in, once its first history row is drawn. */
async function loadTimes(page: Page, url: string): Promise<OpenLoad> {
  // Not waitForFunction: it evaluates a string in the page, which the page's CSP refuses.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no history row within 30 s of loading ${url}`)), 30_000);
  });
  try {
    await Promise.race([page.evaluate('window.__uiBenchDrawn'), timeout]);
  } finally {
    clearTimeout(timer);
  }
  const bench = await readBench(page);
  const nav = (await page.evaluate(`(() => { const n = performance.getEntriesByType('navigation')[0]; return { responseEnd: n.responseEnd, dcl: n.domContentLoadedEventEnd }; })()`)) as {
    responseEnd: number;
    dcl: number;
  };
  return { firstRowMs: bench.firstRowMs as number, rowInsertedMs: bench.rowInsertedMs as number, responseEndMs: nav.responseEnd, domContentLoadedMs: nav.dcl, wire: bench.wire };
}

/** One cold load of the hub's address in a new context; with `warm`, then a reload in the same page. */
async function coldLoad(browser: Browser, url: string, batching: boolean): Promise<OpenLoad>;
async function coldLoad(browser: Browser, url: string, batching: boolean, warm: true): Promise<{ cold: OpenLoad; warm: OpenLoad }>;
async function coldLoad(browser: Browser, url: string, batching: boolean, warm = false): Promise<OpenLoad | { cold: OpenLoad; warm: OpenLoad }> {
  const { context, page } = await instrumentedPage(browser);
  try {
    await page.goto(address(url, batching));
    const cold = await loadTimes(page, url);
    if (!warm) return cold;
    await page.reload();
    return { cold, warm: await loadTimes(page, url) };
  } finally {
    await context.close();
  }
}

/** Opening the history: the large store, its baseline of a small one, and the large one with batching off, round by round. */
async function openSection(browser: Browser, broker: Mosquitto, o: UiBenchOptions & { loads: number; storeRows: number; smallRows: number }, progress: (line: string) => void): Promise<NonNullable<UiBenchResult['open']>> {
  const largeDir = o.storeDir ?? mkdtempSync(join(tmpdir(), 'pushdesk-bench-ui-store-'));
  const smallDir = mkdtempSync(join(tmpdir(), 'pushdesk-bench-ui-small-'));
  try {
    progress(`store fixture of ${fmtInt(o.storeRows)} messages in ${largeDir}`);
    const fixture = buildStoreFixture(largeDir, o.storeRows, progress);
    buildStoreFixture(smallDir, o.smallRows, () => {});
    const largeHub = await startUiHub(broker, largeDir, 50, o.uiDir);
    const smallHub = await startUiHub(broker, smallDir, 50, o.uiDir);
    try {
      progress(`opening the history: ${o.loads} cold loads each of ${fmtInt(o.storeRows)} (batching on and off) and ${fmtInt(o.smallRows)} messages`);
      const series = (rows: number, batching: boolean, first: OpenLoad): OpenSeries & { loads: OpenLoad[] } => ({ rows, batching, first, loads: [] });
      const largeOn = series(o.storeRows, true, await coldLoad(browser, largeHub.url, true));
      const small = series(o.smallRows, true, await coldLoad(browser, smallHub.url, true));
      const largeOff = series(o.storeRows, false, await coldLoad(browser, largeHub.url, false));
      const warm: OpenLoad[] = [];
      for (let round = 0; round < o.loads; round++) {
        const large = await coldLoad(browser, largeHub.url, true, true);
        largeOn.loads.push(large.cold);
        warm.push(large.warm);
        small.loads.push(await coldLoad(browser, smallHub.url, true));
        largeOff.loads.push(await coldLoad(browser, largeHub.url, false));
      }
      return { large: largeOn, largeOff, small, warm, storeBuilt: fixture.built, loadAverage: loadavg()[0] as number };
    } finally {
      await largeHub.stop();
      await smallHub.stop();
    }
  } finally {
    rmSync(smallDir, { recursive: true, force: true });
    if (o.storeDir === undefined) rmSync(largeDir, { recursive: true, force: true });
  }
}

/** Whether the built UI's scripts mention the `batching` query parameter (renderer/src/frame-batch.ts). */
function hasBatchingSwitch(uiDir: string): boolean {
  const assets = join(uiDir, 'assets');
  try {
    return readdirSync(assets).some((name) => name.endsWith('.js') && readFileSync(join(assets, name), 'utf8').includes('batching'));
  } catch {
    return false;
  }
}

/** Runs the window figures: its own mosquitto (TCP_NODELAY) and one Chromium for everything. */
export async function runUiBench(options: UiBenchOptions = {}): Promise<UiBenchResult> {
  const o = {
    ...options,
    rate: options.rate ?? 1000,
    seconds: options.seconds ?? 30,
    idleSeconds: options.idleSeconds ?? 3,
    loads: options.loads ?? 7,
    storeRows: options.storeRows ?? DEFAULT_STORE_ROWS,
    smallRows: options.smallRows ?? 1000,
  };
  const progress = options.progress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'pushdesk-bench-ui-broker-'));
  const broker = await startMosquitto(dir, { extraConfig: ['set_tcp_nodelay true'] });
  const browser = await launchChromium();
  try {
    const result: { -readonly [K in keyof UiBenchResult]: UiBenchResult[K] } = { chromium: browser.version(), batchingSwitch: hasBatchingSwitch(options.uiDir ?? DEFAULT_UI_DIR) };
    if (!result.batchingSwitch) progress('the built UI has no ?batching=off switch (an old build?): the baseline would be batching on too; run npm run build');
    if (options.frames !== false) {
      progress(`window frames at ${fmtInt(o.rate)} msg/s for ${o.seconds} s: batching on, then off`);
      const on = await frameRun(browser, broker, true, o);
      const off = await frameRun(browser, broker, false, o);
      result.frames = { rate: o.rate, seconds: o.seconds, on, off };
    }
    if (options.open !== false) result.open = await openSection(browser, broker, o, progress);
    return result;
  } finally {
    await browser.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A ratio, or a dash when the baseline is 0 (no long tasks). */
const ratio = (value: number, base: number): string => (base === 0 ? (value === 0 ? '1.00' : '–') : fmtRatio(value, base));
const fps = (framesMs: readonly number[]): string => (framesMs.length === 0 ? 'no frames' : `${(1000 / median(framesMs)).toFixed(1)} fps (${framesMs.length} frames, p50 ${fmtMs(median(framesMs))}, max ${fmtMs(Math.max(...framesMs))})`);

/** Prints the window figures beside their baselines, in run.ts's layout. */
export function printUiResults(result: UiBenchResult): void {
  const { frames, open } = result;
  if (frames && !result.batchingSwitch) console.log('  WARNING: the built UI has no ?batching=off switch: the baseline below ran with the page batching on (hub uiBatchMs 0 only)');
  if (frames) {
    const { on, off } = frames;
    console.log(header(`window (Chromium ${result.chromium}): ${fmtInt(frames.rate)} msg/s for ${frames.seconds} s, History`, 'batching off: page and hub'));
    const p = (figure: string, pick: (run: FrameRun) => number, goal?: [string, (v: number) => boolean]): void => {
      const value = pick(on);
      const base = pick(off);
      console.log(row(figure, fmtMs(value), fmtMs(base), ratio(value, base), goal ? target(goal[0], goal[1](value)) : ''));
    };
    p('  frame time p50 (rAF interval)', (r) => percentile(r.framesMs, 50));
    p('  frame time p95', (r) => percentile(r.framesMs, 95), ['≤ 20 ms', (v) => v <= 20]);
    p('  frame time p99', (r) => percentile(r.framesMs, 99));
    p('  frame time max', (r) => Math.max(...r.framesMs));
    const longest = (r: FrameRun): number => Math.max(0, ...r.longTasks.map((t) => t.duration));
    console.log(row('  long tasks (> 50 ms)', fmtInt(on.longTasks.length), fmtInt(off.longTasks.length), ratio(on.longTasks.length, off.longTasks.length), target('none', on.longTasks.length === 0)));
    console.log(row('  longest task', on.longTasks.length ? fmtMs(longest(on)) : 'none', off.longTasks.length ? fmtMs(longest(off)) : 'none', ratio(longest(on), longest(off)), target('≤ 50 ms', longest(on) <= 50)));
    const loaf = (r: FrameRun): string => {
      const blocking = r.longAnimationFrames.reduce((sum, e) => sum + (e.blockingDuration ?? 0), 0);
      const top = [...r.longAnimationFrames].sort((a, b) => b.duration - a.duration)[0];
      const script = Math.max(0, ...r.longAnimationFrames.map((e) => e.longestScriptMs ?? 0));
      return `${r.longAnimationFrames.length}, blocking ${fmtMs(blocking)} in all, longest script in them ${fmtMs(script)}${top ? `, longest ${fmtMs(top.duration)} [${(top.scripts ?? []).join('; ')}]` : ''}`;
    };
    console.log(`    long animation frames (> 50 ms): batching on ${loaf(on)}; off ${loaf(off)}`);
    const thirds = (r: FrameRun): string => {
      const third = (frames.seconds * 1000) / 3;
      return [0, 1, 2].map((k) => r.framesMs.filter((_, i) => Math.floor((r.framesAtMs[i] as number) / third) === k)).map((part) => (part.length ? fmtMs(percentile(part, 95)) : '–')).join(', ');
    };
    console.log(`    p95 by thirds of the stream (the list grows to ${fmtInt(on.listed)}): on ${thirds(on)}; off ${thirds(off)}`);
    console.log(`    frames during the stream: on ${fmtInt(on.framesMs.length)}, off ${fmtInt(off.framesMs.length)} (${fmtInt(60 * frames.seconds)} at 60 fps)`);
    console.log(`    idle before the stream: on ${fps(on.idleFramesMs)}; off ${fps(off.idleFramesMs)}`);
    const got = (r: FrameRun): string =>
      `${fmtInt(r.listed)} of ${fmtInt(r.sent)} listed, publisher ${fmtInt(r.sentPerSec)} msg/s, scrollTop ${Math.round(r.scrollTop)}, load average ${r.loadAverage.toFixed(2)}`;
    console.log(`    on (hub uiBatchMs ${on.uiBatchMs}): ${got(on)}; off (hub uiBatchMs ${off.uiBatchMs}, ?batching=off): ${got(off)}`);
  }
  if (open) {
    const { large, largeOff, small } = open;
    const med = (s: OpenSeries): number => median(s.loads.map((l) => l.firstRowMs));
    console.log(header(`open the history, first row drawn (median of ${large.loads.length} cold loads)`, `store of ${fmtInt(small.rows)} messages`));
    const base = med(small);
    console.log(row(`  ${fmtInt(large.rows)} stored messages`, fmtMs(med(large)), fmtMs(base), fmtRatio(med(large), base), target('≤ 300 ms', med(large) <= 300)));
    console.log(row(`  ${fmtInt(largeOff.rows)} stored messages, ?batching=off`, fmtMs(med(largeOff)), fmtMs(base), fmtRatio(med(largeOff), base)));
    const list = (s: OpenSeries): string => s.loads.map((l) => fmtInt(l.firstRowMs)).join(', ');
    const parts = (s: OpenSeries): string =>
      `document ${fmtInt(median(s.loads.map((l) => l.responseEndMs)))}, DOMContentLoaded ${fmtInt(median(s.loads.map((l) => l.domContentLoadedMs)))}, row in DOM ${fmtInt(median(s.loads.map((l) => l.rowInsertedMs)))}`;
    console.log(`    rounds (ms): large ${list(large)}; small ${list(small)}; large, batching off ${list(largeOff)}`);
    const warm = median(open.warm.map((l) => l.firstRowMs));
    console.log(`    reloaded in the same page (cache warm), large store: median ${fmtMs(warm)}, rounds ${open.warm.map((l) => fmtInt(l.firstRowMs)).join(', ')}`);
    console.log(`    medians (ms from navigation start): large: ${parts(large)}; small: ${parts(small)}`);
    const typical = [...large.loads].sort((a, b) => a.firstRowMs - b.firstRowMs)[Math.floor(large.loads.length / 2)] as OpenLoad;
    console.log(
      `    the median large load: document ${fmtInt(typical.responseEndMs)}, ${typical.wire.map(([ms, what]) => `${what} ${ms}`).join(', ')}, ` +
        `DOMContentLoaded ${fmtInt(typical.domContentLoadedMs)}, row in DOM ${fmtInt(typical.rowInsertedMs)}, drawn ${fmtInt(typical.firstRowMs)}`,
    );
    console.log(
      `    first load after the hub started (not counted): large ${fmtMs(large.first.firstRowMs)}, small ${fmtMs(small.first.firstRowMs)}; ` +
        `store ${open.storeBuilt ? 'built for this run' : 'reused from BENCH_STORE_DIR'}; load average ${open.loadAverage.toFixed(2)}`,
    );
  }
}

/** `node test/bench/ui-frames.ts`: the window figures alone (after `npm run build`). */
async function main(): Promise<void> {
  const env = (name: string): number | undefined => (process.env[name] === undefined ? undefined : Number(process.env[name]));
  const result = await runUiBench({
    rate: env('BENCH_UI_RATE'),
    seconds: env('BENCH_UI_SECONDS'),
    loads: env('BENCH_UI_LOADS'),
    storeDir: process.env.BENCH_STORE_DIR,
    storeRows: env('BENCH_STORE_ROWS'),
    uiDir: process.env.BENCH_UI_DIR,
    frames: process.env.BENCH_UI_FRAMES !== '0',
    open: process.env.BENCH_UI_OPEN !== '0',
    progress: (line) => void process.stderr.write(`bench: ${line}\n`),
  });
  printUiResults(result);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
