import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionState } from '../../electron/core/sources/connection-status.ts';
import { bindTray, TRAY_UPDATE_MS } from '../../electron/main/tray-binding.ts';
import { TOOLTIP_MAX, trayState, type TrayInputs } from '../../electron/main/tray-state.ts';

const NOW = Date.UTC(2026, 10, 22, 12, 0);

function inputs(overrides: Partial<TrayInputs> = {}): TrayInputs {
  return {
    connections: [
      { id: 'office', state: 'connected' },
      { id: 'cloud', state: 'connected' },
    ],
    channelCounts: [
      { channel: 'Ops', unread: 3 },
      { channel: 'Builds', unread: 40 },
    ],
    muted: new Set(),
    pausedUntilMs: undefined,
    nowMs: NOW,
    formatTime: () => '13:30',
    ...overrides,
  };
}

const connections = (...states: [string, ConnectionState][]) => states.map(([id, state]) => ({ id, state }));

describe('the tray state', () => {
  it('is connected when every connection is up, and counts the unread messages', () => {
    const view = trayState(inputs());
    expect(view).toMatchObject({ state: 'connected', icon: 'tray-connected', unread: 43, label: '43', badgeCount: 43 });
    expect(view.tooltip).toBe('Pushdesk: 43 unread\nAll 2 connections up');
  });

  it('leaves muted channels out of the unread count', () => {
    const view = trayState(inputs({ muted: new Set(['Builds']) }));
    expect(view).toMatchObject({ unread: 3, label: '3', badgeCount: 3 });
    expect(trayState(inputs({ muted: new Set(['Builds', 'Ops']) }))).toMatchObject({ unread: 0, label: '', badgeCount: 0 });
  });

  it('is degraded when some connections are down, and names them', () => {
    const view = trayState(inputs({ connections: connections(['office', 'connected'], ['cloud', 'reconnecting']) }));
    expect(view.state).toBe('degraded');
    expect(view.tooltip).toContain('1 of 2 connections down: cloud');
  });

  it('is offline when no connection is up, or none is configured', () => {
    expect(trayState(inputs({ connections: connections(['office', 'offline'], ['cloud', 'connecting']) }))).toMatchObject({
      state: 'offline',
      tooltip: expect.stringContaining('Offline: all 2 connections down'),
    });
    expect(trayState(inputs({ connections: connections(['office', 'suspended']) })).tooltip).toContain('Offline: office is down');
    expect(trayState(inputs({ connections: [] }))).toMatchObject({ state: 'offline', tooltip: expect.stringContaining('No connections configured') });
  });

  it('counts a connection that has not started yet as down', () => {
    expect(trayState(inputs({ connections: connections(['office', 'connected'], ['later', 'stopped']) })).state).toBe('degraded');
  });

  it('is paused while notifications are paused and the connections are up, and says until when', () => {
    const view = trayState(inputs({ pausedUntilMs: NOW + 90 * 60_000 }));
    expect(view).toMatchObject({ state: 'paused', icon: 'tray-paused' });
    expect(view.tooltip).toContain('Notifications paused until 13:30');
  });

  it('shows a lost connection before the pause, and still names the pause', () => {
    const view = trayState(inputs({ pausedUntilMs: NOW + 60_000, connections: connections(['office', 'offline']) }));
    expect(view.state).toBe('offline');
    expect(view.tooltip).toContain('Notifications paused until 13:30');
  });

  it('is not paused once the pause is over', () => {
    expect(trayState(inputs({ pausedUntilMs: NOW })).state).toBe('connected');
  });

  it('keeps the tooltip within what Windows shows, cutting the connection list rather than the pause', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ id: `a-very-long-connection-name-${i}`, state: (i === 0 ? 'connected' : 'offline') as ConnectionState }));
    const view = trayState(inputs({ connections: many, pausedUntilMs: NOW + 60_000 }));
    expect(view.state).toBe('degraded');
    expect(view.tooltip.length).toBeLessThanOrEqual(TOOLTIP_MAX);
    expect(view.tooltip).toContain('Notifications paused until 13:30');
    expect(view.tooltip).toContain('…');
  });

  it('caps the label at 999+', () => {
    expect(trayState(inputs({ channelCounts: [{ channel: 'Ops', unread: 12_345 }] }))).toMatchObject({ label: '999+', badgeCount: 12_345 });
  });
});

describe('the tray binding', () => {
  beforeEach(() => vi.useFakeTimers({ now: NOW }));
  afterEach(() => vi.useRealTimers());

  function setup(platform: NodeJS.Platform = 'darwin') {
    const listeners = new Map<string, (() => void)[]>();
    let statuses = connections(['office', 'connected']);
    let counts = [{ channel: 'Ops', unread: 1, total: 1 }];
    let pausedUntilMs: number | undefined;
    const queries = { counts: 0 };
    const hub = {
      on: (event: string, listener: () => void) => {
        listeners.set(event, [...(listeners.get(event) ?? []), listener]);
        return () => listeners.set(event, (listeners.get(event) ?? []).filter((l) => l !== listener));
      },
      connectionStatuses: () => statuses,
      channelCounts: () => (queries.counts++, counts),
    };
    const tray = { setToolTip: vi.fn(), setImage: vi.fn(), setTitle: vi.fn() };
    const badge = vi.fn();
    const stop = bindTray({
      tray,
      hub: hub as never,
      image: (icon) => `image:${icon}` as never,
      setBadgeCount: badge,
      pausedUntilMs: () => pausedUntilMs,
      muted: () => new Set(['Muted']),
      platform,
      formatTime: () => '13:00',
    });
    const emit = (event: string) => (listeners.get(event) ?? []).forEach((l) => l());
    return {
      tray,
      badge,
      stop,
      emit,
      queries,
      listeners,
      set: (change: { statuses?: typeof statuses; counts?: typeof counts; pausedUntilMs?: number | undefined }) => {
        statuses = change.statuses ?? statuses;
        counts = change.counts ?? counts;
        if ('pausedUntilMs' in change) pausedUntilMs = change.pausedUntilMs;
      },
    };
  }

  it('shows the state at once, with the unread count beside the icon and on the badge', () => {
    const { tray, badge } = setup('darwin');
    expect(tray.setToolTip).toHaveBeenCalledWith('Pushdesk: 1 unread\nConnected');
    expect(tray.setImage).toHaveBeenCalledWith('image:tray-connected');
    expect(tray.setTitle).toHaveBeenCalledWith('1');
    expect(badge).toHaveBeenCalledWith(1);
  });

  it('follows a burst of hub events with one update', () => {
    const { tray, emit, set, queries } = setup();
    set({ counts: [{ channel: 'Ops', unread: 5, total: 5 }, { channel: 'Muted', unread: 9, total: 9 }], statuses: connections(['office', 'reconnecting']) });
    for (let i = 0; i < 100; i++) emit('messageUpdated');
    emit('connectionChanged');
    expect(queries.counts).toBe(1);
    vi.advanceTimersByTime(TRAY_UPDATE_MS);
    expect(queries.counts).toBe(2);
    expect(tray.setImage).toHaveBeenLastCalledWith('image:tray-offline');
    expect(tray.setTitle).toHaveBeenLastCalledWith('5');
  });

  it('looks again when a pause ends', () => {
    const { tray, emit, set } = setup();
    set({ pausedUntilMs: NOW + 60_000 });
    emit('messagesAdded');
    vi.advanceTimersByTime(TRAY_UPDATE_MS);
    expect(tray.setImage).toHaveBeenLastCalledWith('image:tray-paused');
    set({ pausedUntilMs: undefined });
    vi.advanceTimersByTime(60_000);
    expect(tray.setImage).toHaveBeenLastCalledWith('image:tray-connected');
  });

  it('sets the title beside the icon on macOS only, and touches nothing that did not change', () => {
    const { tray, emit } = setup('linux');
    expect(tray.setTitle).not.toHaveBeenCalled();
    emit('messagesRemoved');
    vi.advanceTimersByTime(TRAY_UPDATE_MS);
    expect(tray.setToolTip).toHaveBeenCalledTimes(1);
    expect(tray.setImage).toHaveBeenCalledTimes(1);
  });

  it('keeps what it showed when the hub cannot answer, and says why', () => {
    const errors: string[] = [];
    const tray = { setToolTip: vi.fn(), setImage: vi.fn(), setTitle: vi.fn() };
    let listener: (() => void) | undefined;
    const hub = {
      on: (_event: string, l: () => void) => ((listener = l), () => {}),
      connectionStatuses: () => [],
      channelCounts: () => {
        throw new Error('database is not open');
      },
    };
    bindTray({ tray, hub: hub as never, image: () => '' as never, pausedUntilMs: () => undefined, muted: () => new Set(), onError: (e) => errors.push(e.message) });
    listener?.();
    vi.advanceTimersByTime(TRAY_UPDATE_MS);
    expect(errors).toEqual(['database is not open', 'database is not open']);
    expect(tray.setToolTip).not.toHaveBeenCalled();
  });

  it('stops listening when stopped', () => {
    const { stop, listeners, emit, queries } = setup();
    stop();
    emit('messagesAdded');
    vi.advanceTimersByTime(TRAY_UPDATE_MS);
    expect(queries.counts).toBe(1);
    expect([...listeners.values()].every((l) => l.length === 0)).toBe(true);
  });
});
