import type { Logger } from '../logger.ts';
import type { SourceBase } from '../sources/source-base.ts';
import { AdaptiveInterval, type LearnedInterval } from './adaptive-interval.ts';
import { decideHeartbeat, type HeartbeatSettings, type MachineState } from './heartbeat-policy.ts';
import type { SystemSignals } from './system-signals.ts';

/** Where learned intervals are kept (the hub's store). */
export interface LearnedStore {
  load(key: string): string | undefined;
  save(key: string, value: string): void;
}

/**
 * Applies the heartbeat policy to every connection as the machine changes.
 *
 * It passes OS signals to each connection's state machine (offline, asleep), gives each one its
 * heartbeat decision, probes every link after a wake-up, unlock or network change, and feeds heartbeat
 * outcomes to the adaptive learner of the current network.
 */
export class HeartbeatCoordinator {
  readonly #signals: SystemSignals;
  readonly #settings: HeartbeatSettings;
  readonly #sources: ReadonlyMap<string, SourceBase>;
  readonly #critical: (connectionId: string) => boolean;
  readonly #store: LearnedStore;
  readonly #logger: Logger;
  readonly #learners = new Map<string, AdaptiveInterval>();
  readonly #offs: (() => void)[] = [];
  /** Each tracked source's heartbeat listener, removed with it. */
  readonly #tracked = new Map<string, () => void>();
  #started = false;

  constructor(options: {
    signals: SystemSignals;
    settings: HeartbeatSettings;
    sources: ReadonlyMap<string, SourceBase>;
    critical: (connectionId: string) => boolean;
    store: LearnedStore;
    logger: Logger;
  }) {
    this.#signals = options.signals;
    this.#settings = options.settings;
    this.#sources = options.sources;
    this.#critical = options.critical;
    this.#store = options.store;
    this.#logger = options.logger;
  }

  /** Applies the current state and follows the signals from now on. */
  start(): void {
    this.#started = true;
    this.#offs.push(this.#signals.on('change', (state) => this.#applyAll(state)));
    this.#offs.push(
      this.#signals.on('wake', (reason) => {
        this.#logger.info('checking every link', { reason });
        for (const source of this.#sources.values()) source.probe(this.#settings.probeTimeoutSec);
      }),
    );
    for (const [id, source] of this.#sources) this.#track(id, source);
    this.#signals.start();
    this.#applyAll(this.#signals.current());
  }

  /**
   * A connection added to the sources map at run time (the person added or edited one): it gets the
   * current decision and machine state now, before it connects. Does nothing before `start`.
   */
  added(id: string): void {
    const source = this.#sources.get(id);
    if (!this.#started || !source) return;
    this.#track(id, source);
    const state = this.#signals.current();
    this.#apply(id, source, state);
    if (state.suspended) source.suspend();
    source.setOnline(state.online || !source.waitsForNetwork);
  }

  /** A connection removed at run time: its heartbeat outcomes are no longer followed. */
  removed(id: string): void {
    this.#tracked.get(id)?.();
    this.#tracked.delete(id);
  }

  #track(id: string, source: SourceBase): void {
    this.#tracked.get(id)?.();
    this.#tracked.set(
      id,
      source.on('heartbeat', (outcome) => {
        const state = this.#signals.current();
        // Only heartbeats sent at the adaptive battery interval teach the learner: not probes after a
        // wake-up or network change, not AC or low-battery intervals.
        const adaptive = state.power === 'battery' || (state.power === 'low-battery' && this.#critical(id));
        if (outcome.probe || !adaptive || !this.#settings.adaptiveOnBattery) return;
        const learner = this.#learner(id, state.networkId);
        const changed = outcome.kind === 'answered' ? learner.succeeded(outcome.idleSec) : learner.failed(outcome.idleSec);
        // Saved after every idle heartbeat (a few an hour on battery): a failure at the floor changes
        // what is known about the network even when the interval stays.
        this.#store.save(this.#key(id, state.networkId), JSON.stringify(learner.learned));
        if (changed) this.#apply(id, source, state);
      }),
    );
  }

  /** Stops following the signals. */
  stop(): void {
    this.#started = false;
    for (const off of this.#offs.splice(0)) off();
    for (const off of this.#tracked.values()) off();
    this.#tracked.clear();
    this.#signals.stop();
  }

  #applyAll(state: MachineState): void {
    for (const [id, source] of this.#sources) {
      // The decision first: a reconnect that resuming or coming online starts announces it.
      this.#apply(id, source, state);
      if (state.suspended) source.suspend();
      else source.resume();
      source.setOnline(state.online || !source.waitsForNetwork);
    }
  }

  #apply(id: string, source: SourceBase, machine: MachineState): void {
    // A server on this machine is reachable without a network.
    const state = !source.waitsForNetwork && !machine.online ? { ...machine, online: true } : machine;
    const learned = this.#settings.adaptiveOnBattery && state.power !== 'ac' ? this.#learner(id, state.networkId).intervalSec : undefined;
    source.applyHeartbeat(
      decideHeartbeat(state, this.#settings, {
        critical: this.#critical(id),
        learnedIntervalSec: learned,
        serverKeepaliveSec: undefined,
        reconnect: source.reconnectBounds,
      }),
    );
  }

  #key(id: string, networkId: string): string {
    return `heartbeat_learned:${id}:${networkId}`;
  }

  #learner(id: string, networkId: string): AdaptiveInterval {
    const key = this.#key(id, networkId);
    let learner = this.#learners.get(key);
    if (!learner) {
      let stored: LearnedInterval | undefined;
      try {
        const raw = this.#store.load(key);
        stored = raw === undefined ? undefined : (JSON.parse(raw) as LearnedInterval);
      } catch {
        stored = undefined;
      }
      learner = new AdaptiveInterval(
        { minSec: this.#settings.batteryMinSec, maxSec: this.#settings.batteryMaxSec, stepSec: 30, successesToGrow: 3 },
        stored,
      );
      this.#learners.set(key, learner);
    }
    return learner;
  }
}
