import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/**
 * `npm run bench`: each figure beside a baseline measured in the same run, as a ratio.
 *
 * Ingest: N QoS 0 messages of 100-byte JSON are queued in mosquitto for a persistent session, then the
 * consumer connects and drains them as fast as it can. The hub's path (decode, dedupe, store, UI
 * batch) is timed against a raw mqtt.js subscriber draining the same queue, alternately, several rounds.
 */
const N = Number(process.env.BENCH_MESSAGES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

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

/** The hub's path: decode, dedupe, store (batched QoS 0 transactions), UI batches. */
async function hubPath(broker: Mosquitto, round: number): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pushdesk-bench-'));
  const config = parseConfig({
    deviceId: 'bench',
    connections: [{ id: 'bench', url: broker.url, clientId: 'bench-hub', subscriptions: [{ topic: 'bench/hub', qos: 0, channel: 'Bench' }] }],
  });
  const make = (): Hub => new Hub({ config, dataDir, notifier: { show() {} }, logger: silentLogger });
  const setup = make();
  await new Promise<void>((resolve) => {
    setup.on('connectionChanged', (s) => s.state === 'connected' && setTimeout(resolve, 200));
    setup.start();
  });
  await setup.stop();
  await queueMessages(broker, 'bench/hub', round);
  const hub = make();
  let delivered = 0;
  let finished = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    hub.on('messagesAdded', (batch) => {
      delivered += batch.length;
      if (delivered >= N) {
        finished = performance.now();
        resolve();
      }
    });
    watchdog(() => delivered, 'hub', () => JSON.stringify(hub.connectionStatuses()));
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(8);

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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pushdesk-bench-broker-'));
  const broker = await startMosquitto(dir, {
    extraConfig: ['queue_qos0_messages true', `max_queued_messages ${N * 2}`, 'max_queued_bytes 0'],
  });
  const raw: number[] = [];
  const hub: number[] = [];
  let reconnect: { hub: number[]; raw: number[] };
  let detection: { ac: number; networkChange: number; baseline: number } | undefined;
  try {
    if (process.env.BENCH_HEARTBEAT !== '0') detection = await detectionTimes(broker);
    reconnect = await reconnectRounds(broker, Number(process.env.BENCH_RECONNECT_ROUNDS ?? 7));
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await rawSubscriber(broker, round));
      hub.push(await hubPath(broker, round));
    }
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`Pushdesk bench: node ${process.version}, ${N.toLocaleString('en-US')} messages of 100-byte JSON, QoS 0, median of ${ROUNDS} rounds`);
  console.log('figure                                             value    baseline (raw mqtt.js subscriber)   ratio');
  console.log(`ingest: decode, dedupe, store, UI batch (msg/s) ${fmt(median(hub))}    ${fmt(median(raw))}                            ${(median(hub) / median(raw)).toFixed(2)}`);
  console.log(`  rounds: hub ${hub.map((v) => Math.round(v)).join(', ')}; raw ${raw.map((v) => Math.round(v)).join(', ')}`);
  const ms = (n: number): string => `${Math.round(n).toLocaleString('en-US')} ms`.padStart(8);
  console.log(
    `reconnect to first message after a broker restart ${ms(median(reconnect.hub))}    ${ms(median(reconnect.raw))} (fixed 1 s reconnect)         ${(median(reconnect.hub) / median(reconnect.raw)).toFixed(2)}`,
  );
  console.log(`  rounds: hub ${reconnect.hub.map((v) => Math.round(v)).join(', ')}; raw ${reconnect.raw.map((v) => Math.round(v)).join(', ')}`);
  console.log('heartbeats per hour, idle link (simulated hour)   value    baseline (mqtt.js fixed 60 s keep-alive)   ratio');
  for (const { profile, perHour } of heartbeatsPerHour()) {
    console.log(`  ${profile.padEnd(46)} ${String(perHour).padStart(6)}    ${String(60).padStart(6)}                                     ${(perHour / 60).toFixed(2)}`);
  }
  if (detection) {
    const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`.padStart(8);
    console.log('dead-link detection, measured through a silent proxy   value    baseline (mqtt.js, keep-alive 60 s)   ratio');
    console.log(`  AC power                                     ${sec(detection.ac)}    ${sec(detection.baseline)}                              ${(detection.ac / detection.baseline).toFixed(2)}`);
    console.log(`  after a network change (probe)               ${sec(detection.networkChange)}    ${sec(detection.baseline)}                              ${(detection.networkChange / detection.baseline).toFixed(2)}`);
    console.log('  battery profiles (computed: interval + timeout, at most): battery 150 s, adaptive up to 270 s, low battery 330 s');
  }
}

await main();
