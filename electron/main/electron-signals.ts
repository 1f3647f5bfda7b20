import { net, powerMonitor } from 'electron';
import type { MachineState } from '../core/heartbeat/heartbeat-policy.ts';
import { describeNetwork, readPowerSource } from '../core/heartbeat/os-readings.ts';
import type { SystemSignals, SystemSignalsEvents } from '../core/heartbeat/system-signals.ts';
import { TypedEmitter } from '../core/typed-emitter.ts';

/**
 * Machine signals for the desktop shell: Electron's powerMonitor (AC or battery, suspend, resume,
 * lock, unlock), net.isOnline and the interface list (polled every 2 s for network changes).
 *
 * Electron reports no battery level: on Linux the power source (and low battery) is read from /sys
 * every 2 s; elsewhere low battery is not detected in this shell.
 */
export class ElectronSignals extends TypedEmitter<SystemSignalsEvents> implements SystemSignals {
  #state: MachineState;
  #timer: NodeJS.Timeout | undefined;

  constructor() {
    super();
    this.#state = {
      power: process.platform === 'linux' ? readPowerSource() : powerMonitor.isOnBatteryPower() ? 'battery' : 'ac',
      online: net.isOnline(),
      suspended: false,
      networkId: describeNetwork().networkId,
    };
  }

  current(): MachineState {
    return this.#state;
  }

  readonly #listeners: [string, () => void][] = [
    ['on-ac', () => this.#update({ power: 'ac' })],
    ['on-battery', () => this.#update({ power: 'battery' })],
    ['suspend', () => this.#update({ suspended: true })],
    [
      'resume',
      () => {
        this.#update({ suspended: false });
        this.emit('wake', 'resume');
      },
    ],
    ['unlock-screen', () => this.emit('wake', 'unlock')],
  ];

  start(): void {
    for (const [event, listener] of this.#listeners) powerMonitor.on(event as 'resume', listener);
    this.#timer = setInterval(() => {
      const before = this.#state.networkId;
      // Electron's on-ac / on-battery events are macOS and Windows only: on Linux read /sys instead.
      const power = process.platform === 'linux' ? { power: readPowerSource() } : {};
      this.#update({ online: net.isOnline(), networkId: describeNetwork().networkId, ...power });
      if (this.#state.online && this.#state.networkId !== before) this.emit('wake', 'network-change');
    }, 2000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    for (const [event, listener] of this.#listeners) powerMonitor.off(event as 'resume', listener);
  }

  #update(change: Partial<MachineState>): void {
    const next = { ...this.#state, ...change };
    if (JSON.stringify(next) === JSON.stringify(this.#state)) return;
    this.#state = next;
    this.emit('change', next);
  }
}
