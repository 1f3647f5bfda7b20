import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import i18next, { type TFunction } from 'i18next';
import { describe, expect, it } from 'vitest';
import type { UiConnectionStatus } from '../../electron/api/contract.ts';
import { decideHeartbeat, DEFAULT_HEARTBEAT, type ConnectionFacts, type MachineState } from '../../electron/core/heartbeat/heartbeat-policy.ts';
import { localiseHeartbeatReason, localiseStateReason } from '../../renderer/src/connection-words.ts';

/** The window's words for a connection's reasons, from the codes the core sends (renderer/src/connection-words.ts). */

const resources = (language: string): Record<string, unknown> =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../renderer/src/i18n/${language}.json`, import.meta.url)), 'utf8')) as Record<string, unknown>;

async function translator(language: 'en' | 'zh-CN'): Promise<TFunction> {
  const i18n = i18next.createInstance();
  await i18n.init({ resources: { [language]: { translation: resources(language) } }, lng: language, interpolation: { escapeValue: false } });
  return i18n.t;
}

function status(over: Partial<UiConnectionStatus> = {}): UiConnectionStatus {
  return {
    id: 'plant',
    url: 'mqtt://broker.example:1883/',
    state: 'connected',
    stateReason: 'connected',
    stateCode: 'connected',
    retryInSec: null,
    attempt: null,
    lastError: null,
    connectedSinceMs: null,
    reconnects: 0,
    received: 0,
    bytes: 0,
    rejected: 0,
    warning: null,
    heartbeat: { reason: '', intervalSec: 0, profile: null, adaptive: false, critical: false, profileSec: 0, serverAskedSec: null, lastRttMs: null, lastHour: 0, lastDetectionMs: null },
    ...over,
  };
}

/** A heartbeat as the contract carries it, from a policy decision. */
function heartbeat(machine: Partial<MachineState>, facts: Partial<ConnectionFacts> = {}, settings = DEFAULT_HEARTBEAT): UiConnectionStatus['heartbeat'] {
  const d = decideHeartbeat({ power: 'ac', online: true, suspended: false, networkId: 'n', ...machine }, settings, {
    critical: false,
    learnedIntervalSec: undefined,
    serverKeepaliveSec: undefined,
    ...facts,
  });
  return {
    reason: d.reason,
    intervalSec: d.intervalSec,
    profile: d.profile,
    adaptive: d.adaptive,
    critical: d.critical,
    profileSec: d.profileSec,
    serverAskedSec: d.serverAskedSec ?? null,
    lastRttMs: null,
    lastHour: 0,
    lastDetectionMs: null,
  };
}

const HEARTBEATS: [Partial<MachineState>, Partial<ConnectionFacts>, typeof DEFAULT_HEARTBEAT, string][] = [
  [{}, {}, DEFAULT_HEARTBEAT, '交流电源，30 秒'],
  [{ power: 'battery' }, { learnedIntervalSec: 180 }, DEFAULT_HEARTBEAT, '电池，自适应，180 秒'],
  [{ power: 'battery' }, {}, { ...DEFAULT_HEARTBEAT, adaptiveOnBattery: false }, '电池，120 秒'],
  [{ power: 'low-battery' }, {}, { ...DEFAULT_HEARTBEAT, lowBatteryMinSec: 600 }, '低电量，600 秒'],
  [{ power: 'low-battery' }, { critical: true, learnedIntervalSec: 180 }, DEFAULT_HEARTBEAT, '低电量，但有关键频道：电池，自适应，180 秒'],
  [{ suspended: true }, {}, DEFAULT_HEARTBEAT, '睡眠中：不发送心跳'],
  [{ online: false }, {}, DEFAULT_HEARTBEAT, '离线：不发送心跳'],
  [{}, { serverKeepaliveSec: 20 }, DEFAULT_HEARTBEAT, '交流电源，30 秒；服务器要求 20 秒'],
  [{ power: 'battery' }, { serverKeepaliveSec: 1500 }, { ...DEFAULT_HEARTBEAT, batteryMinSec: 1800, batteryMaxSec: 1800 }, '电池，自适应，1,800 秒；服务器要求 1,500 秒'],
];

describe('connection reasons in the window language', () => {
  it('words every heartbeat rule in English exactly as the core does, and in Chinese', async () => {
    const [en, zh] = await Promise.all([translator('en'), translator('zh-CN')]);
    for (const [machine, facts, settings, chinese] of HEARTBEATS) {
      const hb = heartbeat(machine, facts, settings);
      expect(hb.profile).not.toBeNull();
      // The same words as the core's, but for numbers, which the window groups ("1,800" for 1800).
      expect(localiseHeartbeatReason(hb, en, 'en').replace(/(\d),(\d{3})/g, '$1$2')).toBe(hb.reason);
      expect(localiseHeartbeatReason(hb, zh, 'zh-CN')).toBe(chinese);
    }
  });

  it("shows the core's words for a heartbeat without a profile, and nothing before the first decision", async () => {
    const zh = await translator('zh-CN');
    expect(localiseHeartbeatReason(status().heartbeat, zh, 'zh-CN')).toBe('');
    const unknown = { ...heartbeat({}), reason: 'AC power, 30 s; something new', profile: null };
    expect(localiseHeartbeatReason(unknown, zh, 'zh-CN')).toBe('AC power, 30 s; something new');
  });

  it('words every state code, with the retry numbers in the language and the failure as the core gives it', async () => {
    const [en, zh] = await Promise.all([translator('en'), translator('zh-CN')]);
    const cases: [Partial<UiConnectionStatus>, string, string][] = [
      [{ stateCode: 'not-started', stateReason: 'not started' }, 'not started', '尚未启动'],
      [{ stateCode: 'connecting', stateReason: 'connecting to the server' }, 'connecting to the server', '正在连接服务器'],
      [{ stateCode: 'connected', stateReason: 'connected' }, 'connected', '已连接'],
      [
        { stateCode: 'reconnecting-in', stateReason: 'connection refused; retrying in 3.2 s (attempt 4)', retryInSec: 3.2, attempt: 4, lastError: 'connection refused' },
        'connection refused; retrying in 3.2 s (attempt 4)',
        'connection refused；3.2 秒后重试（第 4 次）',
      ],
      [
        { stateCode: 'reconnecting-in', stateReason: 'the connection closed; retrying in 1.0 s (attempt 1)', retryInSec: 1, attempt: 1 },
        'retrying in 1.0 s (attempt 1)',
        '1.0 秒后重试（第 1 次）',
      ],
      [{ stateCode: 'reconnecting', stateReason: 'reconnecting to the server' }, 'reconnecting to the server', '正在重新连接服务器'],
      [{ stateCode: 'waiting-for-network', stateReason: 'no network: waiting for it to come back' }, 'no network: waiting for it to come back', '没有网络：等待网络恢复'],
      [{ stateCode: 'asleep', stateReason: 'the system is asleep' }, 'the system is asleep', '系统处于睡眠状态'],
      [{ stateCode: 'network-back', stateReason: 'the network is back: reconnecting now' }, 'the network is back: reconnecting now', '网络已恢复：正在立即重连'],
      [{ stateCode: 'woke-up', stateReason: 'the system woke up: reconnecting now' }, 'the system woke up: reconnecting now', '系统已唤醒：正在立即重连'],
      [{ stateCode: 'renegotiating', stateReason: 'checking the link after a change of network or a wake-up' }, 'reconnecting at once to renew the link', '正在立即重连以更新连接'],
      [{ stateCode: 'stopped', stateReason: 'stopped' }, 'stopped', '已停止'],
      [{ stateCode: 'other', stateReason: 'something new' }, 'something new', 'something new'],
      // Numbers missing: the core's words.
      [{ stateCode: 'reconnecting-in', stateReason: 'refused; retrying in 2.0 s (attempt 2)' }, 'refused; retrying in 2.0 s (attempt 2)', 'refused; retrying in 2.0 s (attempt 2)'],
    ];
    for (const [over, english, chinese] of cases) {
      expect(localiseStateReason(status(over), en, 'en')).toBe(english);
      expect(localiseStateReason(status(over), zh, 'zh-CN')).toBe(chinese);
    }
  });
});
