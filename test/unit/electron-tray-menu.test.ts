import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import type { ConnectionState } from '../../electron/core/sources/connection-status.ts';
import type { StartAtLogin } from '../../electron/main/login-item.ts';
import {
  bindTrayMenu,
  MENU_CONNECTIONS_MAX,
  TRAY_MENU_UPDATE_MS,
  TRAY_PAUSE_MS,
  trayMenuTemplate,
  type TrayMenuActions,
  type TrayMenuInputs,
} from '../../electron/main/tray-menu.ts';

const NOW = Date.UTC(2026, 10, 22, 12, 0);

const recordingActions = () => {
  const done: string[] = [];
  const actions: TrayMenuActions = {
    open: () => done.push('open'),
    pause: (ms) => done.push(`pause ${ms}`),
    resume: () => done.push('resume'),
    setStartAtLogin: (enabled) => done.push(`start at login ${enabled}`),
    setQuietHours: (enabled) => done.push(`quiet hours ${enabled}`),
    diagnostics: () => done.push('diagnostics'),
    quit: () => done.push('quit'),
  };
  return { done, actions };
};

const inputs = (overrides: Partial<TrayMenuInputs> = {}): TrayMenuInputs => ({
  connections: [
    { id: 'office', state: 'connected' },
    { id: 'cloud', state: 'reconnecting' },
  ],
  pausedUntilMs: undefined,
  nowMs: NOW,
  formatTime: () => '13:00',
  startAtLogin: { enabled: false, locked: false, decidedBy: 'built-in default' },
  ...overrides,
});

const labels = (items: MenuItemConstructorOptions[]) => items.map((item) => (item.type === 'separator' ? '---' : item.label));
const click = (items: MenuItemConstructorOptions[], id: string, checked = false) =>
  (items.find((item) => item.id === id)?.click as ((item: { checked: boolean }) => void) | undefined)?.({ checked });

describe('the tray menu', () => {
  it('lists Open, the pause, start at login, each connection with its state, Diagnostics… and Quit', () => {
    const { actions } = recordingActions();
    const items = trayMenuTemplate(inputs(), actions);
    expect(labels(items)).toEqual([
      'Open',
      '---',
      'Pause notifications for 1 hour',
      'Start at login',
      '---',
      'office: connected',
      'cloud: reconnecting…',
      '---',
      'Diagnostics…',
      'Quit',
    ]);
    // Connection lines are information, not commands.
    expect(items.filter((item) => item.id?.startsWith('connection:')).every((item) => item.enabled === false)).toBe(true);
  });

  it('does what each item says', () => {
    const { done, actions } = recordingActions();
    const items = trayMenuTemplate(inputs(), actions);
    click(items, 'open');
    click(items, 'pause');
    click(items, 'start-at-login', true);
    click(items, 'diagnostics');
    click(items, 'quit');
    expect(done).toEqual(['open', `pause ${TRAY_PAUSE_MS}`, 'start at login true', 'diagnostics', 'quit']);
    expect(TRAY_PAUSE_MS).toBe(3_600_000);
  });

  it('leaves Diagnostics… out where the shell cannot save the bundle', () => {
    const { actions } = recordingActions();
    delete actions.diagnostics;
    expect(labels(trayMenuTemplate(inputs(), actions)).slice(-2)).toEqual(['---', 'Quit']);
  });

  it('offers to resume while paused, naming the end', () => {
    const { done, actions } = recordingActions();
    const items = trayMenuTemplate(inputs({ pausedUntilMs: NOW + 60_000 }), actions);
    expect(labels(items)[2]).toBe('Resume notifications (paused until 13:00)');
    click(items, 'resume');
    expect(done).toEqual(['resume']);
    // A pause that has ended is no pause.
    expect(labels(trayMenuTemplate(inputs({ pausedUntilMs: NOW - 1 }), actions))[2]).toBe('Pause notifications for 1 hour');
  });

  it('shows start at login as set by the organization, and not changeable, when the policy locks it', () => {
    const { actions } = recordingActions();
    const locked: StartAtLogin = { enabled: true, locked: true, decidedBy: 'policy lock' };
    const item = trayMenuTemplate(inputs({ startAtLogin: locked }), actions).find((i) => i.id === 'start-at-login');
    expect(item).toMatchObject({ label: 'Start at login (set by your organization)', type: 'checkbox', checked: true, enabled: false });
  });

  it('switches quiet hours with a checkbox, unless the policy locks them', () => {
    const { done, actions } = recordingActions();
    const item = trayMenuTemplate(inputs({ quietHours: { enabled: false, locked: false } }), actions).find((i) => i.id === 'quiet-hours');
    expect(item).toMatchObject({ label: 'Quiet hours', type: 'checkbox', checked: false, enabled: true });
    (item?.click as unknown as (i: { checked: boolean }) => void)({ checked: true });
    expect(done).toEqual(['quiet hours true']);
    const locked = trayMenuTemplate(inputs({ quietHours: { enabled: true, locked: true } }), actions).find((i) => i.id === 'quiet-hours');
    expect(locked).toMatchObject({ label: 'Quiet hours (set by your organization)', checked: true, enabled: false });
    expect(trayMenuTemplate(inputs(), actions).some((i) => i.id === 'quiet-hours')).toBe(false);
  });

  it('says when there are no connections, and counts those beyond the first ten', () => {
    const { actions } = recordingActions();
    expect(labels(trayMenuTemplate(inputs({ connections: [] }), actions))).toContain('No connections configured');
    const many = Array.from({ length: MENU_CONNECTIONS_MAX + 3 }, (_, i) => ({ id: `c${i}`, state: (i === 11 ? 'offline' : 'connected') as ConnectionState }));
    const shown = labels(trayMenuTemplate(inputs({ connections: many }), actions));
    expect(shown.filter((label) => label?.startsWith('c'))).toHaveLength(MENU_CONNECTIONS_MAX);
    expect(shown).toContain('3 more (1 not connected)');
  });
});

describe('keeping the tray menu up to date', () => {
  beforeEach(() => vi.useFakeTimers({ now: NOW }));
  afterEach(() => vi.useRealTimers());

  const fakeHub = () => {
    const listeners = new Map<string, (() => void)[]>();
    const hub = {
      states: [{ id: 'office', state: 'connecting' as ConnectionState }],
      notificationsPausedUntilMs: undefined as number | undefined,
      connectionStatuses: () => hub.states.map((s) => ({ ...s })),
      on: (event: string, listener: () => void) => {
        listeners.set(event, [...(listeners.get(event) ?? []), listener]);
        return () => listeners.set(event, (listeners.get(event) ?? []).filter((l) => l !== listener));
      },
      emit: (event: string) => listeners.get(event)?.forEach((listener) => listener()),
    };
    return hub;
  };

  it('follows connection changes in bursts, and rebuilds only when something shows differently', () => {
    const hub = fakeHub();
    const menus: MenuItemConstructorOptions[][] = [];
    const { stop } = bindTrayMenu({
      tray: { setContextMenu: (menu: MenuItemConstructorOptions[]) => menus.push(menu) },
      build: (template) => template,
      hub: hub as never,
      actions: recordingActions().actions,
      startAtLogin: () => undefined,
      formatTime: () => '13:00',
    });
    expect(labels(menus[0] ?? [])).toContain('office: connecting…');
    hub.states = [{ id: 'office', state: 'connected' }];
    for (let i = 0; i < 5; i++) hub.emit('connectionChanged');
    vi.advanceTimersByTime(TRAY_MENU_UPDATE_MS);
    expect(menus).toHaveLength(2);
    expect(labels(menus[1] ?? [])).toContain('office: connected');
    // A status event that changes nothing the menu shows (counters) leaves the menu alone.
    hub.emit('connectionChanged');
    vi.advanceTimersByTime(TRAY_MENU_UPDATE_MS);
    expect(menus).toHaveLength(2);
    stop();
    hub.states = [{ id: 'office', state: 'offline' }];
    hub.emit('connectionChanged');
    vi.advanceTimersByTime(TRAY_MENU_UPDATE_MS);
    expect(menus).toHaveLength(2);
  });

  it('shows a pause at once and goes back to offering one when it ends', () => {
    const hub = fakeHub();
    const menus: MenuItemConstructorOptions[][] = [];
    bindTrayMenu({
      tray: { setContextMenu: (menu: MenuItemConstructorOptions[]) => menus.push(menu) },
      build: (template) => template,
      hub: hub as never,
      actions: recordingActions().actions,
      startAtLogin: () => undefined,
      formatTime: () => '13:00',
    });
    hub.notificationsPausedUntilMs = NOW + TRAY_PAUSE_MS;
    hub.emit('pauseChanged');
    expect(labels(menus.at(-1) ?? [])).toContain('Resume notifications (paused until 13:00)');
    vi.advanceTimersByTime(TRAY_PAUSE_MS + 100);
    expect(labels(menus.at(-1) ?? [])).toContain('Pause notifications for 1 hour');
  });

  it('reports a failure to build the menu and keeps the old one', () => {
    const hub = fakeHub();
    const errors: string[] = [];
    bindTrayMenu({
      tray: { setContextMenu: () => {} },
      build: () => {
        throw new Error('no display');
      },
      hub: hub as never,
      actions: recordingActions().actions,
      startAtLogin: () => undefined,
      onError: (error) => errors.push(error.message),
    });
    expect(errors).toEqual(['no display']);
  });
});
