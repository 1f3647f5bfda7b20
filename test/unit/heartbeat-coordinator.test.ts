import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, type NetworkInterfaceInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HeartbeatCoordinator } from '../../electron/core/heartbeat/heartbeat-coordinator.ts';
import { DEFAULT_HEARTBEAT, type HeartbeatDecision } from '../../electron/core/heartbeat/heartbeat-policy.ts';
import { describeNetwork, readPowerSource } from '../../electron/core/heartbeat/os-readings.ts';
import { ScriptedSignals } from '../../electron/core/heartbeat/system-signals.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import { Backoff } from '../../electron/core/sources/backoff.ts';
import { SourceBase } from '../../electron/core/sources/source-base.ts';

/** A source with no link, recording what the coordinator asks of it. */
class RecordingSource extends SourceBase {
  readonly decisions: HeartbeatDecision[] = [];
  readonly probes: number[] = [];
  constructor(id: string, url = 'mqtt://example') {
    super({ id, url, backoff: new Backoff() });
  }
  protected override openLink(): void {}
  protected override dropLink(): void {}
  protected override heartbeatChanged(decision: HeartbeatDecision): void {
    this.decisions.push(decision);
  }
  protected override probeLink(timeoutSec: number): void {
    this.probes.push(timeoutSec);
  }
  connect(): void {
    this.lifecycle.connected();
  }
  answered(idleSec: number, probe = false): void {
    this.heartbeatAnswered(idleSec, 5, probe);
  }
  missed(probe: boolean, idleSec = 120): void {
    this.heartbeatMissed(idleSec, probe);
  }
  state(): string {
    return this.lifecycle.state;
  }
}

function setup(critical = false) {
  const signals = new ScriptedSignals({ power: 'ac' });
  const source = new RecordingSource('c');
  const stored = new Map<string, string>();
  const coordinator = new HeartbeatCoordinator({
    signals,
    settings: DEFAULT_HEARTBEAT,
    sources: new Map([['c', source]]),
    critical: () => critical,
    store: { load: (k) => stored.get(k), save: (k, v) => stored.set(k, v) },
    logger: silentLogger,
  });
  source.start();
  source.connect();
  coordinator.start();
  return { signals, source, stored, coordinator };
}

describe('HeartbeatCoordinator', () => {
  it('gives each connection the decision for the machine state, and a new one when it changes', () => {
    const { signals, source } = setup();
    expect(source.decisions.at(-1)?.reason).toBe('AC power, 30 s');
    signals.set({ power: 'battery' });
    expect(source.decisions.at(-1)?.reason).toBe('battery, adaptive, 120 s');
    signals.set({ power: 'low-battery' });
    expect(source.decisions.at(-1)?.reason).toBe('low battery, 300 s');
    expect(source.status().heartbeat).toMatchObject({ reason: 'low battery, 300 s', intervalSec: 300 });
  });

  it('keeps a critical connection on the battery interval when the battery is low', () => {
    const { signals, source } = setup(true);
    signals.set({ power: 'low-battery' });
    expect(source.decisions.at(-1)?.intervalSec).toBe(120);
  });

  it('puts connections offline and asleep, and back, with no heartbeats meanwhile', () => {
    const { signals, source } = setup();
    signals.set({ online: false });
    expect(source.state()).toBe('offline');
    expect(source.decisions.at(-1)).toMatchObject({ active: false, reason: 'offline: no heartbeats' });
    signals.set({ online: true, suspended: true });
    expect(source.state()).toBe('suspended');
    signals.set({ suspended: false });
    expect(source.state()).toBe('connecting');
    expect(source.decisions.at(-1)?.active).toBe(true);
  });

  it('does not hold back a server on this machine when the network goes away', () => {
    const signals = new ScriptedSignals();
    const local = new RecordingSource('local', 'mqtt://127.0.0.1:1883');
    const coordinator = new HeartbeatCoordinator({
      signals,
      settings: DEFAULT_HEARTBEAT,
      sources: new Map([['local', local]]),
      critical: () => false,
      store: { load: () => undefined, save: () => {} },
      logger: silentLogger,
    });
    local.start();
    local.connect();
    coordinator.start();
    signals.set({ online: false });
    expect(local.waitsForNetwork).toBe(false);
    expect(local.state()).toBe('connected');
    expect(local.decisions.at(-1)).toMatchObject({ active: true, reason: 'AC power, 30 s' });
  });

  it('probes every connected link with the probe timeout after a wake-up, an unlock or a network change', () => {
    const { signals, source } = setup();
    signals.wake('resume');
    signals.wake('unlock');
    signals.wake('network-change');
    expect(source.probes).toEqual([4, 4, 4]);
  });

  it('learns nothing from probes after a wake-up or network change', () => {
    const { signals, source, stored } = setup();
    signals.set({ power: 'battery', networkId: 'new-network' });
    source.missed(true);
    for (let i = 0; i < 6; i++) source.answered(600, true);
    expect(source.decisions.at(-1)?.intervalSec).toBe(120);
    expect(stored.size).toBe(0);
    source.missed(false);
    expect(stored.get('heartbeat_learned:c:new-network')).toContain('"failedAtSec":120');
  });

  it('learns nothing from low-battery heartbeats or from links that died after a short silence', () => {
    const { signals, source, stored } = setup();
    signals.set({ power: 'low-battery', networkId: 'n1' });
    source.missed(false, 300);
    expect(stored.size).toBe(0);
    signals.set({ power: 'battery' });
    source.missed(false, 30);
    expect(JSON.parse(stored.get('heartbeat_learned:c:n1') ?? '{}')).toEqual({ intervalSec: 120 });
  });

  it('learns a longer interval on battery from idle heartbeats that were answered, and remembers it per network', () => {
    const { signals, source, stored } = setup();
    signals.set({ power: 'battery', networkId: 'home-wifi' });
    for (let i = 0; i < 3; i++) source.answered(120);
    expect(source.decisions.at(-1)?.reason).toBe('battery, adaptive, 150 s');
    expect(JSON.parse(stored.get('heartbeat_learned:c:home-wifi') ?? '{}')).toMatchObject({ intervalSec: 150 });
    signals.set({ networkId: 'cafe' });
    expect(source.decisions.at(-1)?.intervalSec).toBe(120);
  });
});

describe('OS readings for the headless shell', () => {
  it('reads AC, battery and low battery from /sys/class/power_supply', () => {
    const root = mkdtempSync(join(tmpdir(), 'pushdesk-power-'));
    try {
      const supply = (name: string, files: Record<string, string>): void => {
        mkdirSync(join(root, name), { recursive: true });
        for (const [file, value] of Object.entries(files)) writeFileSync(join(root, name, file), `${value}\n`);
      };
      expect(readPowerSource(root)).toBe('ac'); // no battery at all: a desktop
      supply('BAT0', { type: 'Battery', capacity: '64' });
      supply('AC', { type: 'Mains', online: '0' });
      expect(readPowerSource(root)).toBe('battery');
      writeFileSync(join(root, 'BAT0', 'capacity'), '12\n');
      expect(readPowerSource(root)).toBe('low-battery');
      writeFileSync(join(root, 'AC', 'online'), '1\n');
      expect(readPowerSource(root)).toBe('ac');
      // A wireless mouse's battery is not this machine's.
      rmSync(join(root, 'BAT0'), { recursive: true });
      rmSync(join(root, 'AC'), { recursive: true });
      supply('hidpp_battery_0', { type: 'Battery', scope: 'Device', capacity: '5' });
      expect(readPowerSource(root)).toBe('ac');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('describes the network by its routable addresses, ignoring loopback and link-local', () => {
    const loopback = { address: '127.0.0.1', family: 'IPv4', internal: true } as const;
    const linkLocal = { address: 'fe80::1', family: 'IPv6', internal: false } as const;
    const wifi = { address: '192.168.1.20', family: 'IPv4', internal: false } as const;
    const info = (a: { address: string; family: 'IPv4' | 'IPv6'; internal: boolean }) =>
      ({ ...a, netmask: a.family === 'IPv4' ? '255.255.255.0' : 'ffff:ffff:ffff:ffff::', mac: '', cidr: null, ...(a.family === 'IPv6' ? { scopeid: 0 } : {}) }) as unknown as NetworkInterfaceInfo;
    expect(describeNetwork({ lo: [info(loopback)], wlan0: [info(linkLocal)] })).toEqual({ online: false, networkId: 'none' });
    expect(describeNetwork({ lo: [info(loopback)], wlan0: [info(wifi), info(linkLocal)] })).toEqual({
      online: true,
      networkId: 'wlan0=192.168.1.0/255.255.255.0',
    });
    // A new lease in the same network is the same network.
    expect(describeNetwork({ wlan0: [info({ ...wifi, address: '192.168.1.77' })] }).networkId).toBe('wlan0=192.168.1.0/255.255.255.0');
    const bridge = { address: '172.17.0.1', family: 'IPv4', internal: false } as const;
    expect(describeNetwork({ lo: [info(loopback)], docker0: [info(bridge)] })).toEqual({ online: false, networkId: 'none' });
  });
});
