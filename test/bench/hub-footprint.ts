import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { Mosquitto } from '../helpers/mosquitto.ts';

const CLI = fileURLToPath(new URL('../../electron/headless/cli.ts', import.meta.url));

/** Resident and peak memory of a process, in bytes (VmRSS and VmHWM from /proc). */
export interface Memory {
  readonly rssBytes: number;
  readonly hwmBytes: number;
}

/** Reads VmRSS and VmHWM of a live process (Linux). */
export function processMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

/** A started headless hub: its process, its UI address and how long it took to print it. */
/** A hub process the bench started, ready (its UI address printed). */
export interface StartedHub {
  readonly child: ChildProcess;
  readonly url: string;
  readonly readyMs: number;
  stop(): Promise<void>;
}

/**
 * Spawns a hub script (the same Node as the bench) and resolves the moment it prints "Pushdesk UI:"
 * (a data listener, no polling), with the time since spawn.
 */
export async function spawnHub(script: string, args: readonly string[]): Promise<StartedHub> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const found = /Pushdesk UI: (\S+)/.exec(out)?.[1];
      if (found) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`the hub exited with ${code} before it was ready: ${err.slice(0, 1000)}`)));
    setTimeout(() => reject(new Error(`the hub printed no UI address within 60 s: ${err.slice(0, 1000)}`)), 60_000).unref();
  });
  const readyMs = performance.now() - started;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  };
  return { child, url, readyMs, stop };
}

/** `npm run hub` on a configuration and data directory. */
function startHub(configPath: string, dataDir: string): Promise<StartedHub> {
  return spawnHub(CLI, ['--config', configPath, '--data-dir', dataDir]);
}

/** A configuration file with one MQTT connection to the bench's broker, in a new temporary folder. */
export function writeBenchConfig(
  broker: Mosquitto,
  o: { deviceId: string; topic: string; qos: 0 | 1; clientId?: string },
): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `pushdesk-${o.deviceId}-`));
  const path = join(dir, 'config.json');
  writeFileSync(
    path,
    JSON.stringify({
      deviceId: o.deviceId,
      connections: [{ id: 'bench', url: broker.url, clientId: o.clientId, subscriptions: [{ topic: o.topic, qos: o.qos, channel: 'Bench' }] }],
    }),
  );
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const writeConfig = (broker: Mosquitto): { path: string; remove: () => void } => writeBenchConfig(broker, { deviceId: 'bench-footprint', topic: 'bench/footprint', qos: 1 });

/** Start-up to ready: the large store against an empty data directory, alternately. */
export async function startupTimes(broker: Mosquitto, largeDir: string, rounds: number): Promise<{ large: number[]; empty: number[] }> {
  const config = writeConfig(broker);
  const large: number[] = [];
  const empty: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const hub = await startHub(config.path, largeDir);
      large.push(hub.readyMs);
      await hub.stop();
      const emptyDir = mkdtempSync(join(tmpdir(), 'pushdesk-bench-empty-'));
      const fresh = await startHub(config.path, emptyDir);
      empty.push(fresh.readyMs);
      await fresh.stop();
      rmSync(emptyDir, { recursive: true, force: true });
    }
  } finally {
    config.remove();
  }
  return { large, empty };
}

/** Memory of the hub on the large store, and of a bare Node process as the baseline. */
export interface Footprint {
  /** After printing its UI address and 2 s idle. */
  readonly idle: Memory;
  /** After a UI loaded 10 history pages of 100, 5 searches and the channel counts through the contract. */
  readonly afterUi: Memory;
  readonly bareNode: Memory;
}

/** Calls contract methods over the bridge's WebSocket, one after another, as the UI does. */
async function useThroughContract(url: string): Promise<void> {
  const address = new URL(url);
  const token = address.searchParams.get('token') as string;
  const ws = new WebSocket(`ws://${address.host}/ws?token=${encodeURIComponent(token)}`, { headers: { Origin: `http://${address.host}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let id = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as { type: string; id?: number; ok?: boolean; value?: unknown; error?: unknown };
    const waiter = frame.type === 'result' && frame.id !== undefined ? pending.get(frame.id) : undefined;
    if (!waiter) return;
    if (frame.ok) waiter.resolve(frame.value);
    else waiter.reject(new Error(`bench: the hub refused a call: ${JSON.stringify(frame.error)}`));
  });
  const call = (method: string, args: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      pending.set(++id, { resolve, reject });
      ws.send(JSON.stringify({ type: 'call', id, method, args }));
    });
  let beforeSeq: number | undefined;
  for (let page = 0; page < 10; page++) {
    const { messages } = (await call('listMessages', { limit: 100, ...(beforeSeq ? { beforeSeq } : {}) })) as { messages: { seq: number }[] };
    beforeSeq = messages.at(-1)?.seq;
  }
  for (const text of ['backup failed', 'pump', '服务器', 'certificate', 'web']) await call('searchMessages', { text, limit: 50 });
  await call('channelCounts', {});
  ws.close();
}

/** Spawns a bare `node -e "setTimeout(...)"` with the bench's Node, waits `idleMs` and reads its memory. */
async function bareNodeMemory(idleMs: number): Promise<Memory> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const memory = processMemory(child.pid as number);
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return memory;
}

/** The hub process on the large store: memory when idle and after a UI used it, beside a bare Node. */
export async function hubFootprint(broker: Mosquitto, largeDir: string): Promise<Footprint> {
  const config = writeConfig(broker);
  try {
    const hub = await startHub(config.path, largeDir);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const idle = processMemory(hub.child.pid as number);
      await useThroughContract(hub.url);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const afterUi = processMemory(hub.child.pid as number);
      return { idle, afterUi, bareNode: await bareNodeMemory(2000) };
    } finally {
      await hub.stop();
    }
  } finally {
    config.remove();
  }
}
