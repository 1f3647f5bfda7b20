import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import type { StoredMessage } from '../../electron/core/message/message.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/net.ts';

describe('read receipts survive a broker outage and a restart (outbox)', () => {
  let dir: string;
  let broker: Mosquitto;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-outbox-'));
    broker = await startMosquitto(join(dir, 'broker'));
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = parseConfig({
    deviceId: 'outbox-desk',
    connections: [
      {
        id: 'c',
        url: `mqtt://127.0.0.1:0`, // replaced below with the broker's port
        reconnect: { baseMs: 100, capMs: 500 },
        subscriptions: [{ topic: 'tasks/#', qos: 1, channel: 'Tasks' }],
        receipts: { topic: 'receipts/{device}' },
      },
    ],
  });
  const makeHub = (dataDir: string): Hub => {
    const withPort = { ...config, connections: config.connections.map((c) => ({ ...c, url: broker.url })) };
    return new Hub({ config: withPort, dataDir, notifier: { show() {} }, logger: silentLogger });
  };

  it('sends 100 receipts, each once, after the broker comes back, even across a restart of the hub', async () => {
    const dataDir = join(dir, 'data');
    const receipts: { receiptId: string; messageId: string }[] = [];
    const watcher = await mqtt.connectAsync(broker.url, { clientId: 'receipt-watcher', clean: false });
    watcher.on('message', (_topic, payload) => receipts.push(JSON.parse(payload.toString()) as { receiptId: string; messageId: string }));
    await watcher.subscribeAsync('receipts/#', { qos: 1 });

    let hub = makeHub(dataDir);
    const added: StoredMessage[] = [];
    hub.on('messagesAdded', (batch) => added.push(...batch));
    hub.start();
    await waitFor('the connection', () => (hub.connectionStatuses()[0]?.state === 'connected' ? true : undefined));
    const publisher = await mqtt.connectAsync(broker.url);
    const probe = setInterval(() => void publisher.publishAsync('tasks/probe', JSON.stringify({ id: 'probe', title: 'probe' }), { qos: 1 }), 100);
    await waitFor('the subscription', () => (added.length > 0 ? true : undefined)).finally(() => clearInterval(probe));
    for (let i = 0; i < 100; i++) await publisher.publishAsync('tasks/t', JSON.stringify({ id: `task-${i}`, title: `task ${i}` }), { qos: 1 });
    await publisher.endAsync();
    await waitFor('100 tasks', () => (added.filter((m) => m.id.startsWith('task-')).length === 100 ? true : undefined));

    // The broker goes away; the person reads everything meanwhile.
    await broker.stop();
    await waitFor('the loss', () => (hub.connectionStatuses()[0]?.state !== 'connected' ? true : undefined));
    const outcomes = new Set<string>();
    for (const message of added.filter((m) => m.id.startsWith('task-'))) outcomes.add((await hub.markRead(message.seq)).receipt);
    expect([...outcomes]).toEqual(['pending']);
    // Half of them wait through a restart of the hub itself.
    await hub.stop();
    hub = makeHub(dataDir);
    hub.start();
    await broker.start();

    await waitFor('100 receipts', () => (new Set(receipts.map((r) => r.messageId)).size >= 100 ? true : undefined), 30_000, 100);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // time for any duplicate to show up
    await hub.stop();
    await watcher.endAsync();
    const ids = receipts.map((r) => r.messageId).filter((id) => id.startsWith('task-'));
    console.log(`receipts after the outage and a restart: ${ids.length} for 100 messages read, distinct ${new Set(ids).size}`);
    expect(ids).toHaveLength(100);
    expect(new Set(ids).size).toBe(100);
    expect(new Set(receipts.map((r) => r.receiptId)).size).toBe(receipts.length);
  });
});
