import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiService } from '../../electron/core/api-service.ts';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import type { PolicyOutcome } from '../../electron/core/config/policy.ts';
import { Hub } from '../../electron/core/hub.ts';
import type { StoredMessage } from '../../electron/core/message/message.ts';
import { MemorySecretStore } from '../../electron/core/secrets.ts';
import { recordingLogger } from '../helpers/in-process-hub.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { freePort, waitFor } from '../helpers/net.ts';
import { requireProgram } from '../helpers/programs.ts';

/**
 * The Channels and Connections screens' calls against a real mosquitto: the directory, live subscribe
 * and unsubscribe, a connection added from the form with its password in the secret store, and the test
 * button. Through ApiService, so the contract's validation and error codes are part of what is tested.
 */
describe('channels and connections at run time', () => {
  let dir: string;
  let broker: Mosquitto;
  let publisher: MqttClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-channels-'));
    const passwords = join(dir, 'passwd');
    writeFileSync(passwords, '');
    execFileSync(requireProgram('mosquitto_passwd', 'mosquitto'), ['-b', passwords, 'desk', 'correct horse']);
    execFileSync(requireProgram('mosquitto_passwd', 'mosquitto'), ['-b', passwords, 'publisher', 'pub']);
    broker = await startMosquitto(join(dir, 'broker'), {
      extraConfig: ['allow_anonymous false', `password_file ${passwords}`],
    });
    publisher = await mqtt.connectAsync(broker.url, { clientId: 'channels-publisher', username: 'publisher', password: 'pub' });
  });

  afterAll(async () => {
    await publisher?.endAsync();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const policy: PolicyOutcome = {
    source: '/etc/pushdesk/policy.json',
    locked: ['notifications.quietHours'],
    overridden: [],
    error: undefined,
    mandatory: [{ connectionId: 'plant', topic: 'plant/safety/#' }],
    offered: [{ connectionId: 'plant', topic: 'plant/hr/#', channel: 'HR news', description: 'From the people team', kind: 'notification' }],
    provisionedConnections: [],
  };

  const open = (dataDir: string, secrets: MemorySecretStore) => {
    const logger = recordingLogger();
    const config = parseConfig({
      deviceId: 'channels-test',
      connections: [
        {
          id: 'plant',
          url: broker.url,
          username: 'desk',
          passwordSecret: 'plant-password',
          subscriptions: [
            { topic: 'plant/line1/#', channel: 'Line 1' },
            { topic: 'plant/safety/#', channel: 'Safety' },
          ],
          directory: { topic: 'pushdesk/directory', channels: [{ topic: 'plant/line2/#', channel: 'Line 2', description: 'The second line' }] },
        },
      ],
    });
    const hub = new Hub({ config, dataDir, notifier: { show() {} }, logger, policy, secrets });
    const seen: StoredMessage[] = [];
    hub.on('messagesAdded', (batch) => seen.push(...batch));
    return { hub, api: new ApiService(hub), seen, logger };
  };

  const call = async (api: ApiService, method: string, args: unknown) => {
    const outcome = await api.call(method, args);
    if (!outcome.ok) throw new Error(`${method}: ${outcome.error.code}: ${outcome.error.message}`);
    return outcome.value as never;
  };

  it('lists configured, offered, policy and broker channels; subscribes and unsubscribes on the live link', async () => {
    const dataDir = join(dir, 'data-1');
    const secrets = new MemorySecretStore({ 'plant-password': 'correct horse' });
    await publisher.publishAsync(
      'pushdesk/directory',
      JSON.stringify({ version: 1, channels: [{ topic: 'plant/energy/#', channel: 'Energy', description: 'Meters' }] }),
      { qos: 1, retain: true },
    );
    const { hub, api, seen } = open(dataDir, secrets);
    hub.start();
    await waitFor('the connection', () => (hub.connectionStatuses()[0]?.state === 'connected' ? true : undefined));
    // The broker's retained directory arrives with the subscription.
    const listed = await waitFor('the broker directory', () => {
      const channels = hub.channels();
      return channels.some((c) => c.source === 'directory') ? channels : undefined;
    });
    const byTopic = new Map(listed.map((c) => [c.topic, c]));
    expect(byTopic.get('plant/line1/#')).toMatchObject({ subscribed: true, mandatory: false, source: 'config' });
    expect(byTopic.get('plant/safety/#')).toMatchObject({ subscribed: true, mandatory: true, source: 'policy' });
    expect(byTopic.get('plant/line2/#')).toMatchObject({ subscribed: false, source: 'config', description: 'The second line' });
    expect(byTopic.get('plant/hr/#')).toMatchObject({ subscribed: false, source: 'policy', description: 'From the people team' });
    expect(byTopic.get('plant/energy/#')).toMatchObject({ subscribed: false, source: 'directory', channel: 'Energy' });

    // Not subscribed: nothing arrives from line 2.
    await publisher.publishAsync('plant/line2/press', JSON.stringify({ title: 'before subscribing' }), { qos: 1 });
    const subscribed = (await call(api, 'setSubscribed', { connectionId: 'plant', topic: 'plant/line2/#', subscribed: true })) as { channel: { subscribed: boolean } };
    expect(subscribed.channel.subscribed).toBe(true);
    expect(hub.connectionStatuses()[0]?.reconnects).toBe(0);
    await publisher.publishAsync('plant/line2/press', JSON.stringify({ title: 'after subscribing' }), { qos: 1 });
    await waitFor('the message on the new channel', () => seen.find((m) => m.title === 'after subscribing'));
    expect(seen.find((m) => m.title === 'after subscribing')?.channel).toBe('Line 2');

    // Unsubscribed: a message published afterwards is not delivered; a later one on line 1 is (the sentinel).
    await call(api, 'setSubscribed', { connectionId: 'plant', topic: 'plant/line2/#', subscribed: false });
    await publisher.publishAsync('plant/line2/press', JSON.stringify({ title: 'after unsubscribing' }), { qos: 1 });
    await publisher.publishAsync('plant/line1/oven', JSON.stringify({ title: 'sentinel' }), { qos: 1 });
    await waitFor('the sentinel', () => seen.find((m) => m.title === 'sentinel'));
    expect(seen.map((m) => m.title)).not.toContain('after unsubscribing');
    expect(seen.map((m) => m.title)).not.toContain('before subscribing');

    // A mandatory channel cannot be left.
    const refused = await api.call('setSubscribed', { connectionId: 'plant', topic: 'plant/safety/#', subscribed: false });
    expect(refused).toMatchObject({ ok: false, error: { code: 'locked' } });
    expect(!refused.ok && refused.error.message).toMatch(/organisation/);

    // Channel rules: mute for an hour; the rule is kept in the person's settings file.
    const rule = (await call(api, 'setChannelRule', { channel: 'Line 1', muteMinutes: 60, minPriority: 3, sound: false })) as {
      rule: { mutedUntilMs: number; minPriority: number; sound: boolean };
    };
    expect(rule.rule.minPriority).toBe(3);
    expect(rule.rule.sound).toBe(false);
    expect(rule.rule.mutedUntilMs).toBeGreaterThan(Date.now() + 59 * 60_000);
    expect([...hub.mutedChannels()]).toContain('Line 1');
    await hub.stop();

    // After a restart the choices stay: line 2 unsubscribed, line 1 muted; the broker's directory is remembered.
    const again = open(dataDir, secrets);
    expect(again.hub.channels().find((c) => c.topic === 'plant/line2/#')?.subscribed).toBe(false);
    expect(again.hub.channels().find((c) => c.topic === 'plant/energy/#')?.source).toBe('directory');
    expect([...again.hub.mutedChannels()]).toContain('Line 1');
    await again.hub.stop();
    await publisher.publishAsync('pushdesk/directory', '', { qos: 1, retain: true });
  });

  it('puts a corrected password into effect at once, applies overlapping saves one after the other, and keeps kept secrets for their own server', async () => {
    const dataDir = join(dir, 'data-3');
    const secrets = new MemorySecretStore({ 'plant-password': 'correct horse' });
    const { hub, api } = open(dataDir, secrets);
    hub.start();
    await waitFor('the connection', () => (hub.connectionStatuses()[0]?.state === 'connected' ? true : undefined));
    const form = { id: 'extra', kind: 'mqtt', url: broker.url, username: 'desk', subscriptions: [{ topic: 'extra/#', channel: 'Extra' }] };
    await call(api, 'saveConnection', { connection: { ...form, secret: 'wrong' } });
    await waitFor('the refusal', () => (hub.connectionStatuses().find((s) => s.id === 'extra')?.lastError?.match(/user name or password|not authorised/) ? true : undefined));
    // Only the password changes: the connection is rebuilt with it.
    await call(api, 'saveConnection', { connection: { ...form, secret: 'correct horse' }, replaceId: 'extra' });
    await waitFor('the corrected connection', () => (hub.connectionStatuses().find((s) => s.id === 'extra')?.state === 'connected' ? true : undefined));

    // Two saves at once (a double click): one after the other, one source, the second one's channel.
    const first = call(api, 'saveConnection', { connection: { ...form, subscriptions: [{ topic: 'extra/#', channel: 'First' }] }, replaceId: 'extra' });
    const second = call(api, 'saveConnection', { connection: { ...form, subscriptions: [{ topic: 'extra/#', channel: 'Second' }] }, replaceId: 'extra' });
    await Promise.all([first, second]);
    expect(hub.connectionStatuses().filter((s) => s.id === 'extra')).toHaveLength(1);
    await waitFor('the connection after both saves', () => (hub.connectionStatuses().find((s) => s.id === 'extra')?.state === 'connected' ? true : undefined));
    const reconnectsBefore = hub.connectionStatuses().find((s) => s.id === 'extra')?.reconnects ?? 0;
    const seen: StoredMessage[] = [];
    hub.on('messagesAdded', (batch) => seen.push(...batch));
    await publisher.publishAsync('extra/2', JSON.stringify({ title: 'second message' }), { qos: 1 });
    const stored = await waitFor('the message on the saved connection', () => seen.find((m) => m.title === 'second message'));
    expect(stored.channel).toBe('Second');
    // No second source fights for the session: no reconnects in the next second.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(hub.connectionStatuses().find((s) => s.id === 'extra')?.reconnects).toBe(reconnectsBefore);

    // The test button: the kept password is used for its own server and user only.
    const kept = (await call(api, 'testConnection', { connection: form })) as { ok: boolean };
    expect(kept.ok).toBe(true);
    const otherUser = (await call(api, 'testConnection', { connection: { ...form, username: 'publisher' } })) as { ok: boolean; message: string };
    expect(otherUser.ok).toBe(false);
    await hub.stop();
  });

  it('does not start a connection removed during its start delay', async () => {
    const dataDir = join(dir, 'data-4');
    const secrets = new MemorySecretStore({ 'plant-password': 'correct horse', 'c.late': 'correct horse' });
    const first = open(dataDir, secrets);
    await call(first.api, 'saveConnection', {
      connection: { id: 'late', kind: 'mqtt', url: broker.url, username: 'desk', subscriptions: [{ topic: 'late/#', channel: 'Late' }] },
    });
    await first.hub.stop();
    const config = parseConfig({
      deviceId: 'channels-test',
      heartbeat: { startDelayMaxSec: 1 },
      connections: [
        {
          id: 'plant',
          url: broker.url,
          username: 'desk',
          passwordSecret: 'plant-password',
          subscriptions: [{ topic: 'plant/line1/#', channel: 'Line 1' }],
        },
      ],
    });
    const hub = new Hub({ config, dataDir, notifier: { show() {} }, logger: recordingLogger(), secrets });
    const seen: StoredMessage[] = [];
    hub.on('messagesAdded', (batch) => seen.push(...batch));
    hub.start();
    await hub.removeConnection('late');
    await waitFor('the remaining connection', () => (hub.connectionStatuses()[0]?.state === 'connected' ? true : undefined), 5000);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await publisher.publishAsync('late/x', JSON.stringify({ title: 'to the removed connection' }), { qos: 1 });
    await publisher.publishAsync('plant/line1/x', JSON.stringify({ title: 'sentinel 2' }), { qos: 1 });
    await waitFor('the sentinel', () => seen.find((m) => m.title === 'sentinel 2'));
    expect(seen.map((m) => m.title)).not.toContain('to the removed connection');
    expect(hub.connectionStatuses().map((s) => s.id)).toEqual(['plant']);
    await hub.stop();
  });

  it('adds a connection from the form with its password in the secret store, tests it, and refuses bad fields', async () => {
    const dataDir = join(dir, 'data-2');
    const secrets = new MemorySecretStore({ 'plant-password': 'correct horse' });
    const { hub, api, seen } = open(dataDir, secrets);
    hub.start();
    await waitFor('the connection', () => (hub.connectionStatuses()[0]?.state === 'connected' ? true : undefined));

    // Field-level errors: the URL's scheme, an empty topic.
    const bad = await api.call('saveConnection', {
      connection: { id: 'second', kind: 'mqtt', url: 'http://example.invalid', subscriptions: [{ topic: 'x/#', channel: 'X' }] },
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-arguments' } });
    expect(!bad.ok && bad.error.fields?.map((f) => f.path)).toContain('connection.url');
    const empty = await api.call('saveConnection', { connection: { id: 'second', kind: 'mqtt', url: broker.url, subscriptions: [{ topic: '', channel: 'X' }] } });
    expect(!empty.ok && empty.error.fields?.map((f) => f.path)).toContain('connection.subscriptions.0.topic');
    const misplaced = await api.call('saveConnection', {
      connection: { id: 'second', kind: 'mqtt', url: broker.url, subscriptions: [{ topic: 'ok/#', channel: 'X' }, { topic: 'b/#/x', channel: 'Y' }] },
    });
    expect(!misplaced.ok && misplaced.error.fields).toContainEqual({ path: 'connection.subscriptions.1.topic', message: 'may use # only as the whole last level (a/b/#)' });

    // The test button: a wrong password, a closed port, then the right one.
    const form = { id: 'second', kind: 'mqtt', url: broker.url, username: 'desk', secret: 'wrong', subscriptions: [{ topic: 'second/#', channel: 'Second' }] };
    const wrong = (await call(api, 'testConnection', { connection: form })) as { ok: boolean; message: string };
    expect(wrong).toMatchObject({ ok: false });
    expect(wrong.message).toMatch(/user name or password|not authorised/);
    const closed = (await call(api, 'testConnection', { connection: { ...form, url: `mqtt://127.0.0.1:${await freePort()}` } })) as { ok: boolean; message: string };
    expect(closed).toMatchObject({ ok: false });
    expect(closed.message).toMatch(/refused the connection/);
    const right = (await call(api, 'testConnection', { connection: { ...form, secret: 'correct horse' } })) as { ok: boolean; message: string };
    expect(right).toMatchObject({ ok: true });

    // Saved: connected at once, receiving; the password is in the secret store and nowhere in the settings file.
    const saved = (await call(api, 'saveConnection', { connection: { ...form, secret: 'correct horse' } })) as { connection: { id: string; hasSecret: boolean; source: string } };
    expect(saved.connection).toMatchObject({ id: 'second', hasSecret: true, source: 'user' });
    await waitFor('the added connection', () => (hub.connectionStatuses().find((s) => s.id === 'second')?.state === 'connected' ? true : undefined));
    await publisher.publishAsync('second/a', JSON.stringify({ title: 'on the added connection' }), { qos: 1 });
    await waitFor('a message on the added connection', () => seen.find((m) => m.connectionId === 'second'));
    const settingsFile = readFileSync(join(dataDir, 'user-settings.json'), 'utf8');
    expect(settingsFile).toContain('"second"');
    expect(settingsFile).not.toContain('correct horse');
    expect(secrets.get('c.second')).toBe('correct horse');
    const listed = (await call(api, 'listConnections', {})) as { connections: { id: string; source: string }[] };
    expect(listed.connections.map((c) => [c.id, c.source])).toEqual([
      ['plant', 'config'],
      ['second', 'user'],
    ]);

    // A locked setting is refused by name and nothing changes; an unlocked one is kept.
    const locked = await api.call('updateSettings', { patch: { notifications: { quietHours: { enabled: true, windows: [], urgentBypass: true } } } });
    expect(locked).toMatchObject({ ok: false, error: { code: 'locked' } });
    const changed = (await call(api, 'updateSettings', { patch: { theme: 'dark', readReceipts: false } })) as { settings: { theme: string; readReceipts: boolean } };
    expect(changed.settings).toMatchObject({ theme: 'dark', readReceipts: false });
    await hub.stop();

    // After a restart: the added connection comes back with its stored password and connects.
    const again = open(dataDir, secrets);
    again.hub.start();
    await waitFor('both connections after a restart', () =>
      again.hub.connectionStatuses().length === 2 && again.hub.connectionStatuses().every((s) => s.state === 'connected') ? true : undefined,
    );
    expect(again.hub.settings().settings.theme).toBe('dark');
    // Removed: disconnected, its password forgotten, the rest keeps running.
    await call(again.api, 'removeConnection', { id: 'second' });
    expect(again.hub.connectionStatuses().map((s) => s.id)).toEqual(['plant']);
    expect(secrets.get('c.second')).toBeUndefined();
    await again.hub.stop();
  });
});
