import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../electron/core/logger.ts';
import type { NotificationRequest, NotifierEvent } from '../../electron/core/notify/notifier.ts';

/**
 * The desktop notifier against a stand-in for Electron's Notification that records what it was given
 * and lets the test play the OS: show, click, press a button, dismiss, time out.
 */
const recorded = vi.hoisted(() => ({
  notifications: [] as {
    options: Record<string, unknown>;
    shows: number;
    closes: number;
    emit: (event: string, ...args: unknown[]) => boolean;
    listenerCount: (event: string) => number;
  }[],
  supported: true,
}));

vi.mock('electron', async () => {
  const { EventEmitter } = await import('node:events');
  class Notification extends EventEmitter {
    static isSupported(): boolean {
      return recorded.supported;
    }
    readonly record: (typeof recorded.notifications)[number];
    constructor(options: Record<string, unknown>) {
      super();
      this.record = { options, shows: 0, closes: 0, emit: (event, ...args) => this.emit(event, ...args), listenerCount: (event) => this.listenerCount(event) };
      recorded.notifications.push(this.record);
    }
    show(): void {
      this.record.shows++;
    }
    close(): void {
      this.record.closes++;
      // Windows reports a programmatic close as 'close' too.
      this.emit('close', { reason: 'applicationHidden' });
    }
  }
  return { Notification };
});

const { APP_USER_MODEL_ID, createElectronNotifier } = await import('../../electron/main/electron-notifier.ts');

function logger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info() {}, warn: (message) => warnings.push(message), error: (message) => warnings.push(message) };
}

function request(overrides: Partial<NotificationRequest> = {}): NotificationRequest {
  return { seq: 7, title: 'Disk full', body: 'db-1 at 98% <b>now</b>', urgency: 'normal', channel: 'Ops', tag: 'seq:ops:disk', ...overrides };
}

function setup(platform: NodeJS.Platform = 'darwin', extra: Partial<Parameters<typeof createElectronNotifier>[0]> = {}) {
  const log = logger();
  const clicks: number[] = [];
  const notifier = createElectronNotifier({ logger: log, onClick: (seq) => clicks.push(seq), platform, iconPath: '/app/build/tray.png', ...extra });
  const events: NotifierEvent[] = [];
  notifier.onEvent?.((event) => events.push(event));
  return { notifier, events, clicks, log };
}

const last = () => {
  const n = recorded.notifications.at(-1);
  if (!n) throw new Error('no notification was created');
  return n;
};

beforeEach(() => {
  recorded.notifications.length = 0;
  recorded.supported = true;
});

describe('the Electron notifier: what it asks the OS to show', () => {
  it('passes silent, sticky and urgency on, and shows the notification', () => {
    const { notifier } = setup('linux');
    notifier.show(request({ silent: true, sticky: true, urgency: 'critical' }));
    expect(last().options).toMatchObject({ title: 'Disk full', silent: true, timeoutType: 'never', urgency: 'critical' });
    expect(last().shows).toBe(1);
    notifier.show(request({ tag: 'other', urgency: 'low' }));
    expect(last().options).toMatchObject({ silent: false, timeoutType: 'default', urgency: 'low' });
  });

  it('on Linux escapes markup in the body, sets the icon and adds no buttons (the message view has the actions)', () => {
    const { notifier } = setup('linux');
    notifier.show(request({ actions: [{ id: 'view:0', label: 'Open dashboard' }] }));
    expect(last().options.body).toBe('db-1 at 98% &lt;b&gt;now&lt;/b&gt;');
    expect(last().options.icon).toBe('/app/build/tray.png');
    expect(last().options.actions).toBeUndefined();
  });

  it('on macOS shows the buttons, the channel as subtitle and group, the body as it is, and the app icon', () => {
    const { notifier } = setup('darwin');
    notifier.show(request({ actions: [{ id: 'view:0', label: 'Open dashboard' }, { id: 'acknowledge', label: 'Acknowledge' }] }));
    expect(last().options).toMatchObject({
      body: 'db-1 at 98% <b>now</b>',
      subtitle: 'Ops',
      groupId: 'Ops',
      actions: [
        { type: 'button', text: 'Open dashboard' },
        { type: 'button', text: 'Acknowledge' },
      ],
    });
    expect(last().options.icon).toBeUndefined();
  });

  it('on Windows shows the buttons and the icon', () => {
    const { notifier } = setup('win32');
    notifier.show(request({ actions: [{ id: 'http:0', label: 'Restart' }] }));
    expect(last().options).toMatchObject({ actions: [{ type: 'button', text: 'Restart' }], icon: '/app/build/tray.png' });
  });

  it('uses the appId of electron-builder.yml as the Windows AppUserModelID', () => {
    const yml = readFileSync(join(import.meta.dirname, '../../electron-builder.yml'), 'utf8');
    expect(yml).toMatch(new RegExp(`^appId: ${APP_USER_MODEL_ID.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('shows nothing, and says so once, where the system has no notifications', () => {
    recorded.supported = false;
    const { notifier, log } = setup('linux');
    const shown = vi.fn();
    notifier.show(request(), shown);
    notifier.show(request({ tag: 'b' }), shown);
    expect(recorded.notifications).toEqual([]);
    expect(shown).not.toHaveBeenCalled();
    expect(log.warnings).toHaveLength(1);
  });
});

describe('the Electron notifier: replace and withdraw', () => {
  it('replaces a notification by closing the one on screen with that tag and showing a new one', () => {
    const { notifier, events } = setup('win32');
    notifier.show(request({ body: 'Deploy 10%' }));
    const first = last();
    notifier.show(request({ body: 'Deploy 50%', replace: true }));
    expect(first.closes).toBe(1);
    expect(recorded.notifications).toHaveLength(2);
    expect(last().options.body).toBe('Deploy 50%');
    expect(last().shows).toBe(1);
    // The close the notifier caused is not the person dismissing anything.
    expect(events).toEqual([]);
  });

  it('adds a second notification with the same tag when not asked to replace, and withdraws the newest', () => {
    const { notifier } = setup('linux');
    notifier.show(request());
    const first = last();
    notifier.show(request());
    const second = last();
    expect(first.closes).toBe(0);
    notifier.withdraw?.('seq:ops:disk');
    expect(second.closes).toBe(1);
    expect(first.closes).toBe(0);
  });

  it('withdraws the notification with a tag, and does nothing for a tag not on screen', () => {
    const { notifier, events } = setup('linux');
    notifier.show(request());
    notifier.withdraw?.('seq:ops:disk');
    expect(last().closes).toBe(1);
    notifier.withdraw?.('seq:ops:disk');
    notifier.withdraw?.('never-shown');
    expect(last().closes).toBe(1);
    expect(events).toEqual([]);
  });

  it('lets a dismissed notification go: a later withdraw of its tag closes nothing', () => {
    const { notifier, events } = setup('linux');
    notifier.show(request());
    last().emit('close', {});
    notifier.withdraw?.('seq:ops:disk');
    expect(last().closes).toBe(0);
    expect(events).toEqual([{ kind: 'dismissed', tag: 'seq:ops:disk', seq: 7 }]);
  });
});

describe('the Electron notifier: what the person did', () => {
  it('reports a click with its seq and tag, brings the window up, and reports nothing more for it', () => {
    const { notifier, events, clicks } = setup('linux');
    notifier.show(request());
    last().emit('click', {});
    // libnotify closes a clicked notification: that close is not a dismissal.
    last().emit('close', {});
    expect(events).toEqual([{ kind: 'click', tag: 'seq:ops:disk', seq: 7 }]);
    expect(clicks).toEqual([7]);
  });

  it('reports the chosen button by its action id', () => {
    const { notifier, events, clicks } = setup('darwin');
    const actions = [
      { id: 'view:0', label: 'Open dashboard' },
      { id: 'acknowledge', label: 'Acknowledge' },
    ];
    notifier.show(request({ actions }));
    last().emit('action', { actionIndex: 1 }, 1);
    expect(events).toEqual([{ kind: 'action', tag: 'seq:ops:disk', seq: 7, actionId: 'acknowledge' }]);
    expect(clicks).toEqual([]);
  });

  it('understands the older action event that passes only the index', () => {
    const { notifier, events } = setup('darwin');
    notifier.show(request({ actions: [{ id: 'view:0', label: 'Open' }] }));
    last().emit('action', {}, 0);
    expect(events).toEqual([{ kind: 'action', tag: 'seq:ops:disk', seq: 7, actionId: 'view:0' }]);
  });

  it('ignores a button index it did not create', () => {
    const { notifier, events, log } = setup('darwin');
    notifier.show(request({ actions: [{ id: 'view:0', label: 'Open' }] }));
    last().emit('action', { actionIndex: 4 }, 4);
    expect(events).toEqual([]);
    expect(log.warnings).toEqual(['notification action out of range']);
  });

  it('reports a dismissal', () => {
    const { notifier, events } = setup('darwin');
    notifier.show(request({ tag: 'summary:Ops', seq: 0 }));
    last().emit('close', { reason: 'userCanceled' });
    expect(events).toEqual([{ kind: 'dismissed', tag: 'summary:Ops', seq: 0 }]);
  });

  it('keeps a Windows toast that timed out into Action Center: a click there still counts, a withdraw still closes it', () => {
    const { notifier, events } = setup('win32');
    notifier.show(request());
    last().emit('close', { reason: 'timedOut' });
    expect(events).toEqual([]);
    last().emit('click', {});
    expect(events).toEqual([{ kind: 'click', tag: 'seq:ops:disk', seq: 7 }]);

    notifier.show(request({ tag: 'b', seq: 8 }));
    last().emit('close', { reason: 'timedOut' });
    notifier.withdraw?.('b');
    expect(last().closes).toBe(1);
  });

  it('reports an empty tag for a notification shown without one', () => {
    const { notifier, events } = setup('linux');
    notifier.show(request({ tag: undefined }));
    last().emit('click', {});
    expect(events).toEqual([{ kind: 'click', tag: '', seq: 7 }]);
  });

  it('calls shown once the OS has shown it, once, and never for a notification that failed', () => {
    const { notifier } = setup('darwin');
    expect(notifier.reportsShown).toBe(true);
    const shown = vi.fn();
    notifier.show(request(), shown);
    expect(shown).not.toHaveBeenCalled();
    last().emit('show', {});
    last().emit('show', {});
    expect(shown).toHaveBeenCalledTimes(1);

    const failed = vi.fn();
    notifier.show(request({ tag: 'f' }), failed);
    last().emit('failed', {}, 'not authorized');
    last().emit('show', {});
    expect(failed).not.toHaveBeenCalled();
  });

  it('keeps its handlers on each notification while it is on screen', () => {
    const { notifier } = setup('linux');
    notifier.show(request());
    for (const event of ['show', 'click', 'action', 'close', 'failed']) expect(last().listenerCount(event)).toBe(1);
  });
});

describe('the Electron notifier: critical alerts', () => {
  function alertsStandIn() {
    let acknowledge: ((seq: number) => void) | undefined;
    return {
      shown: [] as { seq: number; title: string; body: string }[],
      dismissed: [] as number[],
      showAlert(alert: { seq: number; title: string; body: string }) {
        this.shown.push(alert);
      },
      dismissAlert(seq: number) {
        this.dismissed.push(seq);
      },
      onAcknowledge(listener: (seq: number) => void) {
        acknowledge = listener;
      },
      acknowledge: (seq: number) => acknowledge?.(seq),
    };
  }

  const alert = request({ seq: 9, tag: 'seq:ops:fan', title: 'Fan failure', body: 'rack 4', urgency: 'critical', sticky: true, actions: [{ id: 'acknowledge', label: 'Acknowledge' }] });

  it('shows an alert that needs acknowledging in the alert window as well as in a notification', () => {
    const alerts = alertsStandIn();
    const { notifier } = setup('linux', { alerts });
    notifier.show(alert);
    notifier.show(request());
    expect(alerts.shown).toEqual([{ seq: 9, title: 'Fan failure', body: 'rack 4' }]);
    expect(recorded.notifications).toHaveLength(2);
  });

  it('passes Acknowledge in the alert window to the core as the acknowledge action of that notification', () => {
    const alerts = alertsStandIn();
    const { notifier, events } = setup('linux', { alerts });
    notifier.show(alert);
    alerts.acknowledge(9);
    expect(events).toEqual([{ kind: 'action', tag: 'seq:ops:fan', seq: 9, actionId: 'acknowledge' }]);
  });

  it('closes the alert window when the core withdraws the alert (acknowledged elsewhere, cleared, deleted)', () => {
    const alerts = alertsStandIn();
    const { notifier } = setup('linux', { alerts });
    notifier.show(alert);
    notifier.show({ ...alert, replace: true });
    expect(alerts.shown).toHaveLength(2);
    notifier.withdraw?.('seq:ops:fan');
    expect(alerts.dismissed).toEqual([9]);
    expect(last().closes).toBe(1);
  });

  it('replaces the alert window when a newer version of the message takes its tag, or no longer needs acknowledging', () => {
    const alerts = alertsStandIn();
    const { notifier } = setup('linux', { alerts });
    notifier.show(alert);
    notifier.show({ ...alert, seq: 11, body: 'rack 4, fan 2 too', replace: true });
    expect(alerts.dismissed).toEqual([9]);
    expect(alerts.shown.map((a) => a.seq)).toEqual([9, 11]);
    notifier.show(request({ seq: 12, tag: 'seq:ops:fan', title: 'Fan replaced', replace: true }));
    expect(alerts.dismissed).toEqual([9, 11]);
  });

  it('still raises the alert window where the system shows no notifications', () => {
    recorded.supported = false;
    const alerts = alertsStandIn();
    const { notifier } = setup('linux', { alerts });
    notifier.show(alert);
    expect(alerts.shown).toHaveLength(1);
  });
});
