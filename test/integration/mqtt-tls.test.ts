import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { freePort, waitFor, waitForPort } from '../helpers/net.ts';
import { makeTestCa, type TestCa } from '../helpers/test-ca.ts';

describe('TLS connections to mosquitto', () => {
  let dir: string;
  let ca: TestCa;
  let broker: Mosquitto;
  let tlsPort: number;
  let mtlsPort: number;
  const hubs: Hub[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-tls-'));
    ca = makeTestCa(join(dir, 'ca'));
    tlsPort = await freePort();
    mtlsPort = await freePort();
    const tlsFiles = [`cafile ${ca.caFile}`, `certfile ${ca.serverCertFile}`, `keyfile ${ca.serverKeyFile}`];
    broker = await startMosquitto(join(dir, 'broker'), {
      extraConfig: [
        `listener ${tlsPort} 127.0.0.1`,
        ...tlsFiles,
        `listener ${mtlsPort} 127.0.0.1`,
        ...tlsFiles,
        'require_certificate true',
      ],
    });
    await Promise.all([waitForPort(tlsPort), waitForPort(mtlsPort)]);
  });

  afterAll(async () => {
    for (const hub of hubs) await hub.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a hub on one TLS connection and waits until it connects or reports an error. */
  const connect = async (port: number, tls: Record<string, unknown>) => {
    const config = parseConfig({
      deviceId: `tls-${hubs.length}`,
      connections: [
        {
          id: 'secure',
          url: `mqtts://127.0.0.1:${port}`,
          tls,
          reconnect: { baseMs: 50, capMs: 200 },
          subscriptions: [{ topic: 'secure/#', qos: 1, channel: 'Secure' }],
        },
      ],
    });
    const hub = new Hub({ config, dataDir: join(dir, `data-${hubs.length}`), notifier: { show() {} }, logger: silentLogger });
    hubs.push(hub);
    hub.start();
    return waitFor('the connection to connect or fail', () => {
      const status = hub.connectionStatuses()[0];
      return status && (status.state === 'connected' || status.lastError) ? { hub, status } : undefined;
    });
  };

  it('refuses a broker whose certificate it cannot verify, saying how to trust its CA', async () => {
    const { status } = await connect(tlsPort, {});
    expect(status.state).not.toBe('connected');
    expect(status.lastError).toMatch(/certificate is not trusted .*add the CA that signed it as tls\.caFile/);
  });

  it('refuses a certificate signed by another CA than the one configured', async () => {
    const { status } = await connect(tlsPort, { caFile: ca.otherCaFile });
    expect(status.state).not.toBe('connected');
    expect(status.lastError).toMatch(/not trusted/);
  });

  it('connects with the CA configured and receives over TLS', async () => {
    const { hub, status } = await connect(tlsPort, { caFile: ca.caFile });
    expect(status.state).toBe('connected');
    expect(status.warning).toBeUndefined();
    const seen: string[] = [];
    hub.on('messagesAdded', (batch) => seen.push(...batch.map((m) => m.body)));
    const publisher = await mqtt.connectAsync(broker.url);
    // The subscription is made just after connecting: publish until it has taken effect.
    const timer = setInterval(() => void publisher.publishAsync('secure/a', 'over tls', { qos: 1 }), 100);
    await waitFor('the message over TLS', () => (seen.includes('over tls') ? true : undefined)).finally(() => clearInterval(timer));
    await publisher.endAsync();
  });

  it('connects without verification only when told, and shows a warning', async () => {
    const { status } = await connect(tlsPort, { rejectUnauthorized: false });
    expect(status.state).toBe('connected');
    expect(status.warning).toMatch(/verification is off/);
  });

  it('connects with a client certificate where the broker requires one, and is refused without it', async () => {
    const withCert = await connect(mtlsPort, { caFile: ca.caFile, certFile: ca.clientCertFile, keyFile: ca.clientKeyFile });
    expect(withCert.status.state).toBe('connected');
    const without = await connect(mtlsPort, { caFile: ca.caFile });
    expect(without.status.state).not.toBe('connected');
    expect(without.status.lastError).toBe('the broker requires a client certificate: set tls.certFile and tls.keyFile for this connection');
  });
});
