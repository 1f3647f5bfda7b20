import { spawn, type ChildProcess } from 'node:child_process';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import type { MachineState } from '../core/heartbeat/heartbeat-policy.ts';
import { describeNetwork, readPowerSource } from '../core/heartbeat/os-readings.ts';
import type { SystemSignals, SystemSignalsEvents } from '../core/heartbeat/system-signals.ts';
import { TypedEmitter } from '../core/typed-emitter.ts';

/**
 * Machine signals for the headless shell on Linux.
 *
 * Power from /sys/class/power_supply (every 30 s), the network from the interface list (every 2 s),
 * sleep from logind's PrepareForSleep over D-Bus (through `gdbus monitor`, where installed) and, as a
 * fallback, from the clock jumping forward (a timer that fires far too late means the machine slept).
 */
export class LinuxSignals extends TypedEmitter<SystemSignalsEvents> implements SystemSignals {
  readonly #powerRoot: string;
  readonly #interfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  #state: MachineState;
  #timers: NodeJS.Timeout[] = [];
  #gdbus: ChildProcess | undefined;
  #lastTick = 0;
  #lastMono = 0;

  constructor(options: { powerRoot?: string; interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>; watchLogind?: boolean } = {}) {
    super();
    this.#powerRoot = options.powerRoot ?? '/sys/class/power_supply';
    this.#interfaces = options.interfaces ?? networkInterfaces;
    this.#watchLogind = options.watchLogind ?? true;
    this.#state = { power: readPowerSource(this.#powerRoot), suspended: false, ...describeNetwork(this.#interfaces()) };
  }

  readonly #watchLogind: boolean;

  current(): MachineState {
    return this.#state;
  }

  start(): void {
    this.#lastTick = Date.now();
    this.#lastMono = performance.now();
    this.#timers.push(setInterval(() => this.#pollNetwork(), 2000).unref());
    this.#timers.push(setInterval(() => this.#update({ power: readPowerSource(this.#powerRoot) }), 30_000).unref());
    if (this.#watchLogind) this.#watchSleep();
  }

  stop(): void {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    this.#gdbus?.kill();
    this.#gdbus = undefined;
  }

  /** Re-reads the network; also notices a sleep from a 2 s timer that fired much later. */
  #pollNetwork(): void {
    // The wall clock runs on while the machine sleeps; the monotonic clock does not. A gap between
    // them means a sleep; a loop that merely stalled moves both alike and is not taken for one.
    const now = Date.now();
    const mono = performance.now();
    const slept = now - this.#lastTick - (mono - this.#lastMono) > 10_000;
    this.#lastTick = now;
    this.#lastMono = mono;
    if (slept && this.#state.suspended) this.#update({ suspended: false }); // missed the wake-up signal
    const before = this.#state.networkId;
    this.#update(describeNetwork(this.#interfaces()));
    if (slept) this.emit('wake', 'resume');
    else if (this.#state.networkId !== before && this.#state.online) this.emit('wake', 'network-change');
  }

  #update(change: Partial<MachineState>): void {
    const next = { ...this.#state, ...change };
    if (next.power === this.#state.power && next.online === this.#state.online && next.suspended === this.#state.suspended && next.networkId === this.#state.networkId) return;
    this.#state = next;
    this.emit('change', next);
  }

  #watchSleep(): void {
    let child: ChildProcess;
    try {
      child = spawn('gdbus', ['monitor', '--system', '--dest', 'org.freedesktop.login1', '--object-path', '/org/freedesktop/login1'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      return;
    }
    child.on('error', () => undefined); // gdbus not installed, or no system bus: the clock fallback remains
    // Without it no wake-up signal comes: never stay asleep because of a watcher that died.
    child.on('exit', () => {
      if (this.#gdbus === child) this.#gdbus = undefined;
      if (this.#state.suspended) this.#update({ suspended: false });
    });
    child.unref();
    (child.stdout as NodeJS.ReadableStream & { unref?: () => void } | null)?.unref?.();
    this.#gdbus = child;
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const match = /PrepareForSleep \((true|false),\)/.exec(line);
        if (!match) continue;
        const sleeping = match[1] === 'true';
        this.#update({ suspended: sleeping });
        if (!sleeping) {
          this.#lastTick = Date.now();
          this.#lastMono = performance.now();
          this.emit('wake', 'resume');
        }
      }
    });
  }
}
