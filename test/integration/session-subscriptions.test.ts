import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger, type Logger } from '../../electron/core/logger.ts';
import type { StoredMessage } from '../../electron/core/message/message.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/net.ts';

describe('a persistent session follows configuration changes', () => {
  let dir: string;
  let broker: Mosquitto;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-session-'));
    broker = await startMosquitto(join(dir, 'broker'));
  });

  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };

  const startHub = async (topics: string[]): Promise<{ hub: Hub; seen: StoredMessage[] }> => {
    const config = parseConfig({
      deviceId: 'session-test',
      connections: [{ id: 'c', url: broker.url, subscriptions: topics.map((topic) => ({ topic, qos: 1, channel: topic })) }],
    });
    const hub = new Hub({ config, dataDir: join(dir, 'data'), notifier: { show() {} }, logger });
    const seen: StoredMessage[] = [];
    hub.on('messagesAdded', (batch) => seen.push(...batch));
    hub.start();
    await waitFor('the hub to connect', () => (hub.connectionStatuses()[0]?.state === 'connected' ? true : undefined));
    return { hub, seen };
  };

  it('subscribes to a filter added while the session existed; a removed filter stores nothing', async () => {
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'session-publisher' });
    const first = await startHub(['old/#']);
    await publisher.publishAsync('old/1', 'before the change', { qos: 1 });
    await waitFor('the first message', () => (first.seen.length === 1 ? true : undefined));
    await first.hub.stop();

    const second = await startHub(['new/#']);
    // The probe on the new filter proves the subscription exists; the old one must be gone by then.
    await publisher.publishAsync('old/2', 'after removal', { qos: 1 });
    await publisher.publishAsync('new/1', 'added filter', { qos: 1 });
    await waitFor('the message on the added filter', () => second.seen.find((m) => m.topic === 'new/1'), 10_000);
    await publisher.publishAsync('new/2', 'sentinel', { qos: 1 });
    await waitFor('the sentinel', () => second.seen.find((m) => m.topic === 'new/2'), 10_000);
    await second.hub.stop();
    await publisher.endAsync();
    expect(second.seen.map((m) => m.topic)).toEqual(['new/1', 'new/2']);
    // The removed filter was unsubscribed: the broker did not even send old/2.
    expect(warnings).not.toContain('message on a topic no subscription matches');
  });
});
