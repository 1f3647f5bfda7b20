import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import { waitFor } from '../helpers/net.ts';

/**
 * mosquitto speaks both MQTT 5 and 3.1.1, so it cannot refuse a version. aedes speaks 3.1.1 only: it is
 * used here as what it is, a real broker without MQTT 5, not as a stand-in for mosquitto.
 */
describe('a broker that does not speak MQTT 5', () => {
  let dir: string;
  let broker: Aedes;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-version-'));
    broker = await Aedes.createBroker();
    server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = async (protocolVersion: 4 | 5) => {
    const config = parseConfig({
      deviceId: `v${protocolVersion}`,
      connections: [{ id: 'old', url, protocolVersion, reconnect: { baseMs: 100, capMs: 500 }, subscriptions: [{ topic: 'a/#', channel: 'A' }] }],
    });
    const hub = new Hub({ config, dataDir: join(dir, `v${protocolVersion}`), notifier: { show() {} }, logger: silentLogger });
    hub.start();
    const status = await waitFor('connected or refused', () => {
      const s = hub.connectionStatuses()[0];
      return s && (s.state === 'connected' || s.lastError) ? s : undefined;
    });
    await hub.stop();
    return status;
  };

  it('refuses MQTT 5 with words that say to switch to MQTT 3.1.1', async () => {
    const status = await connect(5);
    expect(status.state).not.toBe('connected');
    expect(status.lastError).toBe('the broker does not support this MQTT protocol version: set protocolVersion to 4 (MQTT 3.1.1) for this connection');
  });

  it('connects with protocolVersion 4', async () => {
    expect((await connect(4)).state).toBe('connected');
  });
});
