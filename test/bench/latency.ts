import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { monoMs } from './stats.ts';

const PUBLISHER = fileURLToPath(new URL('./steady-publisher.ts', import.meta.url));

/** Latencies of one consumer, in ms, of the messages after the warm-up. */
export interface LatencyRun {
  readonly latenciesMs: number[];
  readonly sent: number;
  /** Messages the consumer got (all of them, warm-up included). */
  readonly received: number;
  /** The publisher's actual rate, messages per second. */
  readonly sentPerSec: number;
}

/** Settings of the steady stream. */
export interface SteadyStream {
  readonly rate: number;
  readonly seconds: number;
  /** Messages of the first `warmupSec` are received but not counted (JIT, first SQLite pages). */
  readonly warmupSec: number;
}

/**
 * Runs the steady publisher (its own process) against `topic` and resolves once it has sent everything
 * and the consumer has received it all, or has received nothing more for 3 s.
 */
async function stream(broker: Mosquitto, topic: string, settings: SteadyStream, received: () => number): Promise<{ sent: number; sentPerSec: number }> {
  const child = fork(PUBLISHER, [broker.url, topic, String(settings.rate), String(settings.seconds)], {
    execArgv: ['--disable-warning=ExperimentalWarning'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const done = new Promise<{ sent: number; seconds: number }>((resolve, reject) => {
    child.on('message', (m: { type: string; sent?: number; seconds?: number }) => {
      if (m.type === 'ready') child.send('start');
      if (m.type === 'done') resolve({ sent: m.sent as number, seconds: m.seconds as number });
    });
    void exited.then((code) => reject(new Error(`the steady publisher exited with ${code} before it finished`)));
  });
  const { sent, seconds } = await done;
  await exited;
  let last = -1;
  let quietSince = performance.now();
  while (received() < sent && performance.now() - quietSince < 3000) {
    if (received() !== last) {
      last = received();
      quietSince = performance.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { sent, sentPerSec: sent / seconds };
}

/** The message's number and send time from the publisher's id and body ("lat-0000042", "sent 1234.567"). */
function stamp(id: string, body: string): { i: number; sentMs: number } {
  return { i: Number(id.slice(4)), sentMs: Number(body.slice(5)) };
}

/** Baseline: a bare mqtt.js subscriber; latency is its 'message' event time minus the send time. */
export async function rawLatency(broker: Mosquitto, settings: SteadyStream): Promise<LatencyRun> {
  const client = await mqtt.connectAsync(broker.url, { clientId: 'bench-latency-raw', clean: true });
  await client.subscribeAsync('bench/latency-raw', { qos: 0 });
  const warmup = settings.rate * settings.warmupSec;
  const latenciesMs: number[] = [];
  let received = 0;
  client.on('message', (_topic, payload) => {
    const now = monoMs();
    received++;
    const m = JSON.parse(payload.toString()) as { id: string; message: string };
    const { i, sentMs } = stamp(m.id, m.message);
    if (i >= warmup) latenciesMs.push(now - sentMs);
  });
  const { sent, sentPerSec } = await stream(broker, 'bench/latency-raw', settings, () => received);
  await client.endAsync();
  return { latenciesMs, sent, received, sentPerSec };
}

/**
 * The hub: receive, decode, store (committed), then `messagesAdded`. The hub runs with `uiBatchMs: 1`,
 * so the event follows the commit by at most about 1 ms of UI batching, which the figure includes.
 * With full-text search on (the default) the background index steps run during the stream too.
 */
export async function hubLatency(broker: Mosquitto, settings: SteadyStream, options: { fullTextSearch: boolean }): Promise<LatencyRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pushdesk-bench-latency-'));
  const config = parseConfig({
    deviceId: 'bench-latency',
    store: { fullTextSearch: options.fullTextSearch },
    connections: [{ id: 'lat', url: broker.url, clientId: 'bench-latency-hub', subscriptions: [{ topic: 'bench/latency-hub', qos: 0, channel: 'Latency' }] }],
  });
  const hub = new Hub({ config, dataDir, notifier: { show() {} }, logger: silentLogger, uiBatchMs: 1 });
  const warmup = settings.rate * settings.warmupSec;
  const latenciesMs: number[] = [];
  let received = 0;
  hub.on('messagesAdded', (batch) => {
    const now = monoMs();
    received += batch.length;
    for (const message of batch) {
      const { i, sentMs } = stamp(message.id, message.body);
      if (i >= warmup) latenciesMs.push(now - sentMs);
    }
  });
  try {
    await new Promise<void>((resolve) => {
      hub.on('connectionChanged', (s) => s.state === 'connected' && setTimeout(resolve, 300));
      hub.start();
    });
    const { sent, sentPerSec } = await stream(broker, 'bench/latency-hub', settings, () => received);
    return { latenciesMs, sent, received, sentPerSec };
  } finally {
    await hub.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
