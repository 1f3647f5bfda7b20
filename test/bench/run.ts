import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { startBlackholeProxy } from '../helpers/blackhole-proxy.ts';
import { AdaptiveInterval } from '../../electron/core/heartbeat/adaptive-interval.ts';
import { decideHeartbeat, DEFAULT_HEARTBEAT, type PowerSource } from '../../electron/core/heartbeat/heartbeat-policy.ts';
import { ScriptedSignals } from '../../electron/core/heartbeat/system-signals.ts';
import { requireProgram } from '../helpers/programs.ts';
import { hubLatency, rawLatency, type LatencyRun, type SteadyStream } from './latency.ts';
import { hubFootprint, startupTimes, type Footprint } from './hub-footprint.ts';
import { fmtInt, fmtMs, fmtRatio, header, median, percentile, row, target } from './stats.ts';
import { buildStoreFixture, DEFAULT_STORE_ROWS, type StoreFixture } from './store-fixture.ts';
import { printUiResults, runUiBench, type UiBenchResult } from './ui-frames.ts';
import { measureStore, type Paired, type StoreFigures } from './store-queries.ts';

/**
 * `npm run bench`: each figure beside a baseline measured in the same run, as a ratio.
 *
 * Ingest: N QoS 0 messages of 100-byte JSON are queued in mosquitto for a persistent session, then the
 * consumer connects and drains them as fast as it can. The hub's path (decode, dedupe, store, UI
 * batch) is timed twice, with plain storage and with full-text indexing, against a raw mqtt.js
 * subscriber draining the same queue, alternately, several rounds.
 *
 * Environment (every section runs by default; each can be skipped or made smaller while developing):
 *   BENCH_MESSAGES, BENCH_ROUNDS        ingest size (100,000) and rounds (3); BENCH_INGEST=0 skips it
 *   BENCH_HEARTBEAT=0                   skips the dead-link detection (about 1.5 min)
 *   BENCH_RECONNECT_ROUNDS              reconnect rounds (7); 0 skips them
 *   BENCH_LATENCY=0                     skips the latency at a steady rate; BENCH_LATENCY_RATE (5,000
 *                                       msg/s) and BENCH_LATENCY_SECONDS (10) change it
 *   BENCH_STORE=0                       skips the large-store figures; BENCH_STORE_ROWS (1,000,000),
 *                                       BENCH_SEARCHES (240 queries), BENCH_STARTUP_ROUNDS (5)
 *   BENCH_STORE_DIR                     keeps the large store there and reuses it on the next run
 *   BENCH_UI=0                          skips the window in Chromium (frame times at 1,000 msg/s, opening
 *                                       the history at the large store; about 2 min; see ui-frames.ts)
 */
const N = Number(process.env.BENCH_MESSAGES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
/** Progress on stderr, so a long run shows where it is while stdout keeps only the table. */
const progress = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

function payloadLines(round: number, who: string): string {
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    const head = `{"id":"${who}${round}-${String(i).padStart(7, '0')}","title":"Bench message","priority":3,"message":"`;
    lines.push(`${head}${'x'.repeat(100 - head.length - 2)}"}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Publishes N messages to `topic`; each consumer has its own topic, so no session queues the other's. */
async function queueMessages(broker: Mosquitto, topic: string, round: number): Promise<void> {
  const pub = spawn(requireProgram('mosquitto_pub', 'mosquitto-clients'), ['-h', '127.0.0.1', '-p', String(broker.port), '-q', '0', '-t', topic, '-l'], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  pub.stdin.end(payloadLines(round, topic.slice(-3)));
  await new Promise<void>((resolve, reject) => pub.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited ${code}`)))));
}

/** Baseline: a bare mqtt.js client counting messages. */
async function rawSubscriber(broker: Mosquitto, round: number): Promise<number> {
  const clientId = 'bench-raw';
  const setup = await mqtt.connectAsync(broker.url, { clientId, clean: false });
  await setup.subscribeAsync('bench/raw', { qos: 0 });
  await setup.endAsync();
  await queueMessages(broker, 'bench/raw', round);
  let received = 0;
  const started = performance.now();
  let finished = 0;
  await new Promise<void>((resolve) => {
    const client = mqtt.connect(broker.url, { clientId, clean: false });
    client.on('message', () => {
      if (++received === N) {
        finished = performance.now();
        void client.endAsync().then(() => resolve());
      }
    });
    watchdog(() => received, 'raw subscriber');
  });
  return N / ((finished - started) / 1000);
}

/**
 * The hub's path: decode, dedupe, store (batched QoS 0 transactions), UI batches.
 *
 * `plain`: full-text search off, so the figure is storage alone. `full-text`: the default, where the hub
 * indexes in background steps behind ingest; the clock stops only when all N messages reached the UI
 * and are in the index (the rest is indexed with `indexAll` right after the last batch, inside the time).
 */
async function hubPath(broker: Mosquitto, round: number, mode: 'plain' | 'full-text'): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pushdesk-bench-'));
  const topic = mode === 'plain' ? 'bench/hub' : 'bench/fts';
  const config = parseConfig({
    deviceId: 'bench',
    store: { fullTextSearch: mode === 'full-text' },
    connections: [{ id: 'bench', url: broker.url, clientId: `bench-${mode}`, subscriptions: [{ topic, qos: 0, channel: 'Bench' }] }],
  });
  const make = (): Hub => new Hub({ config, dataDir, notifier: { show() {} }, logger: silentLogger });
  const setup = make();
  await new Promise<void>((resolve) => {
    setup.on('connectionChanged', (s) => s.state === 'connected' && setTimeout(resolve, 200));
    setup.start();
  });
  await setup.stop();
  await queueMessages(broker, topic, round);
  const hub = make();
  let delivered = 0;
  let finished = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    hub.on('messagesAdded', (batch) => {
      delivered += batch.length;
      if (delivered >= N && finished === 0) {
        if (mode === 'full-text') hub.indexAll();
        finished = performance.now();
        resolve();
      }
    });
    watchdog(() => delivered, `hub (${mode})`, () => JSON.stringify(hub.connectionStatuses()));
    hub.start();
  });
  await hub.stop();
  rmSync(dataDir, { recursive: true, force: true });
  return N / ((finished - started) / 1000);
}

/** Fails loudly when a consumer stops receiving before N (the broker dropped or never got messages). */
function watchdog(count: () => number, who: string, detail: () => string = () => ''): void {
  let last = -1;
  const timer = setInterval(() => {
    const now = count();
    if (now >= N) clearInterval(timer);
    else if (now === last) {
      clearInterval(timer);
      process.stderr.write(`bench: the ${who} received ${now} of ${N} messages and then nothing for 5 s ${detail()}\n`);
      process.exit(1);
    }
    last = now;
  }, 5000);
  timer.unref();
}

/**
 * Reconnect to first message after a broker restart: each round starts a fresh hub and a fresh raw
 * mqtt.js client (a steady state: no earlier failures in their backoff), stops and starts mosquitto,
 * and times from the broker listening again to the first message each receives from a publisher that
 * ticks every 10 ms. Hub: full-jitter backoff, base 1 s. Baseline: mqtt.js's fixed 1 s reconnect.
 */
async function reconnectRounds(broker: Mosquitto, rounds: number): Promise<{ hub: number[]; raw: number[] }> {
  const hubTimes: number[] = [];
  const rawTimes: number[] = [];
  const ticking = async (): Promise<() => Promise<void>> => {
    const publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const ticker = setInterval(() => publisher.publish('bench/tick', `{"title":"tick ${Date.now()}"}`), 10);
    return async () => {
      clearInterval(ticker);
      await publisher.endAsync(true);
    };
  };
  for (let round = 0; round < rounds; round++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'pushdesk-bench-reconnect-'));
    const config = parseConfig({
      deviceId: `bench-reconnect-${round}`,
      connections: [{ id: 'r', url: broker.url, subscriptions: [{ topic: 'bench/tick', qos: 0, channel: 'Tick' }] }],
    });
    const hub = new Hub({ config, dataDir, notifier: { show() {} }, logger: silentLogger });
    let since = 0;
    let hubFirst = 0;
    let rawFirst = 0;
    hub.on('messagesAdded', () => {
      if (hubFirst === 0 && performance.now() >= since) hubFirst = performance.now();
    });
    hub.start();
    const raw = await mqtt.connectAsync(broker.url, { clientId: `bench-reconnect-raw-${round}`, clean: false });
    raw.on('message', () => {
      if (rawFirst === 0 && performance.now() >= since) rawFirst = performance.now();
    });
    await raw.subscribeAsync('bench/tick', { qos: 0 });
    let stopTicking = await ticking();
    while (hubFirst === 0 || rawFirst === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await stopTicking();
    await broker.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await broker.start();
    since = performance.now();
    hubFirst = 0;
    rawFirst = 0;
    stopTicking = await ticking();
    const deadline = since + 120_000;
    while ((hubFirst === 0 || rawFirst === 0) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    hubTimes.push(hubFirst - since);
    rawTimes.push(rawFirst - since);
    await stopTicking();
    await raw.endAsync();
    await hub.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { hub: hubTimes, raw: rawTimes };
}

/**
 * Heartbeats per hour on an idle link, per power profile: the real policy and adaptive learner run over
 * one simulated hour on a network that tolerates every interval. Baseline: mqtt.js's fixed 60 s.
 */
function heartbeatsPerHour(): { profile: string; perHour: number }[] {
  const profiles: { profile: string; power: PowerSource; adaptive: boolean }[] = [
    { profile: 'AC power', power: 'ac', adaptive: false },
    { profile: 'battery', power: 'battery', adaptive: false },
    { profile: 'battery, adaptive: first hour (learning)', power: 'battery', adaptive: true },
    { profile: 'battery, adaptive: second hour (learned)', power: 'battery', adaptive: true },
    { profile: 'low battery', power: 'low-battery', adaptive: false },
  ];
  return profiles.map(({ profile, power, adaptive }) => {
    const settings = { ...DEFAULT_HEARTBEAT, adaptiveOnBattery: adaptive };
    const learner = new AdaptiveInterval({ minSec: settings.batteryMinSec, maxSec: settings.batteryMaxSec, stepSec: 30, successesToGrow: 3 });
    const machine = { power, online: true, suspended: false, networkId: 'bench' } as const;
    const hour = profile.includes('second hour') ? 1 : 0;
    let t = 0;
    let beats = 0;
    for (;;) {
      const learned = adaptive ? learner.intervalSec : undefined;
      const decision = decideHeartbeat(machine, settings, { critical: false, learnedIntervalSec: learned, serverKeepaliveSec: undefined });
      t += decision.intervalSec;
      if (t > 3600 * (hour + 1)) break;
      if (t > 3600 * hour) beats++;
      learner.succeeded(decision.intervalSec);
    }
    return { profile, perHour: beats };
  });
}

/**
 * Dead-link detection through a proxy that silently drops everything, measured: the hub on AC power,
 * and after a network change (probe), against a plain mqtt.js client with its default 60 s keep-alive.
 */
async function detectionTimes(broker: Mosquitto): Promise<{ ac: number; networkChange: number; baseline: number }> {
  const hubProxy = await startBlackholeProxy(broker.port);
  const rawProxy = await startBlackholeProxy(broker.port);
  const dataDir = mkdtempSync(join(tmpdir(), 'pushdesk-bench-heartbeat-'));
  const signals = new ScriptedSignals();
  const config = parseConfig({
    deviceId: 'bench-heartbeat',
    connections: [{ id: 'h', url: `mqtt://127.0.0.1:${hubProxy.port}`, waitForNetwork: true, reconnect: { baseMs: 100, capMs: 500 }, subscriptions: [{ topic: 'bench/hb', qos: 1, channel: 'HB' }] }],
  });
  const hub = new Hub({ config, dataDir, notifier: { show() {} }, logger: silentLogger, signals });
  const status = () => hub.connectionStatuses()[0];
  hub.start();
  const raw = await mqtt.connectAsync(`mqtt://127.0.0.1:${rawProxy.port}`, { keepalive: 60, reconnectPeriod: 0 });
  let rawDeadAt = 0;
  raw.on('close', () => (rawDeadAt ||= performance.now()));
  while (status()?.state !== 'connected') await new Promise((resolve) => setTimeout(resolve, 50));
  const silentSince = performance.now();
  const wallSince = Date.now();
  hubProxy.blackhole();
  rawProxy.blackhole();
  while (status()?.heartbeat.lastDetectionMs === undefined || rawDeadAt === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  const ac = (status()?.heartbeat.lastDetectionMs as number) - wallSince;
  const baseline = rawDeadAt - silentSince;
  hubProxy.restore();
  while (status()?.state !== 'connected') await new Promise((resolve) => setTimeout(resolve, 50));
  const firstDetection = status()?.heartbeat.lastDetectionMs;
  hubProxy.blackhole();
  const changedAt = Date.now();
  signals.wake('network-change');
  while (status()?.heartbeat.lastDetectionMs === firstDetection) await new Promise((resolve) => setTimeout(resolve, 20));
  const networkChange = (status()?.heartbeat.lastDetectionMs as number) - changedAt;
  raw.end(true);
  await hub.stop();
  await hubProxy.close();
  await rawProxy.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { ac, networkChange, baseline };
}

/** Everything measured; a section left undefined was skipped. */
interface Results {
  detection?: { ac: number; networkChange: number; baseline: number };
  reconnect?: { hub: number[]; raw: number[] };
  ingest?: { raw: number[]; plain: number[]; fullText: number[] };
  latency?: { settings: SteadyStream; raw: LatencyRun; hub: LatencyRun; hubPlain: LatencyRun };
  store?: { fixture: StoreFixture; figures: StoreFigures; startup: { large: number[]; empty: number[] }; footprint: Footprint; ui?: UiBenchResult | undefined };
}

const mb = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MB`;
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function printResults(results: Results): void {
  console.log(`Pushdesk bench: node ${process.version}, ${availableParallelism()} CPUs`);
  const { ingest, reconnect, detection, latency, store } = results;
  if (ingest) {
    const raw = median(ingest.raw);
    console.log(header(`ingest, ${fmtInt(N)} msgs of 100-byte JSON, QoS 0, median of ${ROUNDS}`, 'raw mqtt.js subscriber'));
    for (const [figure, values, goal] of [
      ['  plain storage: decode, dedupe, store, UI (msg/s)', ingest.plain, 0.6],
      ['  with full-text indexing, until all indexed (msg/s)', ingest.fullText, 0.3],
    ] as const) {
      const value = median(values);
      console.log(row(figure, fmtInt(value), fmtInt(raw), fmtRatio(value, raw), target(`≥ ${goal.toFixed(2)}`, value / raw >= goal)));
    }
    const list = (values: number[]): string => values.map(fmtInt).join(', ');
    console.log(`    rounds: plain ${list(ingest.plain)}; full-text ${list(ingest.fullText)}; raw ${list(ingest.raw)}`);
    // The raw rate swings from round to round on a shared machine: each hub round against the raw round
    // run just before it is a steadier comparison than the two medians.
    const paired = (values: number[]): string => {
      const ratios = values.map((v, i) => v / (ingest.raw[i] as number));
      return `${ratios.map((r) => r.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)})`;
    };
    console.log(`    each round against its own raw round: plain ${paired(ingest.plain)}; full-text ${paired(ingest.fullText)}`);
  }
  if (reconnect) {
    console.log(header('reconnect to first message after a broker restart', 'mqtt.js, fixed 1 s reconnect'));
    const value = median(reconnect.hub);
    const base = median(reconnect.raw);
    console.log(row(`  median of ${reconnect.hub.length}`, `${fmtInt(value)} ms`, `${fmtInt(base)} ms`, fmtRatio(value, base)));
    console.log(`    rounds: hub ${reconnect.hub.map(fmtInt).join(', ')}; raw ${reconnect.raw.map(fmtInt).join(', ')}`);
  }
  console.log(header('heartbeats per hour, idle link (simulated hour)', 'mqtt.js fixed 60 s keep-alive'));
  for (const { profile, perHour } of heartbeatsPerHour()) console.log(row(`  ${profile}`, String(perHour), '60', fmtRatio(perHour, 60)));
  if (detection) {
    console.log(header('dead-link detection, measured through a silent proxy', 'mqtt.js, keep-alive 60 s'));
    console.log(row('  AC power', sec(detection.ac), sec(detection.baseline), fmtRatio(detection.ac, detection.baseline)));
    console.log(row('  after a network change (probe)', sec(detection.networkChange), sec(detection.baseline), fmtRatio(detection.networkChange, detection.baseline)));
    console.log('    battery profiles (computed: interval + timeout, at most): battery 150 s, adaptive up to 270 s, low battery 330 s');
  }
  if (latency) {
    const { settings, raw, hub, hubPlain } = latency;
    console.log(
      header(`receive to committed, ${fmtInt(settings.rate)} msg/s QoS 0 for ${settings.seconds} s`, 'raw mqtt.js subscriber: receive'),
    );
    for (const p of [50, 99]) {
      const value = percentile(hub.latenciesMs, p);
      const base = percentile(raw.latenciesMs, p);
      console.log(row(`  p${p}`, fmtMs(value), fmtMs(base), fmtRatio(value, base), p === 99 ? target('≤ 100 ms', value <= 100) : ''));
    }
    const got = (run: LatencyRun): string => `${fmtInt(run.received)} of ${fmtInt(run.sent)}`;
    console.log(
      `    with full-text search off: p50 ${fmtMs(percentile(hubPlain.latenciesMs, 50))}, p99 ${fmtMs(percentile(hubPlain.latenciesMs, 99))}; ` +
        `max: hub ${fmtMs(Math.max(...hub.latenciesMs))}, raw ${fmtMs(Math.max(...raw.latenciesMs))}`,
    );
    console.log(
      `    received: hub ${got(hub)}, hub without full-text ${got(hubPlain)}, raw ${got(raw)}; publisher ${fmtInt(hub.sentPerSec)} msg/s; ` +
        `first ${settings.warmupSec} s not counted; hub figure includes ≤ 1 ms of UI batching (uiBatchMs 1)`,
    );
  }
  if (store) {
    const { fixture, figures, startup, footprint } = store;
    const built = fixture.built
      ? `built in ${sec(fixture.insertMs + fixture.markReadMs + fixture.indexMs)}: insert ${sec(fixture.insertMs)}, mark read ${sec(fixture.markReadMs)}, full-text index ${sec(fixture.indexMs)}`
      : 'reused from BENCH_STORE_DIR';
    console.log(`store of ${fmtInt(fixture.rows)} messages, ${mb(fixture.bytes)} on disk (${built})`);
    const p95 = (figure: string, pair: Paired, baseline: string, goalMs: number): void => {
      const value = percentile(pair.store, 95);
      const base = percentile(pair.baseline, 95);
      console.log(row(figure, fmtMs(value), `${fmtMs(base)} ${baseline}`, fmtRatio(value, base), target(`≤ ${goalMs} ms`, value <= goalMs)));
    };
    console.log(header('  store figures: p95 of each call, on the same database', 'plain SQL on the same database'));
    const s = figures.search;
    p95(`  search, first page of 50 (${s.queries} queries)`, s, "(LIKE '%word%', same filters)", 20);
    console.log(
      `    p50: ${fmtMs(percentile(s.store, 50))} against ${fmtMs(percentile(s.baseline, 50))}; queries with results: ${s.withResultsStore} against ${s.withResultsBaseline}; ` +
        `slowest: ${s.slowest.map((q) => `${q.query} ${fmtMs(q.ms)}`).join('; ')}`,
    );
    p95(`  history page of 100, newest (${figures.newestPage.store.length} calls)`, figures.newestPage, '(OFFSET 0)', 10);
    p95(`  history page of 100, deep (keyset, ${figures.deepPage.store.length} random points)`, figures.deepPage, '(the same page by OFFSET)', 10);
    p95(`  unread counts per channel (${figures.counts.store.length} calls)`, figures.counts, '(GROUP BY over messages)', 5);
    console.log(header('  hub process (node electron/headless/cli.ts)', 'bare node -e setTimeout'));
    const { idle, afterUi, bareNode } = footprint;
    console.log(row('  RSS, idle 2 s after ready', mb(idle.rssBytes), mb(bareNode.rssBytes), fmtRatio(idle.rssBytes, bareNode.rssBytes), target('≤ 200 MB', idle.rssBytes <= 200 * 1024 * 1024)));
    console.log(
      `    VmHWM ${mb(idle.hwmBytes)} (bare node ${mb(bareNode.hwmBytes)}); after 10 history pages, 5 searches and counts through the contract: ` +
        `RSS ${mb(afterUi.rssBytes)}, VmHWM ${mb(afterUi.hwmBytes)}`,
    );
    const ready = median(startup.large);
    const empty = median(startup.empty);
    console.log(row(`  start-up to ready (median of ${startup.large.length})`, fmtMs(ready), `${fmtMs(empty)} (empty data dir)`, fmtRatio(ready, empty), target('≤ 1 s', ready <= 1000)));
    console.log(`    rounds: ${fmtInt(fixture.rows)} messages ${startup.large.map(fmtInt).join(', ')} ms; empty ${startup.empty.map(fmtInt).join(', ')} ms`);
  }
}

/** The large-store figures: build (or reuse) the store, query it in process, then time and weigh a hub process on it. */
async function storeSection(broker: Mosquitto): Promise<NonNullable<Results['store']>> {
  const rows = env('BENCH_STORE_ROWS', DEFAULT_STORE_ROWS);
  const kept = process.env.BENCH_STORE_DIR;
  const dataDir = kept ?? mkdtempSync(join(tmpdir(), 'pushdesk-bench-store-'));
  try {
    progress(`building a store of ${fmtInt(rows)} messages in ${dataDir}`);
    const fixture = buildStoreFixture(dataDir, rows, progress);
    progress('search, history pages and unread counts');
    const figures = measureStore(fixture, { searches: env('BENCH_SEARCHES', 240), pages: 200, counts: 100 });
    progress('hub process: memory, then start-up rounds');
    const footprint = await hubFootprint(broker, dataDir);
    const startup = await startupTimes(broker, dataDir, env('BENCH_STARTUP_ROUNDS', 5));
    let ui: UiBenchResult | undefined;
    if (process.env.BENCH_UI !== '0') {
      progress('the window in Chromium: frame times while messages stream, then opening the history');
      ui = await runUiBench({ storeDir: dataDir, storeRows: rows, progress });
    }
    return { fixture, figures, startup, footprint, ui };
  } finally {
    if (kept === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pushdesk-bench-broker-'));
  const broker = await startMosquitto(dir, {
    extraConfig: ['queue_qos0_messages true', `max_queued_messages ${N * 2}`, 'max_queued_bytes 0'],
  });
  const results: Results = {};
  try {
    if (process.env.BENCH_HEARTBEAT !== '0') {
      progress('dead-link detection (about 1.5 min)');
      results.detection = await detectionTimes(broker);
    }
    const reconnectRoundCount = env('BENCH_RECONNECT_ROUNDS', 7);
    if (reconnectRoundCount > 0) {
      progress('reconnect rounds');
      results.reconnect = await reconnectRounds(broker, reconnectRoundCount);
    }
    if (process.env.BENCH_INGEST !== '0') {
      const ingest = { raw: [] as number[], plain: [] as number[], fullText: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        progress(`ingest round ${round + 1} of ${ROUNDS}`);
        ingest.raw.push(await rawSubscriber(broker, round));
        ingest.plain.push(await hubPath(broker, round, 'plain'));
        ingest.fullText.push(await hubPath(broker, round, 'full-text'));
      }
      results.ingest = ingest;
    }
    if (process.env.BENCH_LATENCY !== '0') results.latency = await latencySection();
    if (process.env.BENCH_STORE !== '0') results.store = await storeSection(broker);
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  printResults(results);
  if (results.store?.ui) printUiResults(results.store.ui);
}

/**
 * Latency at a steady rate, on a broker of its own with TCP_NODELAY: with Nagle's algorithm on the
 * broker's sockets both consumers see tens of ms of delayed-ACK stalls that belong to neither.
 */
async function latencySection(): Promise<NonNullable<Results['latency']>> {
  const dir = mkdtempSync(join(tmpdir(), 'pushdesk-bench-latency-broker-'));
  const broker = await startMosquitto(dir, { extraConfig: ['set_tcp_nodelay true'] });
  const settings: SteadyStream = { rate: env('BENCH_LATENCY_RATE', 5000), seconds: env('BENCH_LATENCY_SECONDS', 10), warmupSec: 1 };
  try {
    progress(`latency at ${fmtInt(settings.rate)} msg/s: raw subscriber, hub, hub without full-text search (${settings.seconds} s each)`);
    const raw = await rawLatency(broker, settings);
    const hub = await hubLatency(broker, settings, { fullTextSearch: true });
    const hubPlain = await hubLatency(broker, settings, { fullTextSearch: false });
    return { settings, raw, hub, hubPlain };
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
