import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import type { StoredMessage } from '../../electron/core/message/message.ts';
import { proxyFor, proxyFromPac } from '../../electron/core/sources/proxy.ts';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.ts';
import { NtfyTestServer } from '../helpers/ntfy-test-server.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { freePort, waitFor, waitForPort } from '../helpers/net.ts';

const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy'];

describe('proxies for WebSocket brokers', () => {
  let dir: string;
  let broker: Mosquitto;
  let wsPort: number;
  let proxy: ConnectProxy;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    for (const name of PROXY_VARS) saved[name] = process.env[name];
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-proxy-'));
    wsPort = await freePort();
    broker = await startMosquitto(join(dir, 'broker'), { extraConfig: [`listener ${wsPort}`, 'protocol websockets'] });
    await waitForPort(wsPort);
    proxy = await startConnectProxy();
  });

  afterEach(() => {
    for (const name of PROXY_VARS) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  afterAll(async () => {
    await proxy?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const receiveOne = async (label: string): Promise<void> => {
    const config = parseConfig({
      deviceId: `proxy-${label}`,
      connections: [{ id: 'ws', url: `ws://127.0.0.1:${wsPort}`, subscriptions: [{ topic: 'via/#', qos: 1, channel: 'Via' }] }],
    });
    const hub = new Hub({ config, dataDir: join(dir, label), notifier: { show() {} }, logger: silentLogger });
    const added: StoredMessage[] = [];
    hub.on('messagesAdded', (batch) => added.push(...batch));
    hub.start();
    try {
      await waitFor('the connection', () => (hub.connectionStatuses()[0]?.state === 'connected' ? true : undefined));
      const publisher = await mqtt.connectAsync(broker.url);
      const timer = setInterval(() => void publisher.publishAsync('via/x', label, { qos: 1 }), 100);
      await waitFor('a message over the WebSocket', () => added.find((m) => m.body === label)).finally(() => clearInterval(timer));
      await publisher.endAsync();
    } finally {
      await hub.stop();
    }
  };

  it('maps ws:// to HTTP_PROXY and wss:// to HTTPS_PROXY, and honours NO_PROXY', () => {
    process.env.HTTP_PROXY = 'http://plain-proxy:3128';
    process.env.HTTPS_PROXY = 'http://tls-proxy:3128';
    process.env.NO_PROXY = 'internal.example';
    expect(proxyFor('ws://broker.example/mqtt')).toBe('http://plain-proxy:3128');
    expect(proxyFor('wss://broker.example/mqtt')).toBe('http://tls-proxy:3128');
    expect(proxyFor('https://ntfy.example')).toBe('http://tls-proxy:3128');
    expect(proxyFor('wss://internal.example/mqtt')).toBeUndefined();
  });

  it('reaches a ws:// broker through the HTTP_PROXY tunnel', async () => {
    process.env.HTTP_PROXY = proxy.url;
    delete process.env.NO_PROXY;
    const before = proxy.tunnels.length;
    await receiveOne('proxied');
    expect(proxy.tunnels.slice(before)).toContain(`127.0.0.1:${wsPort}`);
  });

  it('goes direct when NO_PROXY names the broker', async () => {
    process.env.HTTP_PROXY = proxy.url;
    process.env.NO_PROXY = '127.0.0.1';
    const before = proxy.tunnels.length;
    await receiveOne('direct');
    expect(proxy.tunnels.length).toBe(before);
  });
});

describe('proxies for ntfy servers', () => {
  let dir: string;
  let proxy: ConnectProxy;
  let server: NtfyTestServer;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    for (const name of PROXY_VARS) saved[name] = process.env[name];
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-ntfy-proxy-'));
    proxy = await startConnectProxy();
    server = await NtfyTestServer.start({ keepaliveIntervalMs: 0 });
  });
  afterAll(async () => {
    for (const name of PROXY_VARS) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await server?.close();
    await proxy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const transport of ['ws', 'json'] as const) {
    it(`subscribes (${transport}) and posts receipts through HTTP_PROXY`, async () => {
      process.env.HTTP_PROXY = proxy.url;
      delete process.env.NO_PROXY;
      const config = parseConfig({
        deviceId: `ntfy-proxy-${transport}`,
        connections: [
          { id: 'n', kind: 'ntfy', url: server.url, transport, subscriptions: [{ topic: 'proxied', channel: 'P' }], receipts: { topic: 'rcpt' } },
        ],
      });
      const hub = new Hub({ config, dataDir: join(dir, transport), notifier: { show() {} }, logger: silentLogger });
      const added: StoredMessage[] = [];
      hub.on('messagesAdded', (batch) => added.push(...batch));
      const before = proxy.tunnels.length;
      hub.start();
      try {
        await waitFor('the ntfy connection', () => (hub.connectionStatuses()[0]?.state === 'connected' ? true : undefined));
        server.publish('proxied', `via ${transport}`);
        const message = await waitFor('the message', () => added.find((m) => m.body === `via ${transport}`));
        expect((await hub.markRead(message.seq)).receipt).toBe('sent');
      } finally {
        await hub.stop();
      }
      const host = new URL(server.url).host;
      expect(proxy.tunnels.slice(before).filter((t) => t === host).length).toBeGreaterThanOrEqual(2);
    });
  }
});

describe('proxyFromPac', () => {
  it('reads the first PAC entry Electron resolves', () => {
    expect(proxyFromPac('PROXY corp-proxy:8080; DIRECT')).toBe('http://corp-proxy:8080');
    expect(proxyFromPac('HTTPS secure-proxy:443')).toBe('https://secure-proxy:443');
    expect(proxyFromPac('DIRECT')).toBeUndefined();
    expect(proxyFromPac('SOCKS5 socks:1080')).toBeUndefined();
  });
});
