import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { applyPolicy, defaultPolicyPath, isLocked, loadConfigWithPolicy, loadPolicy, policySchema } from '../../electron/core/config/policy.ts';

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
    [{ lock: ['connections'] }, 'lock[0]: must name a setting'],
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
