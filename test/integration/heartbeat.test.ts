import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { ScriptedSignals } from '../../electron/core/heartbeat/system-signals.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import type { StoredMessage } from '../../electron/core/message/message.ts';
import { startBlackholeProxy, type BlackholeProxy } from '../helpers/blackhole-proxy.ts';
import { NtfyTestServer } from '../helpers/ntfy-test-server.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/net.ts';

describe('heartbeats find dead links (through a proxy that silently drops everything)', () => {
  let dir: string;
  let broker: Mosquitto;
  let proxy: BlackholeProxy;
  let hubs: Hub[] = [];
  let run = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-heartbeat-'));
    broker = await startMosquitto(join(dir, 'broker'));
  });
  afterEach(async () => {
    for (const hub of hubs) await hub.stop();
    hubs = [];
    await proxy?.close();
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (heartbeat: Record<string, unknown> = {}, signals = new ScriptedSignals(), extra: Record<string, unknown> = {}) => {
    proxy = await startBlackholeProxy(broker.port);
    run++;
    const config = parseConfig({
      deviceId: `hb-${run}`,
      heartbeat,
      connections: [
        {
          id: 'c',
          url: `mqtt://127.0.0.1:${proxy.port}`,
          reconnect: { baseMs: 200, capMs: 1000 },
          // The broker is on loopback, which needs no network: make this connection behave like a remote one.
          waitForNetwork: true,
          ...extra,
          subscriptions: [{ topic: `hb${run}/#`, qos: 1, channel: 'HB' }],
        },
      ],
    });
    const hub = new Hub({ config, dataDir: join(dir, `data-${run}`), notifier: { show() {} }, logger: silentLogger, signals });
    const added: StoredMessage[] = [];
    hub.on('messagesAdded', (batch) => added.push(...batch));
    hubs.push(hub);
    hub.start();
    await waitFor('the connection', () => (hub.connectionStatuses()[0]?.state === 'connected' ? true : undefined));
    const probe = await mqtt.connectAsync(broker.url);
    const timer = setInterval(() => void probe.publishAsync(`hb${run}/probe`, JSON.stringify({ id: 'probe', title: 'probe' }), { qos: 1 }), 100);
    await waitFor('the subscription', () => (added.length > 0 ? true : undefined)).finally(() => clearInterval(timer));
    await probe.endAsync();
    return { hub, signals, added, status: () => hub.connectionStatuses()[0] };
  };

  it('on AC power notices a silently dead link within 45 s', async () => {
    const { status } = await start();
    expect(status()?.heartbeat.reason).toBe('AC power, 30 s');
    proxy.blackhole();
    const since = Date.now();
    const detectedAt = await waitFor('the detection', () => status()?.heartbeat.lastDetectionMs, 60_000, 100);
    const detectionMs = detectedAt - since;
    console.log(`AC profile: dead link detected ${detectionMs} ms after the traffic stopped`);
    // Ping after 30 s of silence, 14 s for its answer: mqtt.js's own limit (1.5 x 30 s) would come later.
    expect(detectionMs).toBeLessThanOrEqual(44_600);
    expect(status()?.lastError).toBe('no answer to a heartbeat within 14 s: the link was dead');
  }, 70_000);

  it.each(['network-change', 'resume', 'unlock'] as const)('after %s probes at once and notices a dead link within 5 s', async (reason) => {
    const { status, signals } = await start();
    proxy.blackhole();
    const since = Date.now();
    signals.wake(reason);
    const detectedAt = await waitFor('the detection', () => status()?.heartbeat.lastDetectionMs, 10_000, 50);
    console.log(`${reason}: dead link detected ${detectedAt - since} ms after it`);
    expect(detectedAt - since).toBeLessThanOrEqual(5_000);
    proxy.restore();
    await waitFor('the reconnection', () => (status()?.state === 'connected' ? true : undefined), 15_000);
  });

  it('sends heartbeats while online and none, with no reconnect attempts, while offline', async () => {
    const { status, signals } = await start({ acIntervalSec: 5, acTimeoutSec: 2 });
    // A heartbeat went out and its answer came back (the round trip is recorded when the answer arrives).
    const rttMs = await waitFor('an answered heartbeat', () => status()?.heartbeat.lastRttMs, 15_000, 50);
    expect(rttMs).toBeGreaterThanOrEqual(0);
    expect(status()?.heartbeat.lastHour).toBeGreaterThan(0);
    signals.set({ online: false });
    const beats = status()?.heartbeat.lastHour;
    const reconnects = status()?.reconnects;
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    expect(status()?.state).toBe('offline');
    expect(status()?.heartbeat.lastHour).toBe(beats);
    expect(status()?.reconnects).toBe(reconnects);
    signals.set({ online: true });
    await waitFor('the reconnection', () => (status()?.state === 'connected' ? true : undefined), 10_000);
    // Back online, heartbeats resume at the policy's interval (5 s here), not at a default keep-alive.
    await waitFor('a heartbeat after coming back', () => ((status()?.heartbeat.lastHour ?? 0) > (beats ?? 0) ? true : undefined), 12_000, 100);
  }, 50_000);

  it('moves to a longer battery interval with a quiet reconnect, losing no message', async () => {
    const { hub, status, signals, added } = await start();
    const publisher = await mqtt.connectAsync(broker.url);
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      sends.push(publisher.publishAsync(`hb${run}/m`, JSON.stringify({ id: `m-${i}`, title: `m ${i}` }), { qos: 1 }));
      if (i === 50) signals.set({ power: 'battery' });
    }
    await Promise.all(sends);
    await publisher.endAsync();
    await waitFor('every message', () => (added.filter((m) => m.id.startsWith('m-')).length === 100 ? true : undefined), 20_000);
    await waitFor('the reconnection', () => (status()?.state === 'connected' ? true : undefined));
    expect(status()?.heartbeat).toMatchObject({ reason: 'battery, adaptive, 120 s', intervalSec: 120 });
    expect(status()?.reconnects).toBeGreaterThanOrEqual(1);
    expect(new Set(hub.listMessages({ limit: 200 }).map((m) => m.id)).size).toBe(101);
  });

  it('renegotiates without the broker publishing its last will', async () => {
    const watcher = await mqtt.connectAsync(broker.url);
    const statuses: string[] = [];
    watcher.on('message', (_topic, payload) => {
      if (payload.length > 0) statuses.push((JSON.parse(payload.toString()) as { status: string }).status);
    });
    await watcher.subscribeAsync('presence/hb-quiet', { qos: 1 });
    const { status, signals } = await start({}, new ScriptedSignals(), { presence: { topic: 'presence/hb-quiet' } });
    await waitFor('online', () => (statuses.includes('online') ? true : undefined));
    const reconnects = status()?.reconnects ?? 0;
    signals.set({ power: 'battery' });
    await waitFor('the quiet reconnect', () => ((status()?.reconnects ?? 0) > reconnects && status()?.state === 'connected' ? true : undefined));
    await waitFor('online again', () => (statuses.filter((s) => s === 'online').length >= 2 ? true : undefined));
    const afterRenegotiation = status()?.reconnects;
    // The old socket is closed a second later: that must not touch the new connection.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await watcher.publishAsync('presence/hb-quiet', '', { qos: 1, retain: true });
    await watcher.endAsync();
    expect(statuses).not.toContain('offline');
    expect(status()?.state).toBe('connected');
    expect(status()?.reconnects).toBe(afterRenegotiation);
  });

  it('pings an idle ntfy WebSocket and notices when the pongs stop', async () => {
    const server = await NtfyTestServer.start({ keepaliveIntervalMs: 0 });
    const ntfyProxy = await startBlackholeProxy(Number(new URL(server.url).port));
    try {
      const config = parseConfig({
        deviceId: 'hb-ntfy',
        heartbeat: { acIntervalSec: 5, acTimeoutSec: 2 },
        connections: [
          { id: 'n', kind: 'ntfy', url: `http://127.0.0.1:${ntfyProxy.port}`, transport: 'ws', reconnect: { baseMs: 200, capMs: 1000 }, subscriptions: [{ topic: 'hb', channel: 'HB' }] },
        ],
      });
      const hub = new Hub({ config, dataDir: join(dir, 'ntfy-hb'), notifier: { show() {} }, logger: silentLogger, signals: new ScriptedSignals() });
      hubs.push(hub);
      hub.start();
      const status = () => hub.connectionStatuses()[0];
      await waitFor('an answered ping', () => (status()?.heartbeat.lastRttMs !== undefined ? true : undefined), 15_000, 100);
      expect(status()?.heartbeat.lastHour).toBeGreaterThan(0);
      ntfyProxy.blackhole();
      const since = Date.now();
      const detectedAt = await waitFor('the detection', () => status()?.heartbeat.lastDetectionMs, 15_000, 50);
      expect(detectedAt - since).toBeLessThanOrEqual(7_500); // the next ping comes after 5 s of silence, its answer may take 2 s
      expect(status()?.lastError).toMatch(/no answer to a heartbeat within 2 s/);
    } finally {
      await ntfyProxy.close();
      await server.close();
    }
  });
});
