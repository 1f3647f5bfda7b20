import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/net.ts';
import { requireProgram } from '../helpers/programs.ts';

const FLOOD = 300_000;

describe('connections are independent', () => {
  let dir: string;
  let broker: Mosquitto;
  /** A second broker for the alerts, so the flood cannot delay them inside one broker either. */
  let alertsBroker: Mosquitto;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-flood-'));
    broker = await startMosquitto(join(dir, 'broker'), {
      extraConfig: ['queue_qos0_messages true', `max_queued_messages ${FLOOD * 2}`, 'max_queued_bytes 0'],
    });
    alertsBroker = await startMosquitto(join(dir, 'alerts-broker'));
  });
  afterAll(async () => {
    await broker?.stop();
    await alertsBroker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores an alert on one connection while another is still draining a flood of 300,000 messages', async () => {
    const config = parseConfig({
      deviceId: 'flood-desk',
      connections: [
        { id: 'feed', url: broker.url, subscriptions: [{ topic: 'flood/#', qos: 0, channel: 'Feed' }] },
        { id: 'alerts', url: alertsBroker.url, subscriptions: [{ topic: 'alerts/#', qos: 1, channel: 'Alerts' }] },
      ],
    });
    const dataDir = join(dir, 'data');
    const first = new Hub({ config, dataDir, notifier: { show() {} }, logger: silentLogger });
    first.start();
    const seen = new Set<string>();
    first.on('messagesAdded', (batch) => batch.forEach((m) => seen.add(m.connectionId)));
    // Probe both topics until each connection has one: their subscriptions are then in place.
    const probe = await mqtt.connectAsync(broker.url);
    const alertsProbe = await mqtt.connectAsync(alertsBroker.url);
    const timer = setInterval(() => {
      void probe.publishAsync('flood/probe', JSON.stringify({ title: 'probe' }), { qos: 0 });
      void alertsProbe.publishAsync('alerts/probe', JSON.stringify({ title: 'probe' }), { qos: 1 });
    }, 100);
    await waitFor('both subscriptions', () => (seen.size === 2 ? true : undefined), 15_000).finally(() => clearInterval(timer));
    await probe.endAsync();
    await alertsProbe.endAsync();
    await first.stop();

    // The flood waits in the feed connection's session; it pours in as soon as the hub connects.
    const pub = spawn(requireProgram('mosquitto_pub', 'mosquitto-clients'), ['-h', '127.0.0.1', '-p', String(broker.port), '-q', '0', '-t', 'flood/x', '-l'], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    pub.stdin.end(Array.from({ length: FLOOD }, (_, i) => `{"id":"f${i}","title":"reading ${i}"}`).join('\n') + '\n');
    await new Promise((resolve) => pub.once('exit', resolve));

    // Connected beforehand: during the flood the test only publishes.
    const publisher = await mqtt.connectAsync(alertsBroker.url);

    const hub = new Hub({ config, dataDir, notifier: { show() {} }, logger: silentLogger });
    let floodStored = 0;
    let floodStoredWhenAlert: number | undefined;
    let alertStoredAt = 0;
    hub.on('messagesAdded', (batch) => {
      for (const m of batch) {
        if (m.connectionId === 'feed' && m.title !== 'probe') floodStored++;
        else if (m.id === 'alarm-1') {
          floodStoredWhenAlert = floodStored;
          alertStoredAt = performance.now();
        }
      }
    });
    hub.start();
    await waitFor('the flood to be under way', () => (floodStored >= 1000 ? true : undefined), 20_000, 2);
    const publishedAt = performance.now();
    await publisher.publishAsync('alerts/line1', JSON.stringify({ id: 'alarm-1', title: 'Line 1 stopped' }), { qos: 1 });
    await publisher.endAsync();
    await waitFor('the alert', () => floodStoredWhenAlert, 60_000, 5);
    await waitFor('the whole flood', () => (floodStored >= FLOOD ? true : undefined), 60_000, 20);
    await hub.stop();
    console.log(`alert stored ${Math.round(alertStoredAt - publishedAt)} ms after it was published, after ${floodStoredWhenAlert} of ${FLOOD} flood messages`);
    expect(floodStoredWhenAlert).toBeGreaterThanOrEqual(1000);
    expect(floodStoredWhenAlert).toBeLessThan(FLOOD);
    expect(floodStored).toBe(FLOOD);
  });
});
