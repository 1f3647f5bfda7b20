import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

describe('MQTT credentials and persistent sessions', () => {
  let dir: string;
  let broker: Mosquitto;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-auth-'));
    mkdirSync(join(dir, 'broker'), { recursive: true });
    const passwords = join(dir, 'broker', 'passwords');
    writeFileSync(passwords, '');
    execFileSync(requireProgram('mosquitto_passwd', 'mosquitto'), ['-b', passwords, 'desk', 'correct horse']);
    execFileSync(requireProgram('mosquitto_passwd', 'mosquitto'), ['-b', passwords, 'publisher', 'pub']);
    broker = await startMosquitto(join(dir, 'broker'), { extraConfig: ['allow_anonymous false', `password_file ${passwords}`] });
  });

  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const hubWith = (password: string, dataDir: string, protocolVersion: 4 | 5 = 5): Hub =>
    new Hub({
      config: parseConfig({
        deviceId: 'auth-desk',
        connections: [
          {
            id: 'secure',
            url: broker.url,
            protocolVersion,
            username: 'desk',
            passwordEnv: 'PUSHDESK_TEST_PASSWORD',
            reconnect: { baseMs: 50, capMs: 200 },
            subscriptions: [{ topic: 'inbox/#', qos: 1, channel: 'Inbox' }],
          },
        ],
      }),
      dataDir,
      notifier: { show() {} },
      logger: silentLogger,
      env: { PUSHDESK_TEST_PASSWORD: password },
    });

  it('says in plain words when the broker refuses the user name or password', async () => {
    for (const version of [4, 5] as const) {
      const hub = hubWith('wrong', join(dir, `refused-${version}`), version);
      hub.start();
      const status = await waitFor('the refusal', () => {
        const s = hub.connectionStatuses()[0];
        return s?.lastError ? s : undefined;
      });
      await hub.stop();
      expect(status.lastError).toMatch(/refused the user name or password|not authorised/);
      expect(status.state).not.toBe('connected');
    }
  });

  it('receives every QoS 1 message published while it was stopped, once, after it starts again', async () => {
    const dataDir = join(dir, 'offline');
    const first = hubWith('correct horse', dataDir);
    first.start();
    await waitFor('the first connection', () => (first.connectionStatuses()[0]?.state === 'connected' ? true : undefined));
    const publisher = await mqtt.connectAsync(broker.url, { username: 'publisher', password: 'pub' });
    // The session's subscription is in place once a probe has been stored.
    const probe = setInterval(() => void publisher.publishAsync('inbox/probe', JSON.stringify({ id: 'probe', title: 'probe' }), { qos: 1 }), 100);
    await waitFor('the probe', () => (first.listMessages({ limit: 1 }).length > 0 ? true : undefined)).finally(() => clearInterval(probe));
    await first.stop();
    for (let i = 0; i < 300; i++) {
      await publisher.publishAsync('inbox/task', JSON.stringify({ id: `offline-${i}`, title: `task ${i}` }), { qos: 1 });
    }
    await publisher.endAsync();
    const second = hubWith('correct horse', dataDir);
    second.start();
    const stored = await waitFor('the backlog', () => {
      const page = second.listMessages({ limit: 500 });
      return page.length >= 301 ? page : undefined;
    }, 20_000);
    await second.stop();
    const ids = stored.map((m) => m.id).filter((id) => id.startsWith('offline-'));
    console.log(`published while stopped: 300; stored after restart: ${ids.length}; distinct: ${new Set(ids).size}`);
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
  });
});
