import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttConnectionConfig } from '../../electron/core/config/config-schema.ts';
import { ConfigError, loadConfigFile, parseConfig, resolvePassword } from '../../electron/core/config/load-config.ts';

/** A connection that passes validation; tests override single fields. */
function connection(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'home', url: 'mqtt://broker.local:1883', subscriptions: [{ topic: 'alerts/#', channel: 'Alerts' }], ...overrides };
}

/** Runs parseConfig and returns the ConfigError it threw; fails the test when it did not throw one. */
function problemsOf(value: unknown): readonly string[] {
  try {
    parseConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('parseConfig accepted the configuration');
}

function thrownBy(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('no ConfigError was thrown');
}

function onlyConnection(overrides: Record<string, unknown> = {}): MqttConnectionConfig {
  const [first, ...rest] = parseConfig({ connections: [connection(overrides)] }).connections;
  if (first?.kind !== 'mqtt' || rest.length > 0) throw new Error('expected exactly one MQTT connection');
  return first;
}

describe('parseConfig', () => {
  it('accepts a minimal configuration and fills the defaults', () => {
    const config = parseConfig({ connections: [connection()] });
    expect(config).toEqual({
      heartbeat: {
        acIntervalSec: 30,
        acTimeoutSec: 14,
        adaptiveOnBattery: true,
        batteryMaxSec: 240,
        batteryMinSec: 120,
        batteryTimeoutSec: 30,
        lowBatteryMinSec: 300,
        probeTimeoutSec: 4,
        startDelayMaxSec: 0,
      },
      connections: [
        {
          id: 'home',
          kind: 'mqtt',
          url: 'mqtt://broker.local:1883',
          protocolVersion: 5,
          sessionExpirySec: 7 * 24 * 3600,
          reconnect: { baseMs: 1000, capMs: 60_000 },
          keepaliveSec: 60,
          maxPayloadBytes: 256 * 1024,
          subscriptions: [{ topic: 'alerts/#', qos: 1, channel: 'Alerts', kind: 'notification', critical: false }],
        },
      ],
      notifications: {
        channels: {},
        quietHours: { enabled: false, windows: [], urgentBypass: true },
        filters: [],
        storm: { enabled: true, channelBurst: 5, channelPerMinute: 10, globalBurst: 10, globalPerMinute: 30, stormEndSec: 60 },
        digest: { enabled: true, minMessages: 3 },
        critical: { defaultRepeatSec: 60 },
        sound: true,
      },
      store: {
        fullTextSearch: true,
        retention: { maxAgeDays: 365, channels: {} },
        data: { samplesPerTopic: 600, maxAgeMinutes: 60 },
      },
    });
    expect(config.deviceId).toBeUndefined();
  });

  it('fills the receipt QoS default of 1 and allows every status by default', () => {
    const config = parseConfig({ connections: [connection({ receipts: { topic: 'receipts/{device}' } })] });
    expect(config.connections[0]?.receipts).toEqual({
      topic: 'receipts/{device}',
      qos: 1,
      statuses: ['delivered', 'displayed', 'read', 'acknowledged', 'action'],
    });
  });

  it('names an unknown receipt status and a repeated one', () => {
    expect(() => parseConfig({ connections: [connection({ receipts: { topic: 'r', statuses: ['read', 'seen'] } })] })).toThrow(
      /connections\[0\]\.receipts\.statuses\[1\]: must be one of delivered, displayed, read, acknowledged, action/,
    );
    expect(() => parseConfig({ connections: [connection({ receipts: { topic: 'r', statuses: ['read', 'read'] } })] })).toThrow(
      /each status may appear only once/,
    );
  });

  it('names a retention rule of the wrong type, by channel', () => {
    expect(() => parseConfig({ connections: [connection()], store: { retention: { channels: { Builds: { maxCount: 0 } } } } })).toThrow(
      /store\.retention\.channels\.Builds\.maxCount: /,
    );
  });

  it('keeps explicit values over the defaults', () => {
    const config = parseConfig({
      deviceId: 'desk-1',
      connections: [connection({ keepaliveSec: 15, subscriptions: [{ topic: 'a', qos: 0, channel: 'A' }] })],
    });
    expect(config.deviceId).toBe('desk-1');
    const first = config.connections[0];
    if (first?.kind !== 'mqtt') throw new Error('expected an MQTT connection');
    expect(first.keepaliveSec).toBe(15);
    expect(first.subscriptions[0]?.qos).toBe(0);
  });

  it.each(['mqtt://h', 'mqtts://h:8883', 'ws://h/mqtt', 'wss://h/mqtt'])('accepts the broker URL %s', (url) => {
    expect(parseConfig({ connections: [connection({ url })] }).connections[0]?.url).toBe(url);
  });

  it('names the field path of a bad URL like connections[0].url', () => {
    expect(problemsOf({ connections: [connection({ url: 'http://broker' })] })).toEqual([
      'connections[0].url: must be a URL starting with mqtt://, mqtts://, ws:// or wss://',
    ]);
  });

  it('names the index of the offending connection and subscription', () => {
    const problems = problemsOf({
      connections: [connection(), connection({ id: 'work', subscriptions: [{ topic: 'a', channel: 'A' }, { topic: '', channel: 'B' }] })],
    });
    expect(problems).toEqual(['connections[1].subscriptions[1].topic: must be a non-empty MQTT topic filter']);
  });

  it('reports every problem, not just the first', () => {
    const problems = problemsOf({ deviceId: 'bad id', connections: [connection({ url: 'nope', keepaliveSec: -1 })] });
    expect(problems).toHaveLength(3);
    expect(problems.some((p) => p.startsWith('deviceId: '))).toBe(true);
    expect(problems.some((p) => p.startsWith('connections[0].url: '))).toBe(true);
    expect(problems.some((p) => p.startsWith('connections[0].keepaliveSec: '))).toBe(true);
  });

  it('names unknown keys at the top level', () => {
    expect(problemsOf({ connections: [connection()], conections: [] })).toEqual(['(top level): unknown field(s) "conections"']);
  });

  it('names unknown keys inside a connection, with the connection path', () => {
    expect(problemsOf({ connections: [connection({ host: 'x', port: 1 })] })).toEqual([
      'connections[0]: unknown field(s) "host", "port"',
    ]);
  });

  it('names unknown keys inside a subscription', () => {
    expect(problemsOf({ connections: [connection({ subscriptions: [{ topic: 't', channel: 'c', retain: true }] })] })).toEqual([
      'connections[0].subscriptions[0]: unknown field(s) "retain"',
    ]);
  });

  it('rejects duplicate connection ids', () => {
    expect(problemsOf({ connections: [connection(), connection()] })).toEqual(['connections: connection ids must be unique']);
  });

  it('rejects a configuration without connections', () => {
    expect(problemsOf({ connections: [] })).toEqual(['connections: needs at least one connection']);
    expect(problemsOf({}).some((p) => p.startsWith('connections: '))).toBe(true);
  });

  it('rejects a connection without subscriptions', () => {
    expect(problemsOf({ connections: [connection({ subscriptions: [] })] })).toEqual([
      'connections[0].subscriptions: needs at least one subscription',
    ]);
  });

  it('rejects a non-object configuration at the top level', () => {
    expect(problemsOf(null).every((p) => p.startsWith('(top level): '))).toBe(true);
    expect(problemsOf([]).every((p) => p.startsWith('(top level): '))).toBe(true);
  });

  it.each([
    ['password and passwordFile', { password: 'p', passwordFile: '/run/secret' }],
    ['password and passwordEnv', { password: 'p', passwordEnv: 'MQTT_PASSWORD' }],
    ['passwordFile and passwordEnv', { passwordFile: '/run/secret', passwordEnv: 'MQTT_PASSWORD' }],
    ['all three', { password: 'p', passwordFile: '/run/secret', passwordEnv: 'MQTT_PASSWORD' }],
  ])('rejects %s together', (_label, fields) => {
    expect(problemsOf({ connections: [connection(fields)] })).toEqual([
      'connections[0].password: give at most one of password, passwordFile, passwordEnv and passwordSecret',
    ]);
  });

  it.each([{ password: 'p' }, { passwordFile: '/run/secret' }, { passwordEnv: 'MQTT_PASSWORD' }])('accepts one password source %j', (fields) => {
    expect(() => parseConfig({ connections: [connection(fields)] })).not.toThrow();
  });

  it.each(['receipts/+/x', 'receipts/#'])('rejects the wildcard receipt topic %s', (topic) => {
    expect(problemsOf({ connections: [connection({ receipts: { topic } })] })).toEqual([
      'connections[0].receipts.topic: must not contain the wildcards + or #',
    ]);
  });

  it.each(['', '-leading-dash', 'has space', 'x'.repeat(65)])('rejects the connection id %j', (id) => {
    expect(problemsOf({ connections: [connection({ id })] })).toEqual([
      'connections[0].id: must be 1 to 64 letters, digits, dot, dash or underscore',
    ]);
  });

  it.each([3, -1, '1'])('rejects the subscription qos %j', (qos) => {
    const problems = problemsOf({ connections: [connection({ subscriptions: [{ topic: 't', channel: 'c', qos }] })] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^connections\[0\]\.subscriptions\[0\]\.qos: /);
  });

  it('puts the source and each problem in the error message', () => {
    const error = thrownBy(() => parseConfig({ connections: [connection({ url: 'x' })] }, 'my-config.json'));
    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe(
      'invalid configuration in my-config.json:\n  - connections[0].url: must be a URL starting with mqtt://, mqtts://, ws:// or wss://',
    );
  });
});

describe('loadConfigFile and resolvePassword (files)', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-config-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads and validates a JSON file', () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify({ deviceId: 'desk', connections: [connection()] }));
    const config = loadConfigFile(path);
    expect(config.deviceId).toBe('desk');
    expect(config.connections[0]).toMatchObject({ kind: 'mqtt', keepaliveSec: 60 });
  });

  it('reports a missing file with its path and the error code', () => {
    const path = join(dir, 'missing.json');
    const error = thrownBy(() => loadConfigFile(path));
    expect(error.problems).toEqual(['cannot read the file: ENOENT']);
    expect(error.message).toContain(`invalid configuration in ${path}:`);
  });

  it('reports a file that is not JSON', () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, '{ "connections": [ }');
    const error = thrownBy(() => loadConfigFile(path));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^not valid JSON: /);
    expect(error.message).toContain(path);
  });

  it('names the file and the field when the JSON does not match the schema', () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify({ connections: [connection({ url: 'tcp://x' })] }));
    const error = thrownBy(() => loadConfigFile(path));
    expect(error.message).toContain(`invalid configuration in ${path}:`);
    expect(error.problems[0]).toMatch(/^connections\[0\]\.url: /);
  });

  it('reads the password from passwordFile without the final line break', () => {
    const file = join(dir, 'secret');
    writeFileSync(file, 's3cret pass\n');
    expect(resolvePassword(onlyConnection({ passwordFile: file }), {})).toBe('s3cret pass');
  });

  it('removes a final CR LF from passwordFile but keeps inner and further line breaks', () => {
    const file = join(dir, 'secret');
    writeFileSync(file, 'line1\nline2\r\n');
    expect(resolvePassword(onlyConnection({ passwordFile: file }), {})).toBe('line1\nline2');
  });

  it('reports an unreadable passwordFile, naming the connection, file and code', () => {
    const file = join(dir, 'no-such-secret');
    const error = thrownBy(() => resolvePassword(onlyConnection({ passwordFile: file }), {}));
    expect(error.problems).toEqual([`passwordFile: cannot read ${file}: ENOENT`]);
    expect(error.message).toContain('connection "home"');
  });
});

describe('resolvePassword (inline and environment)', () => {
  it('returns the inline password', () => {
    expect(resolvePassword(onlyConnection({ password: 'inline' }), {})).toBe('inline');
  });

  it('reads the password from the named environment variable', () => {
    expect(resolvePassword(onlyConnection({ passwordEnv: 'MQTT_PASS' }), { MQTT_PASS: 'from-env' })).toBe('from-env');
  });

  it('returns an empty environment variable as an empty password rather than failing', () => {
    expect(resolvePassword(onlyConnection({ passwordEnv: 'MQTT_PASS' }), { MQTT_PASS: '' })).toBe('');
  });

  it('reports an unset environment variable, naming it and the connection', () => {
    const error = thrownBy(() => resolvePassword(onlyConnection({ passwordEnv: 'MQTT_PASS' }), { OTHER: 'x' }));
    expect(error.problems).toEqual(['passwordEnv: the environment variable MQTT_PASS is not set']);
    expect(error.message).toContain('connection "home"');
  });

  it('returns undefined when no password is configured', () => {
    expect(resolvePassword(onlyConnection(), { MQTT_PASS: 'ignored' })).toBeUndefined();
  });
});

describe('loadConfigFile and relative password files', () => {
  it('reads a relative passwordFile from the configuration file’s folder, wherever the process runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushdesk-relpw-'));
    try {
      writeFileSync(join(dir, 'secret.txt'), 's3cret\n');
      writeFileSync(
        join(dir, 'config.json'),
        JSON.stringify({ connections: [{ id: 'c', url: 'mqtt://h', passwordFile: 'secret.txt', subscriptions: [{ topic: 't', channel: 'T' }] }] }),
      );
      const config = loadConfigFile(join(dir, 'config.json'));
      const connection = config.connections[0];
      expect(connection?.passwordFile).toBe(join(dir, 'secret.txt'));
      expect(resolvePassword(connection as NonNullable<typeof connection>, {})).toBe('s3cret');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseConfig: subscriptions', () => {
  it('refuses the same topic filter twice in one connection', () => {
    const problems = problemsOf({
      connections: [connection({ subscriptions: [{ topic: 'a/#', channel: 'A' }, { topic: 'a/#', qos: 0, channel: 'B' }] })],
    });
    expect(problems).toContain('connections[0].subscriptions: each topic filter may appear only once');
  });
});

describe('parseConfig with ntfy connections', () => {
  const ntfy = (extra: Record<string, unknown> = {}) => ({
    id: 'push',
    kind: 'ntfy',
    url: 'https://ntfy.example.com',
    subscriptions: [{ topic: 'alerts', channel: 'Alerts' }],
    ...extra,
  });

  it('accepts an ntfy connection beside an MQTT one and fills its defaults', () => {
    const config = parseConfig({ connections: [connection(), ntfy()] });
    expect(config.connections[1]).toEqual({
      ...ntfy(),
      subscriptions: [{ topic: 'alerts', channel: 'Alerts', critical: false }],
      transport: 'auto',
      keepaliveTimeoutSec: 110,
      maxPayloadBytes: 256 * 1024,
      reconnect: { baseMs: 1000, capMs: 60_000 },
    });
  });

  it('names the field when an ntfy URL is not http(s) or a topic is not an ntfy topic', () => {
    const problems = problemsOf({ connections: [ntfy({ url: 'mqtt://x', subscriptions: [{ topic: 'a/b', channel: 'A' }] })] });
    expect(problems).toContain('connections[0].url: must be the server address, starting with https:// (or http://)');
    expect(problems).toContain('connections[0].subscriptions[0].topic: must be an ntfy topic: 1 to 64 letters, digits, - or _');
  });

  it('rejects an unknown kind, saying which kinds exist', () => {
    const problems = problemsOf({ connections: [ntfy({ kind: 'gotify' })] });
    expect(problems.join('\n')).toMatch(/connections\[0\]\.kind: kind must be "mqtt" or "ntfy"/);
  });
});
