import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { settingsSchema, type UiLock } from '../../electron/api/contract.ts';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { loadConfigWithPolicy, NO_POLICY, type PolicyOutcome } from '../../electron/core/config/policy.ts';
import type { LogFields, Logger } from '../../electron/core/logger.ts';
import {
  addOrReplaceConnection,
  applySettingsPatch,
  channelRuleLockedReason,
  channelRuleView,
  connectionLockedReason,
  DEFAULT_USER_SETTINGS,
  effectiveConfig,
  FieldErrors,
  LockedError,
  readReceiptsAllowed,
  removeConnection,
  setChannelRule,
  setSubscribed,
  settingsView,
  uiLocks,
  userSettingsSchema,
  UserSettingsFile,
  type UserSettings,
} from '../../electron/core/settings/user-settings.ts';

function recorder(): Logger & { lines: { level: string; message: string; fields: LogFields | undefined }[] } {
  const lines: { level: string; message: string; fields: LogFields | undefined }[] = [];
  const at = (level: string) => (message: string, fields?: LogFields) => void lines.push({ level, message, fields });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

const user = (value: Record<string, unknown> = {}): UserSettings => userSettingsSchema.parse({ format: 1, ...value });

const baseConfig = parseConfig({
  notifications: {
    channels: { Builds: { minPriority: 3, mutedUntilMs: 5_000 } },
    quietHours: { enabled: true, windows: [{ days: ['mon'], start: '22:00', end: '07:00' }] },
  },
  store: { retention: { maxAgeDays: 365, maxCount: 10_000, maxSizeMb: 500 } },
  connections: [
    { id: 'office', url: 'mqtt://broker.example:1883', subscriptions: [{ topic: 'alerts/#', channel: 'Alerts' }, { topic: 'builds/#', channel: 'Builds' }] },
    { id: 'ops', kind: 'ntfy', url: 'https://ntfy.example', subscriptions: [{ topic: 'ops', channel: 'Ops' }] },
  ],
});

const personal = { id: 'home', url: 'mqtts://home.example:8883', username: 'me', passwordSecret: 'c.home', subscriptions: [{ topic: 'home/#', channel: 'Home' }] };

const policyOf = (over: Partial<PolicyOutcome> = {}): PolicyOutcome => ({ ...NO_POLICY, source: '/etc/pushdesk/policy.json', ...over });
const REASON = 'Set by your organisation (managed policy /etc/pushdesk/policy.json)';

describe('UserSettingsFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-user-settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts with no choice made when there is no file, and writes none until a change', () => {
    const file = UserSettingsFile.open(dir, recorder());
    expect(file.get()).toEqual({ format: 1, notifications: {} });
    expect(file.movedAside).toBeUndefined();
    expect(existsSync(join(dir, 'user-settings.json'))).toBe(false);
  });

  it('writes each change atomically, owner-only, and reads it back at the next start', () => {
    const file = UserSettingsFile.open(dir, recorder());
    const next = file.update((s) => applySettingsPatch(s, { theme: 'dark', notifications: { sound: false } }, []));
    expect(next).toMatchObject({ theme: 'dark', notifications: { sound: false } });
    const path = join(dir, 'user-settings.json');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ format: 1, notifications: { sound: false }, theme: 'dark' });
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    // No temporary file stays behind.
    expect(readdirSync(dir)).toEqual(['user-settings.json']);
    expect(UserSettingsFile.open(dir, recorder()).get()).toEqual(next);
  });

  it('gives frozen settings, so only update changes them', () => {
    const file = UserSettingsFile.open(dir, recorder());
    file.update((s) => ({ ...s, language: 'en' }));
    expect(Object.isFrozen(file.get())).toBe(true);
    expect(Object.isFrozen(file.get().notifications)).toBe(true);
  });

  it('changes nothing, in memory or on disk, when the mutator throws or the result is invalid', () => {
    const file = UserSettingsFile.open(dir, recorder());
    file.update((s) => ({ ...s, language: 'en' }));
    const before = readFileSync(join(dir, 'user-settings.json'), 'utf8');
    expect(() =>
      file.update((s) => applySettingsPatch(s, { theme: 'dark' }, [{ path: 'theme', reason: REASON }])),
    ).toThrow(LockedError);
    expect(() => file.update((s) => ({ ...s, language: 'fr' }) as unknown as UserSettings)).toThrow(FieldErrors);
    expect(file.get().language).toBe('en');
    expect(file.get().theme).toBeUndefined();
    expect(readFileSync(join(dir, 'user-settings.json'), 'utf8')).toBe(before);
  });

  it('refuses a secret value in a connection', () => {
    const file = UserSettingsFile.open(dir, recorder());
    expect(() => file.update((s) => ({ ...s, connections: { added: [{ ...personal, passwordSecret: undefined, password: 'hunter2' }], removed: [] } }) as UserSettings)).toThrow(
      /password: the settings file keeps no secrets/,
    );
    expect(() => file.update((s) => addOrReplaceConnection(s, { ...personal, passwordSecret: undefined, url: 'mqtts://me:hunter2@home.example' }))).toThrow(FieldErrors);
    expect(existsSync(join(dir, 'user-settings.json'))).toBe(false);
  });

  it.each([
    ['not JSON', '{"format": 1,'],
    ['another format', '{"format": 2, "notifications": {}}'],
    ['an unknown field', '{"format": 1, "notifications": {}, "colour": "red"}'],
    ['a wrong value', '{"format": 1, "notifications": {"sound": "loud"}}'],
  ])('moves a file with %s aside, warns, and starts from the defaults', (_what, text) => {
    writeFileSync(join(dir, 'user-settings.json'), text);
    const logger = recorder();
    const file = UserSettingsFile.open(dir, logger, () => Date.parse('2025-06-11T12:00:00.123Z'));
    const aside = join(dir, 'user-settings.invalid-2025-06-11T12-00-00-123Z.json');
    expect(file.get()).toEqual(DEFAULT_USER_SETTINGS);
    expect(file.movedAside).toBe(aside);
    expect(readFileSync(aside, 'utf8')).toBe(text);
    expect(existsSync(join(dir, 'user-settings.json'))).toBe(false);
    expect(logger.lines).toEqual([
      { level: 'warn', message: 'the settings file could not be read; it was moved aside and the defaults apply', fields: { error: expect.any(String), movedTo: aside } },
    ]);
    // And it works from there on.
    file.update((s) => ({ ...s, readReceipts: false }));
    expect(UserSettingsFile.open(dir, recorder()).get().readReceipts).toBe(false);
  });
});

describe('effectiveConfig', () => {
  it('is the configuration itself when the person chose nothing', () => {
    expect(effectiveConfig(baseConfig, DEFAULT_USER_SETTINGS, [])).toEqual(baseConfig);
  });

  it('applies the person\u2019s quiet hours, sound, channel rules, read receipts and retention', () => {
    const choices = user({
      notifications: {
        quietHours: { enabled: false, windows: [{ days: ['sat', 'sun'], start: '00:00', end: '00:00' }], urgentBypass: false },
        sound: false,
        channels: { Builds: { muted: true, mutedUntilMs: null, sound: false }, New: { minPriority: 4 } },
      },
      readReceipts: false,
      retention: { maxAgeDays: null, maxCount: null },
    });
    const effective = effectiveConfig(baseConfig, choices, []);
    expect(effective.notifications.quietHours).toEqual({ enabled: false, windows: [{ days: ['sat', 'sun'], start: '00:00', end: '00:00' }], urgentBypass: false });
    expect(effective.notifications.sound).toBe(false);
    expect(effective.notifications.channels).toEqual({
      Builds: { muted: true, minPriority: 3, sound: false },
      New: { muted: false, minPriority: 4, sound: true },
    });
    expect(effective.store.retention).toEqual({ maxAgeDays: null, maxSizeMb: 500, channels: {} });
    // The configuration given is left as it was.
    expect(baseConfig.notifications.channels.Builds?.mutedUntilMs).toBe(5_000);
  });

  it('keeps what the policy locks, field by field', () => {
    const choices = user({
      notifications: { quietHours: { enabled: false, windows: [], urgentBypass: false }, sound: false, channels: { Builds: { minPriority: 1, sound: false } } },
      readReceipts: true,
      retention: { maxAgeDays: 30, maxCount: 5 },
    });
    const locked = ['notifications.quietHours.enabled', 'notifications.sound', 'notifications.channels.Builds.minPriority', 'store.retention.maxCount', 'readReceipts'];
    const effective = effectiveConfig(baseConfig, choices, locked);
    expect(effective.notifications.quietHours).toEqual({ enabled: true, windows: [], urgentBypass: false });
    expect(effective.notifications.sound).toBe(true);
    expect(effective.notifications.channels.Builds).toMatchObject({ minPriority: 3, sound: false });
    expect(effective.store.retention).toMatchObject({ maxAgeDays: 30, maxCount: 10_000 });
    // A whole section locked: nothing of the person's notifications applies.
    const all = effectiveConfig(baseConfig, choices, ['notifications', 'store']);
    expect(all.notifications).toEqual(baseConfig.notifications);
    expect(all.store).toEqual(baseConfig.store);
  });

  it('leaves read receipts to readReceiptsAllowed: the person\u2019s choice over the policy\u2019s default, the policy\u2019s value when locked', () => {
    expect(readReceiptsAllowed(user(), NO_POLICY)).toBe(true);
    expect(readReceiptsAllowed(user({ readReceipts: false }), NO_POLICY)).toBe(false);
    expect(readReceiptsAllowed(user(), policyOf({ readReceipts: false }))).toBe(false);
    expect(readReceiptsAllowed(user({ readReceipts: true }), policyOf({ readReceipts: false }))).toBe(true);
    expect(readReceiptsAllowed(user({ readReceipts: true }), policyOf({ readReceipts: false, locked: ['readReceipts'] }))).toBe(false);
    // Locked without a value: the built-in default, on.
    expect(readReceiptsAllowed(user({ readReceipts: false }), policyOf({ locked: ['readReceipts'] }))).toBe(true);
  });

  it('adds, edits and removes connections as the person did', () => {
    const choices = user({
      connections: {
        added: [personal, { id: 'office', url: 'mqtt://new-broker.example:1883', subscriptions: [{ topic: 'alerts/#', channel: 'Alerts' }] }],
        removed: ['ops'],
      },
    });
    const effective = effectiveConfig(baseConfig, choices, []);
    expect(effective.connections.map((c) => [c.id, c.url])).toEqual([
      ['office', 'mqtt://new-broker.example:1883'],
      ['home', 'mqtts://home.example:8883'],
    ]);
    expect(effective.connections[1]).toMatchObject({ kind: 'mqtt', passwordSecret: 'c.home', protocolVersion: 5 });
  });

  it('leaves the person\u2019s connections out when connections are locked', () => {
    const choices = user({ connections: { added: [personal], removed: ['ops'] } });
    expect(effectiveConfig(baseConfig, choices, ['connections']).connections.map((c) => c.id)).toEqual(['office', 'ops']);
  });

  it('never removes or replaces a provisioned connection, nor removes one carrying a mandatory channel', () => {
    const warnings: string[] = [];
    const choices = user({ connections: { added: [{ ...personal, id: 'office' }], removed: ['ops'] } });
    const effective = effectiveConfig(baseConfig, choices, [], {
      policy: { provisionedConnections: ['office'], mandatory: [{ connectionId: 'ops', topic: 'ops' }] },
      warn: (message) => warnings.push(message),
    });
    expect(effective.connections.map((c) => [c.id, c.url])).toEqual([
      ['office', 'mqtt://broker.example:1883'],
      ['ops', 'https://ntfy.example'],
    ]);
    expect(warnings).toHaveLength(2);
  });

  it('keeps a mandatory subscription when the person edits its connection', () => {
    const choices = user({ connections: { added: [{ id: 'office', url: 'mqtt://other:1883', subscriptions: [{ topic: 'mine', channel: 'Mine' }] }], removed: [] } });
    const effective = effectiveConfig(baseConfig, choices, [], { policy: { mandatory: [{ connectionId: 'office', topic: 'alerts/#' }] } });
    expect(effective.connections[0]?.url).toBe('mqtt://other:1883');
    expect(effective.connections[0]?.subscriptions.map((s) => s.topic)).toEqual(['mine', 'alerts/#']);
  });

  it('keeps a mandatory subscription as the organisation set it when an edit renames its channel', () => {
    const choices = user({
      connections: { added: [{ id: 'office', url: 'mqtt://broker.example:1883', subscriptions: [{ topic: 'alerts/#', channel: 'Muted by me', qos: 0 }] }], removed: [] },
    });
    const effective = effectiveConfig(baseConfig, choices, [], { policy: { mandatory: [{ connectionId: 'office', topic: 'alerts/#' }] } });
    expect(effective.connections[0]?.subscriptions).toEqual([expect.objectContaining({ topic: 'alerts/#', channel: 'Alerts', qos: 1 })]);
  });

  it('treats a channel called like an object property as any other channel', () => {
    let choices = user();
    for (const name of ['constructor', 'toString']) choices = setChannelRule(choices, name, { muted: true }, 0);
    // "__proto__" could not be a key of the rules: it is refused by name.
    expect(() => setChannelRule(choices, '__proto__', { muted: true }, 0)).toThrow(/cannot be "__proto__"/);
    const effective = effectiveConfig(baseConfig, choices, []);
    for (const name of ['constructor', 'toString']) {
      expect(Object.hasOwn(effective.notifications.channels, name), name).toBe(true);
      expect(channelRuleView(effective, name), name).toEqual({ muted: true, mutedUntilMs: null, minPriority: 1, sound: true });
    }
    expect(channelRuleView(effective, 'hasOwnProperty')).toEqual({ muted: false, mutedUntilMs: null, minPriority: 1, sound: true });
  });

  it('subscribes and unsubscribes per connection, never from a mandatory channel', () => {
    let choices = user();
    choices = setSubscribed(choices, 'office', { topic: 'news/#', channel: 'News', qos: 0 }, true);
    choices = setSubscribed(choices, 'office', { topic: 'sensors/#', channel: 'Sensors', kind: 'data' }, true);
    choices = setSubscribed(choices, 'office', { topic: 'builds/#', channel: 'Builds' }, false);
    choices = setSubscribed(choices, 'office', { topic: 'alerts/#', channel: 'Alerts' }, false);
    choices = setSubscribed(choices, 'ops', { topic: 'deploys', channel: 'Deploys', kind: 'notification', qos: 2 }, true);
    // A connection that is not there: kept, harmless.
    choices = setSubscribed(choices, 'gone', { topic: 'x', channel: 'X' }, true);
    const effective = effectiveConfig(baseConfig, choices, [], { policy: { mandatory: [{ connectionId: 'office', topic: 'alerts/#' }] } });
    expect(effective.connections[0]?.subscriptions).toEqual([
      { topic: 'alerts/#', channel: 'Alerts', qos: 1, kind: 'notification', critical: false },
      { topic: 'news/#', channel: 'News', qos: 0, kind: 'notification', critical: false },
      { topic: 'sensors/#', channel: 'Sensors', qos: 1, kind: 'data', critical: false },
    ]);
    // ntfy subscriptions have no kind or QoS.
    expect(effective.connections[1]?.subscriptions).toEqual([
      { topic: 'ops', channel: 'Ops', critical: false },
      { topic: 'deploys', channel: 'Deploys', critical: false },
    ]);
  });

  it('always returns a valid configuration, leaving out (with a warning) what would break it', () => {
    const warnings: string[] = [];
    const warn = (message: string): void => void warnings.push(message);
    // Every subscription of a connection removed.
    let choices = setSubscribed(user(), 'ops', { topic: 'ops', channel: 'Ops' }, false);
    expect(effectiveConfig(baseConfig, choices, [], { warn }).connections[1]?.subscriptions.map((s) => s.topic)).toEqual(['ops']);
    // An invalid ntfy topic.
    choices = setSubscribed(user(), 'ops', { topic: 'a/b', channel: 'AB' }, true);
    expect(effectiveConfig(baseConfig, choices, [], { warn }).connections[1]?.subscriptions.map((s) => s.topic)).toEqual(['ops']);
    // Every connection removed.
    choices = user({ connections: { added: [], removed: ['office', 'ops'] } });
    expect(effectiveConfig(baseConfig, choices, [], { warn }).connections.map((c) => c.id)).toEqual(['office', 'ops']);
    expect(warnings).toHaveLength(3);
    expect(() => parseConfig(effectiveConfig(baseConfig, choices, []))).not.toThrow();
  });
});

describe('settingsView and the locks', () => {
  it('shows the effective values, valid for the contract, with no locks without a policy', () => {
    const choices = user({ language: 'zh-CN', retention: { maxAgeDays: 90, maxCount: null }, notifications: { sound: false } });
    const effective = effectiveConfig(baseConfig, choices, []);
    const view = settingsView(effective, choices, NO_POLICY, { startAtLogin: null });
    expect(view).toEqual({
      settings: {
        notifications: { quietHours: { enabled: true, windows: [{ days: ['mon'], start: '22:00', end: '07:00' }], urgentBypass: true }, sound: false },
        readReceipts: true,
        language: 'zh-CN',
        theme: 'system',
        startAtLogin: null,
        retention: { maxAgeDays: 90, maxCount: null },
      },
      locks: [],
    });
    expect(() => settingsSchema.parse(view.settings)).not.toThrow();
  });

  it('maps the policy\u2019s locks onto the Settings screen, each naming the policy', () => {
    const policy = policyOf({ locked: ['notifications.quietHours.windows', 'store', 'readReceipts', 'language', 'theme', 'startAtLogin', 'heartbeat'] });
    expect(uiLocks(policy, { startAtLogin: true })).toEqual([
      { path: 'notifications.quietHours', reason: REASON },
      { path: 'readReceipts', reason: REASON },
      { path: 'language', reason: REASON },
      { path: 'theme', reason: REASON },
      { path: 'startAtLogin', reason: REASON },
      { path: 'retention', reason: REASON },
    ]);
    expect(uiLocks(policyOf({ locked: ['notifications'] })).map((l) => l.path)).toEqual(['notifications.quietHours', 'notifications.sound']);
    expect(uiLocks(policyOf({ locked: ['store.retention.maxCount'] })).map((l) => l.path)).toEqual(['retention']);
    // Parts of the store the screen does not show lock nothing there.
    expect(uiLocks(policyOf({ locked: ['store.retention.maxSizeMb', 'store.fullTextSearch', 'notifications.storm'] }))).toEqual([]);
    // startAtLogin is not locked where the shell has none.
    expect(uiLocks(policyOf({ locked: ['startAtLogin'] }), { startAtLogin: null })).toEqual([]);
  });

  it('locks only urgentBypass for the policy\u2019s urgentBypassesQuietHours, and shows its value', () => {
    const policy = policyOf({ notifications: { urgentBypassesQuietHours: false } });
    const view = settingsView(effectiveConfig(baseConfig, user(), []), user(), policy, { startAtLogin: false });
    expect(view.settings.notifications.quietHours.urgentBypass).toBe(false);
    expect(view.locks).toEqual([{ path: 'notifications.quietHours.urgentBypass', reason: REASON }]);
  });

  it('shows the policy\u2019s language and theme: as a default, or, locked, over the person\u2019s', () => {
    const choices = user({ language: 'en', theme: 'light' });
    const effective = effectiveConfig(baseConfig, choices, []);
    expect(settingsView(effective, user(), policyOf({ language: 'zh-CN', theme: 'dark' }), { startAtLogin: true }).settings).toMatchObject({ language: 'zh-CN', theme: 'dark', startAtLogin: true });
    expect(settingsView(effective, choices, policyOf({ language: 'zh-CN', theme: 'dark' }), { startAtLogin: true }).settings).toMatchObject({ language: 'en', theme: 'light' });
    expect(settingsView(effective, choices, policyOf({ language: 'zh-CN', locked: ['language', 'theme'] }), { startAtLogin: true }).settings).toMatchObject({ language: 'zh-CN', theme: 'system' });
  });

  it('works end to end from a policy file: the locked values show, with their locks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushdesk-user-settings-'));
    try {
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ connections: [{ id: 'c', url: 'mqtt://127.0.0.1:1', subscriptions: [{ topic: 't', channel: 'T' }] }] }));
      writeFileSync(join(dir, 'policy.json'), JSON.stringify({ notifications: { sound: false }, readReceipts: false, store: { retention: { maxAgeDays: 30 } }, lock: ['notifications.sound', 'readReceipts', 'store.retention'] }));
      const { config, policy } = loadConfigWithPolicy(join(dir, 'config.json'), join(dir, 'policy.json'), true);
      const choices = user({ notifications: { sound: true }, readReceipts: true, retention: { maxAgeDays: 400, maxCount: 50 } });
      const effective = effectiveConfig(config, choices, policy.locked, { policy });
      const view = settingsView(effective, choices, policy, { startAtLogin: false });
      expect(view.settings).toMatchObject({ notifications: { sound: false }, readReceipts: false, retention: { maxAgeDays: 30, maxCount: null } });
      const reason = `Set by your organisation (managed policy ${join(dir, 'policy.json')})`;
      expect(view.locks).toEqual([
        { path: 'notifications.sound', reason },
        { path: 'readReceipts', reason },
        { path: 'retention', reason },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('applySettingsPatch', () => {
  const locks: UiLock[] = [
    { path: 'notifications.quietHours', reason: REASON },
    { path: 'retention', reason: REASON },
  ];

  it('stores what is not locked', () => {
    const next = applySettingsPatch(user({ theme: 'dark' }), { notifications: { sound: false }, language: 'en', startAtLogin: true, readReceipts: false }, locks);
    expect(next).toEqual({ format: 1, theme: 'dark', language: 'en', startAtLogin: true, readReceipts: false, notifications: { sound: false } });
  });

  it('refuses a locked setting with words for a person, changing nothing', () => {
    const before = user({ theme: 'dark' });
    let error: unknown;
    try {
      applySettingsPatch(before, { language: 'en', notifications: { quietHours: { enabled: false, windows: [], urgentBypass: true } } }, locks);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LockedError);
    expect((error as LockedError).path).toBe('notifications.quietHours');
    expect((error as LockedError).message).toBe('Quiet hours are set by your organisation (managed policy /etc/pushdesk/policy.json) and cannot be changed here.');
    expect(() => applySettingsPatch(before, { retention: { maxAgeDays: 1, maxCount: null } }, locks)).toThrow(
      'How long messages are kept is set by your organisation (managed policy /etc/pushdesk/policy.json) and cannot be changed here.',
    );
    expect(before).toEqual(user({ theme: 'dark' }));
  });

  it('lets quiet hours change when only urgentBypass is the policy\u2019s', () => {
    const next = applySettingsPatch(user(), { notifications: { quietHours: { enabled: true, windows: [], urgentBypass: false } } }, [{ path: 'notifications.quietHours.urgentBypass', reason: REASON }]);
    expect(next.notifications.quietHours?.enabled).toBe(true);
  });

  it('refuses a setting a lock above it covers', () => {
    expect(() => applySettingsPatch(user(), { notifications: { sound: false } }, [{ path: 'notifications', reason: 'Set by the shell' }])).toThrow(
      'The notification sound cannot be changed here: Set by the shell',
    );
  });

  it('names the field of an invalid value', () => {
    let error: unknown;
    try {
      applySettingsPatch(user(), { notifications: { quietHours: { enabled: true, windows: [{ days: ['mon', 'mon'], start: '22:00', end: '06:00' }], urgentBypass: true } } }, []);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FieldErrors);
    expect((error as FieldErrors).fields).toEqual([{ path: 'notifications.quietHours.windows.0.days', message: 'each day may appear only once' }]);
  });
});

describe('setChannelRule', () => {
  const now = Date.parse('2025-06-11T12:00:00Z');

  it('mutes for some minutes, until unmuted, and unmutes', () => {
    let choices = setChannelRule(user(), 'Builds', { muteMinutes: 90 }, now);
    expect(choices.notifications.channels?.Builds).toEqual({ muted: false, mutedUntilMs: now + 90 * 60_000 });
    let effective = effectiveConfig(baseConfig, choices, []);
    expect(channelRuleView(effective, 'Builds')).toEqual({ muted: false, mutedUntilMs: now + 90 * 60_000, minPriority: 3, sound: true });
    choices = setChannelRule(choices, 'Builds', { muted: true, sound: false }, now);
    expect(channelRuleView(effectiveConfig(baseConfig, choices, []), 'Builds')).toEqual({ muted: true, mutedUntilMs: null, minPriority: 3, sound: false });
    choices = setChannelRule(choices, 'Builds', { muted: false, minPriority: 5 }, now);
    effective = effectiveConfig(baseConfig, choices, []);
    // The configuration's timed mute ends too.
    expect(channelRuleView(effective, 'Builds')).toEqual({ muted: false, mutedUntilMs: null, minPriority: 5, sound: false });
    expect(channelRuleView(effective, 'Unknown')).toEqual({ muted: false, mutedUntilMs: null, minPriority: 1, sound: true });
  });

  it('refuses a rule the policy locks, and says why', () => {
    const policy = policyOf({ locked: ['notifications.channels'] });
    expect(channelRuleLockedReason(policy, 'Builds')).toBe(REASON);
    expect(channelRuleLockedReason(policyOf({ locked: ['notifications.quietHours'] }), 'Builds')).toBeNull();
    expect(channelRuleLockedReason(policyOf({ locked: ['notifications.channels.Builds.sound'] }), 'Builds')).toBe(REASON);
    expect(() => setChannelRule(user(), 'Builds', { sound: false }, now, policy)).toThrow(
      'The rules of channel "Builds" are set by your organisation (managed policy /etc/pushdesk/policy.json) and cannot be changed here.',
    );
    expect(() => setChannelRule(user(), 'Other', { sound: false }, now, policyOf({ locked: ['notifications.channels.Builds'] }))).not.toThrow();
  });

  it('names an invalid value', () => {
    expect(() => setChannelRule(user(), 'Builds', { minPriority: 9 }, now)).toThrow(FieldErrors);
  });
});

describe('setSubscribed', () => {
  it('keeps added and removed apart, one entry per topic', () => {
    let choices = setSubscribed(user(), 'office', { topic: 'news/#', channel: 'News' }, true);
    choices = setSubscribed(choices, 'office', { topic: 'news/#', channel: 'News 2' }, true);
    expect(choices.subscriptions?.office).toEqual({ added: [{ topic: 'news/#', channel: 'News 2' }], removed: [] });
    choices = setSubscribed(choices, 'office', { topic: 'news/#', channel: 'News 2' }, false);
    choices = setSubscribed(choices, 'office', { topic: 'news/#', channel: 'News 2' }, false);
    expect(choices.subscriptions?.office).toEqual({ added: [], removed: ['news/#'] });
  });

  it('refuses to unsubscribe from a mandatory channel', () => {
    const policy = policyOf({ mandatory: [{ connectionId: 'office', topic: 'alerts/#' }] });
    expect(() => setSubscribed(user(), 'office', { topic: 'alerts/#', channel: 'Alerts' }, false, policy)).toThrow(
      'The channel "Alerts" is set by your organisation (managed policy /etc/pushdesk/policy.json) and cannot be changed here.',
    );
    expect(() => setSubscribed(user(), 'office', { topic: 'alerts/#', channel: 'Alerts' }, true, policy)).not.toThrow();
    expect(() => setSubscribed(user(), 'ops', { topic: 'alerts/#', channel: 'Alerts' }, false, policy)).not.toThrow();
  });
});

describe('addOrReplaceConnection and removeConnection', () => {
  it('adds, renames and removes, keeping added and removed apart', () => {
    let choices = addOrReplaceConnection(user(), personal);
    expect(choices.connections).toEqual({ added: [personal], removed: [] });
    choices = setSubscribed(choices, 'home', { topic: 'garage', channel: 'Garage' }, true);
    // A rename: the old id goes, its subscription changes with it.
    const renamed = { ...personal, id: 'house' };
    choices = addOrReplaceConnection(choices, renamed, 'home');
    expect(choices.connections).toEqual({ added: [renamed], removed: ['home'] });
    expect(choices.subscriptions).toEqual({});
    // Editing a configured connection, then removing it, then adding it back.
    choices = addOrReplaceConnection(choices, { id: 'office', url: 'mqtt://b2:1883', subscriptions: [{ topic: 'a', channel: 'A' }] }, 'office');
    choices = removeConnection(choices, 'office');
    expect(choices.connections).toEqual({ added: [renamed], removed: ['home', 'office'] });
    expect(effectiveConfig(baseConfig, choices, []).connections.map((c) => c.id)).toEqual(['ops', 'house']);
    choices = addOrReplaceConnection(choices, { id: 'office', url: 'mqtt://b3:1883', subscriptions: [{ topic: 'a', channel: 'A' }] });
    expect(effectiveConfig(baseConfig, choices, []).connections.map((c) => [c.id, c.url])).toEqual([
      ['office', 'mqtt://b3:1883'],
      ['ops', 'https://ntfy.example'],
      ['house', 'mqtts://home.example:8883'],
    ]);
  });

  it('keeps references to a secret (passwordEnv, an absolute passwordFile) of an edited connection, never a relative file', () => {
    expect(() => addOrReplaceConnection(user(), { ...personal, passwordSecret: undefined, passwordEnv: 'HOME_PW' })).not.toThrow();
    expect(() => addOrReplaceConnection(user(), { ...personal, passwordSecret: undefined, passwordFile: '/etc/pushdesk/home-pw' })).not.toThrow();
    expect(() => addOrReplaceConnection(user(), { ...personal, passwordSecret: undefined, passwordFile: 'home-pw' })).toThrow('passwordFile: must be an absolute file name');
  });

  it('names each invalid field', () => {
    let error: unknown;
    try {
      addOrReplaceConnection(user(), { id: 'x', url: 'http://nope', subscriptions: [] });
    } catch (caught) {
      error = caught;
    }
    expect((error as FieldErrors).fields).toEqual([
      { path: 'url', message: 'must be a URL starting with mqtt://, mqtts://, ws:// or wss://' },
      { path: 'subscriptions', message: 'needs at least one subscription' },
    ]);
  });

  it('refuses provisioned connections, locked connections, and removing one that carries a mandatory channel', () => {
    const provisioned = policyOf({ provisionedConnections: ['office'] });
    const organisation = '(managed policy /etc/pushdesk/policy.json)';
    expect(connectionLockedReason(provisioned, 'office')).toBe(`Set up by your organisation ${organisation}`);
    expect(connectionLockedReason(provisioned, 'ops')).toBeNull();
    expect(() => removeConnection(user(), 'office', provisioned)).toThrow(`The connection "office" is set by your organisation ${organisation} and cannot be changed here.`);
    expect(() => addOrReplaceConnection(user(), { ...personal, id: 'office' }, undefined, provisioned)).toThrow(LockedError);
    expect(() => addOrReplaceConnection(user(), personal, 'office', provisioned)).toThrow(LockedError);
    expect(() => addOrReplaceConnection(user(), personal, undefined, provisioned)).not.toThrow();
    const locked = policyOf({ locked: ['connections'] });
    expect(connectionLockedReason(locked, 'ops')).toBe(REASON);
    expect(() => addOrReplaceConnection(user(), personal, undefined, locked)).toThrow(LockedError);
    expect(() => removeConnection(user(), 'ops', locked)).toThrow(LockedError);
    const mandatory = policyOf({ mandatory: [{ connectionId: 'ops', topic: 'ops' }] });
    expect(() => removeConnection(user(), 'ops', mandatory)).toThrow(LockedError);
    expect(() => addOrReplaceConnection(user(), { ...personal, id: 'ops2' }, 'ops', mandatory)).toThrow(LockedError);
    // Nor edited: another server or other credentials would silence the channels the organisation requires.
    expect(connectionLockedReason(mandatory, 'ops')).toBe(REASON);
    expect(() => addOrReplaceConnection(user(), { id: 'ops', kind: 'ntfy', url: 'https://n2.example', subscriptions: [{ topic: 'x', channel: 'X' }] }, 'ops', mandatory)).toThrow(LockedError);
  });
});
