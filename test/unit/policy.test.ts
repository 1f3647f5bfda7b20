import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { applyPolicy, defaultPolicyPath, isLocked, loadConfigWithPolicy, loadPolicy, NO_POLICY, parsePolicy, policySchema } from '../../electron/core/config/policy.ts';

const connections = [{ id: 'c', url: 'mqtt://127.0.0.1:1', subscriptions: [{ topic: 't', channel: 'T' }] }];

describe('applyPolicy', () => {
  it('fills what the configuration leaves out with unlocked policy values, and keeps what it says', () => {
    const policy = policySchema.parse({ heartbeat: { acIntervalSec: 20, batteryMaxSec: 200 } });
    const { raw, overridden } = applyPolicy({ connections, heartbeat: { acIntervalSec: 45 } }, policy);
    const config = parseConfig(raw);
    expect(config.heartbeat.acIntervalSec).toBe(45);
    expect(config.heartbeat.batteryMaxSec).toBe(200);
    expect(overridden).toEqual([]);
  });

  it('makes a locked value win over the configuration and says which value it replaced', () => {
    const policy = policySchema.parse({ heartbeat: { acIntervalSec: 20 }, lock: ['heartbeat.acIntervalSec'] });
    const { raw, overridden } = applyPolicy({ connections, heartbeat: { acIntervalSec: 45, batteryMinSec: 150 } }, policy);
    const config = parseConfig(raw);
    expect(config.heartbeat.acIntervalSec).toBe(20);
    expect(config.heartbeat.batteryMinSec).toBe(150);
    expect(overridden).toEqual([{ path: 'heartbeat.acIntervalSec', configured: 45, policy: 20 }]);
  });

  it('locks a whole section, and a setting the policy gives no value for keeps its built-in default', () => {
    const policy = policySchema.parse({ heartbeat: { acIntervalSec: 25 }, lock: ['heartbeat', 'store.retention.maxAgeDays'] });
    const input = { connections, heartbeat: { acIntervalSec: 45, batteryMinSec: 150 }, store: { retention: { maxAgeDays: 3000, maxCount: 10 } } };
    const { raw, overridden } = applyPolicy(input, policy);
    const config = parseConfig(raw);
    expect(config.heartbeat.acIntervalSec).toBe(25);
    expect(config.heartbeat.batteryMinSec).toBe(120);
    expect(config.store.retention.maxAgeDays).toBe(365);
    expect(config.store.retention.maxCount).toBe(10);
    expect(overridden.map((o) => o.path).sort()).toEqual(['heartbeat', 'store.retention.maxAgeDays']);
    // The configuration object itself is left as it was.
    expect(input.store.retention.maxAgeDays).toBe(3000);
  });
});

describe('policySchema', () => {
  it.each([
    [{ heartbeat: { acIntervalSec: 1 } }, 'heartbeat.acIntervalSec'],
    [{ heartbeat: { pingEverySec: 10 } }, 'heartbeat: unknown field(s) "pingEverySec"'],
    [{ lock: ['connection'] }, 'lock[0]: must name a setting'],
    [{ lock: ['readReceipts.x'] }, 'lock[0]: must name a setting'],
    [{ readReceipts: 'no' }, 'readReceipts: '],
    [{ language: 'fr' }, 'language: must be "system", "en" or "zh-CN"'],
    [{ connections: [{ id: 'p', url: 'mqtt://b:1883', password: 'hunter2', subscriptions: [{ topic: 't', channel: 'T' }] }] }, 'connections[0].password: a policy must not hold passwords: use passwordSecret'],
    [{ connections: [{ id: 'p', url: 'mqtt://u:hunter2@b:1883', subscriptions: [{ topic: 't', channel: 'T' }] }] }, 'connections[0].url: a policy must not hold passwords'],
    [{ connections: [{ id: 'p', url: 'http://b', subscriptions: [{ topic: 't', channel: 'T' }] }] }, 'connections[0].url: must be a URL starting with mqtt://'],
    [{ connections: [{ id: 'p', url: 'mqtt://b', subscriptions: [] }] }, 'connections[0].subscriptions: needs at least one subscription'],
    [{ connections: [{ id: 'p', url: 'mqtt://b', passwordFile: 'secret.txt', subscriptions: [{ topic: 't', channel: 'T' }] }] }, 'connections[0].passwordFile: must be an absolute file name in a policy'],
    [{ connections: [{ id: 'p', url: 'mqtt://b', tls: { caFile: 'ca.pem' }, subscriptions: [{ topic: 't', channel: 'T' }] }] }, 'connections[0].tls.caFile: must be an absolute file name'],
    [{ connections: [{ id: 'p', url: 'mqtt://b', colour: 1, subscriptions: [{ topic: 't', channel: 'T' }] }] }, 'connections[0]: unknown field(s) "colour"'],
    [
      { connections: [{ id: 'p', url: 'mqtt://b', subscriptions: [{ topic: 't', channel: 'T' }] }, { id: 'p', url: 'mqtt://c', subscriptions: [{ topic: 't', channel: 'T' }] }] },
      'connections[1].id: the connection id "p" appears twice in the policy',
    ],
    [{ connections: ['mqtt://b'] }, 'connections[0]'],
    [{ mandatoryChannels: [{ connectionId: 'c', topic: 't' }] }, 'mandatoryChannels[0].channel'],
    [{ mandatoryChannels: [{ connectionId: 'c', topic: 't', channel: 'T', qos: 3 }] }, 'mandatoryChannels[0].qos: must be 0, 1 or 2'],
    [
      { mandatoryChannels: [{ connectionId: 'c', topic: 't', channel: 'T' }, { connectionId: 'c', topic: 't', channel: 'U' }] },
      'mandatoryChannels[1].topic: the topic "t" of connection "c" appears twice',
    ],
    [{ channels: [{ connectionId: 'c', topic: 't', channel: 'T', colour: 'red' }] }, 'channels[0]: unknown field(s) "colour"'],
    [{ lock: ['heartbeat..x'] }, 'lock[0]'],
    [{ notifications: { quietHours: { windows: [{ days: ['mon'], start: '25:00', end: '07:00' }] } } }, 'notifications.quietHours.windows[0].start'],
    [{ updates: { channel: 'Beta!' } }, 'updates.channel: must be a channel name'],
    [{ updates: { url: 'ftp://updates.example' } }, 'updates.url: must be the update server address'],
    [{ colour: 'red' }, 'unknown field(s) "colour"'],
  ])('refuses %j, naming the field', (value, field) => {
    const dir = mkdtempSync(join(tmpdir(), 'pushdesk-policy-'));
    try {
      writeFileSync(join(dir, 'policy.json'), JSON.stringify(value));
      const { policy, error } = loadPolicy(join(dir, 'policy.json'), true);
      expect(policy).toBeUndefined();
      expect(error).toContain(field);
      expect(error).toContain(join(dir, 'policy.json'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loadConfigWithPolicy', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-policy-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ connections, heartbeat: { acIntervalSec: 45 } }));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('applies a valid policy and reports the locks and the overridden values', () => {
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ heartbeat: { acIntervalSec: 15 }, lock: ['heartbeat'] }));
    const { config, policy } = loadConfigWithPolicy(join(dir, 'config.json'), join(dir, 'policy.json'), false);
    expect(config.heartbeat.acIntervalSec).toBe(15);
    expect(policy).toEqual({
      source: join(dir, 'policy.json'),
      locked: ['heartbeat'],
      overridden: [{ path: 'heartbeat', configured: { acIntervalSec: 45 }, policy: { acIntervalSec: 15 } }],
      error: undefined,
      provisionedConnections: [],
      mandatory: [],
      offered: [],
    });
  });

  it('starts with the configuration alone when the policy is invalid, and says why', () => {
    writeFileSync(join(dir, 'policy.json'), '{"heartbeat": {"acIntervalSec": "fast"}}');
    const { config, policy } = loadConfigWithPolicy(join(dir, 'config.json'), join(dir, 'policy.json'), false);
    expect(config.heartbeat.acIntervalSec).toBe(45);
    expect(policy.source).toBeUndefined();
    expect(policy.error).toMatch(/policy\.json: heartbeat\.acIntervalSec: /);
  });

  it('treats a missing policy file as no policy, unless it was asked for', () => {
    expect(loadConfigWithPolicy(join(dir, 'config.json'), join(dir, 'none.json'), false).policy.error).toBeUndefined();
    expect(loadConfigWithPolicy(join(dir, 'config.json'), join(dir, 'none.json'), true).policy.error).toBe(
      `${join(dir, 'none.json')}: the policy file does not exist`,
    );
  });

  it('carries the update server, channel and start-at-login default to the shells', () => {
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ updates: { url: 'https://updates.example/pushdesk', channel: 'beta' }, startAtLogin: true, lock: ['startAtLogin', 'updates'] }));
    const { policy } = loadConfigWithPolicy(join(dir, 'config.json'), join(dir, 'policy.json'), true);
    expect(policy).toMatchObject({
      updates: { enabled: true, url: 'https://updates.example/pushdesk', channel: 'beta' },
      startAtLogin: true,
      locked: ['startAtLogin', 'updates'],
      error: undefined,
    });
  });

  it('reads each platform\u2019s system location', () => {
    expect(defaultPolicyPath('linux')).toBe('/etc/pushdesk/policy.json');
    expect(defaultPolicyPath('darwin')).toBe('/Library/Application Support/Pushdesk/policy.json');
    expect(defaultPolicyPath('win32', { ProgramData: 'D:\\PD' })).toBe(join('D:\\PD', 'Pushdesk', 'policy.json'));
  });
});

describe('the policy on urgent messages in quiet hours', () => {
  it('is passed to the notification rules as the policy decides, over the person\u2019s setting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushdesk-policy-'));
    try {
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ connections, notifications: { quietHours: { urgentBypass: true } } }));
      writeFileSync(join(dir, 'policy.json'), JSON.stringify({ urgentBypassesQuietHours: false }));
      const { policy } = loadConfigWithPolicy(join(dir, 'config.json'), join(dir, 'policy.json'), true);
      expect(policy.notifications).toEqual({ urgentBypassesQuietHours: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('isLocked', () => {
  it('is true for a locked setting and everything under a locked section or object, and nothing else', () => {
    const locks = ['notifications.quietHours', 'startAtLogin'];
    expect(isLocked(locks, 'notifications.quietHours')).toBe(true);
    expect(isLocked(locks, 'notifications.quietHours.enabled')).toBe(true);
    expect(isLocked(locks, 'notifications')).toBe(false);
    expect(isLocked(locks, 'notifications.storm.enabled')).toBe(false);
    expect(isLocked(locks, 'notifications.quietHoursX')).toBe(false);
    expect(isLocked(locks, 'startAtLogin')).toBe(true);
    expect(isLocked(['notifications'], 'notifications.quietHours.enabled')).toBe(true);
  });
});

describe('provisioning from the policy', () => {
  let dir: string;
  const configPath = (): string => join(dir, 'config.json');
  const policyPath = (): string => join(dir, 'policy.json');
  const write = (config: unknown, policy: unknown): void => {
    writeFileSync(configPath(), JSON.stringify(config));
    writeFileSync(policyPath(), JSON.stringify(policy));
  };
  const corp = {
    id: 'corp',
    url: 'mqtts://mqtt.corp.example:8883',
    username: 'desk',
    passwordSecret: 'corp-mqtt',
    subscriptions: [{ topic: 'corp/announcements', channel: 'Announcements' }],
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-policy-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds the policy\u2019s connections to the configuration\u2019s and lists them as provisioned', () => {
    write({ connections }, { connections: [corp] });
    const { config, policy } = loadConfigWithPolicy(configPath(), policyPath(), true);
    expect(config.connections.map((c) => c.id)).toEqual(['c', 'corp']);
    expect(config.connections[1]).toMatchObject({ kind: 'mqtt', passwordSecret: 'corp-mqtt', subscriptions: [{ topic: 'corp/announcements', qos: 1 }] });
    expect(policy.provisionedConnections).toEqual(['corp']);
    expect(policy.error).toBeUndefined();
  });

  it('replaces the configuration\u2019s connection with the same id, and says so without its values', () => {
    write({ connections: [{ id: 'corp', url: 'mqtt://u:hunter2@old:1883', subscriptions: [{ topic: 'x', channel: 'X' }] }, ...connections] }, { connections: [corp] });
    const { config, policy } = loadConfigWithPolicy(configPath(), policyPath(), true);
    expect(config.connections.map((c) => [c.id, c.url])).toEqual([
      ['corp', 'mqtts://mqtt.corp.example:8883'],
      ['c', 'mqtt://127.0.0.1:1'],
    ]);
    expect(policy.overridden).toEqual([{ path: 'connections.corp', configured: 'the connection in the configuration file', policy: 'the connection of the policy' }]);
    expect(JSON.stringify(policy)).not.toContain('hunter2');
  });

  it('lets a configuration without connections of its own run on the policy\u2019s', () => {
    write({ connections: [] }, { connections: [corp] });
    expect(loadConfigWithPolicy(configPath(), policyPath(), true).config.connections.map((c) => c.id)).toEqual(['corp']);
  });

  it('adds mandatory channels to their connection (replacing a subscription to the same topic) and lists them', () => {
    write(
      { connections: [{ id: 'c', url: 'mqtt://127.0.0.1:1', subscriptions: [{ topic: 't', channel: 'T', receipts: ['read'] }] }] },
      {
        connections: [corp],
        mandatoryChannels: [
          { connectionId: 'c', topic: 't', channel: 'Site alarms', qos: 2, critical: true },
          { connectionId: 'c', topic: 'plant/#', channel: 'Plant', kind: 'data' },
          { connectionId: 'corp', topic: 'corp/security', channel: 'Security' },
        ],
      },
    );
    const { config, policy } = loadConfigWithPolicy(configPath(), policyPath(), true);
    const c = config.connections.find((x) => x.id === 'c');
    expect(c?.subscriptions).toEqual([
      { topic: 't', channel: 'Site alarms', qos: 2, kind: 'notification', critical: true, receipts: ['read'] },
      { topic: 'plant/#', channel: 'Plant', qos: 1, kind: 'data', critical: false },
    ]);
    expect(config.connections.find((x) => x.id === 'corp')?.subscriptions.map((s) => s.topic)).toEqual(['corp/announcements', 'corp/security']);
    expect(policy.mandatory).toEqual([
      { connectionId: 'c', topic: 't' },
      { connectionId: 'c', topic: 'plant/#' },
      { connectionId: 'corp', topic: 'corp/security' },
    ]);
  });

  it('adds mandatory channels to an ntfy connection without MQTT fields', () => {
    write({ connections: [{ id: 'n', kind: 'ntfy', url: 'https://ntfy.example', subscriptions: [{ topic: 'ops', channel: 'Ops' }] }] }, { mandatoryChannels: [{ connectionId: 'n', topic: 'alerts', channel: 'Alerts', critical: true }] });
    const { config } = loadConfigWithPolicy(configPath(), policyPath(), true);
    expect(config.connections[0]?.subscriptions).toEqual([
      { topic: 'ops', channel: 'Ops', critical: false },
      { topic: 'alerts', channel: 'Alerts', critical: true },
    ]);
  });

  it('offers the policy\u2019s channel directory, and carries readReceipts, language and theme', () => {
    write({ connections }, { channels: [{ connectionId: 'c', topic: 'news/#', channel: 'News', description: 'Company news' }, { connectionId: 'c', topic: 'lunch', channel: 'Lunch' }], readReceipts: false, language: 'zh-CN', theme: 'dark', lock: ['readReceipts', 'connections', 'language'] });
    const { config, policy } = loadConfigWithPolicy(configPath(), policyPath(), true);
    expect(config.connections[0]?.subscriptions.map((s) => s.topic)).toEqual(['t']);
    expect(policy).toMatchObject({
      offered: [
        { connectionId: 'c', topic: 'news/#', channel: 'News', description: 'Company news', kind: 'notification' },
        { connectionId: 'c', topic: 'lunch', channel: 'Lunch', description: null, kind: 'notification' },
      ],
      readReceipts: false,
      language: 'zh-CN',
      theme: 'dark',
      locked: ['readReceipts', 'connections', 'language'],
      error: undefined,
    });
  });

  it('never takes the configuration\u2019s connections away for a lock on connections', () => {
    write({ connections }, { lock: ['connections', 'readReceipts', 'startAtLogin', 'theme'] });
    const { config, policy } = loadConfigWithPolicy(configPath(), policyPath(), true);
    expect(config.connections.map((c) => c.id)).toEqual(['c']);
    expect(policy.overridden).toEqual([]);
  });

  it.each([
    [{ mandatoryChannels: [{ connectionId: 'nowhere', topic: 't', channel: 'T' }] }, 'mandatoryChannels[0].connectionId: no connection "nowhere" in the policy or the configuration'],
    [{ channels: [{ connectionId: 'nowhere', topic: 't', channel: 'T' }] }, 'channels[0].connectionId: no connection "nowhere" in the policy or the configuration'],
    [{ mandatoryChannels: [{ connectionId: 'n', topic: 'a', channel: 'A', qos: 1 }] }, 'mandatoryChannels[0].qos: connection "n" is an ntfy connection'],
    [{ mandatoryChannels: [{ connectionId: 'n', topic: 'a', channel: 'A', kind: 'data' }] }, 'mandatoryChannels[0].kind: connection "n" is an ntfy connection'],
  ])('does not apply a policy whose channels name what is not there (%j), and names the field', (policyValue, message) => {
    write(
      { connections: [...connections, { id: 'n', kind: 'ntfy', url: 'https://ntfy.example', subscriptions: [{ topic: 'ops', channel: 'Ops' }] }], heartbeat: { acIntervalSec: 45 } },
      { ...policyValue, heartbeat: { acIntervalSec: 15 }, lock: ['heartbeat'] },
    );
    const { config, policy } = loadConfigWithPolicy(configPath(), policyPath(), true);
    // Nothing of it applies: not the lock, not the heartbeat, not the channels.
    expect(config.heartbeat.acIntervalSec).toBe(45);
    expect(config.connections.map((c) => c.subscriptions.length)).toEqual([1, 1]);
    expect(policy.locked).toEqual([]);
    expect(policy.source).toBeUndefined();
    expect(policy.error).toContain(`${policyPath()}: `);
    expect(policy.error).toContain(message);
  });

  it('does not apply a policy holding a password, and the error names the field but not the password', () => {
    write({ connections }, { connections: [{ ...corp, passwordSecret: undefined, password: 'hunter2' }], lock: ['heartbeat'] });
    const { config, policy } = loadConfigWithPolicy(configPath(), policyPath(), true);
    expect(config.connections.map((c) => c.id)).toEqual(['c']);
    expect(policy.locked).toEqual([]);
    expect(policy.error).toBe(`${policyPath()}: connections[0].password: a policy must not hold passwords: use passwordSecret, passwordEnv or passwordFile (a reference to the secret)`);
  });
});

describe('loadConfigWithPolicy with a managed policy (registry, managed preferences)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-policy-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ connections, heartbeat: { acIntervalSec: 45 } }));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ heartbeat: { acIntervalSec: 99 }, lock: ['heartbeat'] }));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes it over the policy file, naming its source', () => {
    const managed = { raw: { heartbeat: { acIntervalSec: 15 }, lock: ['heartbeat.acIntervalSec'] }, source: 'registry HKLM\\Software\\Policies\\Pushdesk' };
    const { config, policy } = loadConfigWithPolicy(join(dir, 'config.json'), join(dir, 'policy.json'), false, managed);
    expect(config.heartbeat.acIntervalSec).toBe(15);
    expect(policy.source).toBe('registry HKLM\\Software\\Policies\\Pushdesk');
    expect(policy.locked).toEqual(['heartbeat.acIntervalSec']);
  });

  it('reports an invalid one with its source and the field, and applies nothing (not the file either)', () => {
    const { config, policy } = loadConfigWithPolicy(join(dir, 'config.json'), join(dir, 'policy.json'), false, { raw: { heartbeat: { acIntervalSec: 'fast' } }, source: 'managed preferences /x.plist' });
    expect(config.heartbeat.acIntervalSec).toBe(45);
    expect(policy.error).toMatch(/^managed preferences \/x\.plist: heartbeat\.acIntervalSec: /);
    expect(policy.source).toBeUndefined();
  });

  it('reports a source that could not be read', () => {
    const { policy } = loadConfigWithPolicy(join(dir, 'config.json'), join(dir, 'policy.json'), false, { raw: undefined, source: 'registry K', error: 'the value Policy is not valid JSON: x' });
    expect(policy).toEqual({ ...NO_POLICY, error: 'registry K: the value Policy is not valid JSON: x' });
  });

  it('falls back to the file when there is none', () => {
    expect(loadConfigWithPolicy(join(dir, 'config.json'), join(dir, 'policy.json'), false, undefined).config.heartbeat.acIntervalSec).toBe(99);
  });
});

describe('parsePolicy', () => {
  it('names the source and every field', () => {
    expect(parsePolicy({ lock: ['nope'], colour: 1 }, 'registry K').error).toMatch(/^registry K: .*lock\[0\]: must name a setting.*unknown field\(s\) "colour"/);
    expect(parsePolicy({ readReceipts: false, lock: ['readReceipts'] }, 'x').policy).toMatchObject({ readReceipts: false, lock: ['readReceipts'] });
  });
});
