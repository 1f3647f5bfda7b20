import { TypedEmitter } from '../typed-emitter.ts';
import type { MachineState } from './heartbeat-policy.ts';

/** Moments after which every link is checked at once. */
export type WakeReason = 'resume' | 'unlock' | 'network-change';

/** Events of a signals provider. */
export interface SystemSignalsEvents {
  /** The machine state changed (power, network, sleep). */
  change: [MachineState];
  /** The machine woke, was unlocked or changed network: links may be dead without knowing it. */
  wake: [WakeReason];
}

/**
 * The port through which a shell tells the core what the machine is doing.
 *
 * Providers: Electron (powerMonitor, net), headless Linux (/sys/class/power_supply, network
 * interfaces, logind), and ScriptedSignals for tests.
 */
export interface SystemSignals {
  current(): MachineState;
  on<K extends keyof SystemSignalsEvents>(event: K, listener: (...args: SystemSignalsEvents[K]) => void): () => void;
  start(): void;
  stop(): void;
}

/** A provider driven by the caller: tests, and shells that have no OS signals. */
export class ScriptedSignals extends TypedEmitter<SystemSignalsEvents> implements SystemSignals {
  #state: MachineState;

  constructor(initial: Partial<MachineState> = {}) {
    super();
    this.#state = { power: 'ac', online: true, suspended: false, networkId: 'default', ...initial };
  }

  current(): MachineState {
    return this.#state;
  }

  /** Changes part of the state and announces it. */
  set(change: Partial<MachineState>): void {
    this.#state = { ...this.#state, ...change };
    this.emit('change', this.#state);
  }

  /** Announces a wake-up, unlock or network change. */
  wake(reason: WakeReason): void {
    this.emit('wake', reason);
  }

  start(): void {}

  stop(): void {}
}
