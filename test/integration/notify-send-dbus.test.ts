import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Logger, LogFields } from '../../electron/core/logger.ts';
import type { NotificationRequest, NotifierEvent } from '../../electron/core/notify/notifier.ts';
import { createNotifySendNotifier, notifySendAvailable, type NotifySendNotifier, type NotifySendNotifierOptions } from '../../electron/headless/notify-send-notifier.ts';
import { startDesktopSession, type DesktopSession, type NotifyExchange } from '../helpers/desktop-session.ts';
import { waitFor } from '../helpers/net.ts';

/**
 * The notify-send Notifier against a real notification server: a private D-Bus session bus with
 * dunst, every call and reply recorded by dbus-monitor. Clicks and buttons are chosen through dunst's
 * context menu, dismissals with dunstctl, as a person would.
 */

let session: DesktopSession;
const notifiers: NotifySendNotifier[] = [];

beforeAll(async () => {
  session = await startDesktopSession();
});

afterEach(async () => {
  for (const notifier of notifiers.splice(0)) notifier.dispose();
  await session.dismissAll();
});

afterAll(async () => {
  await session?.stop();
});

interface Recorded {
  readonly notifier: NotifySendNotifier;
  readonly events: NotifierEvent[];
  readonly warnings: { message: string; fields: LogFields | undefined }[];
}

function notifierFor(options: Partial<NotifySendNotifierOptions> = {}): Recorded {
  const warnings: Recorded['warnings'] = [];
  const logger: Logger = {
    info() {},
    warn: (message, fields) => warnings.push({ message, fields }),
    error: (message, fields) => warnings.push({ message, fields }),
  };
  const notifier = createNotifySendNotifier({ appName: 'Pushdesk', logger, env: { ...process.env, ...session.env }, ...options });
  const events: NotifierEvent[] = [];
  notifier.onEvent((event) => events.push(event));
  notifiers.push(notifier);
  return { notifier, events, warnings };
}

let nextSeq = 1;

/** A request with a title no other test uses. */
function request(title: string, more: Partial<NotificationRequest> = {}): NotificationRequest {
  return { seq: nextSeq++, title: `${title} #${nextSeq}`, body: 'body', urgency: 'normal', channel: 'plant', ...more };
}

/** Shows a request and resolves once the notifier called `shown`. */
async function show(notifier: NotifySendNotifier, req: NotificationRequest): Promise<void> {
  let shown = false;
  notifier.show(req, () => (shown = true));
  await waitFor(`"${req.title}" to be shown`, () => (shown ? true : undefined));
}

/** The Notify call for a request and the id the server returned. */
function exchangeFor(req: NotificationRequest): Promise<NotifyExchange & { id: number }> {
  return session.waitForExchange(req.title, (e) => e.summary === req.title) as Promise<NotifyExchange & { id: number }>;
}

describe('notify-send notifier on a real D-Bus session', () => {
  it('finds notify-send on this machine', () => {
    expect(notifySendAvailable()).toBe(true);
    expect(notifySendAvailable({ PATH: '/nonexistent' })).toBe(false);
  });

  it('updates a tagged notification in place when asked to replace, and adds a new one otherwise', async () => {
    const { notifier } = notifierFor();
    const first = request('Boiler v1', { tag: 'seq:c1:boiler' });
    await show(notifier, first);
    const sent = await exchangeFor(first);
    expect(sent.replacesId).toBe(0);

    const second = request('Boiler v2', { tag: 'seq:c1:boiler', replace: true });
    await show(notifier, second);
    const updated = await exchangeFor(second);
    expect(updated.replacesId).toBe(sent.id);
    expect(updated.id).toBe(sent.id);

    const third = request('Boiler v3', { tag: 'seq:c1:boiler' });
    await show(notifier, third);
    const added = await exchangeFor(third);
    expect(added.replacesId).toBe(0);
    expect(added.id).not.toBe(sent.id);

    // A replace of a tag never shown is a new notification too.
    const other = request('Other', { tag: 'seq:c1:other', replace: true });
    await show(notifier, other);
    expect((await exchangeFor(other)).replacesId).toBe(0);
  });

  it('withdraws a notification by closing its D-Bus id, and forgets the tag', async () => {
    const { notifier, events } = notifierFor({ reportClicks: false });
    const req = request('Door open', { tag: 'seq:c1:door' });
    await show(notifier, req);
    const { id } = await exchangeFor(req);

    notifier.withdraw('seq:c1:door');
    await waitFor('CloseNotification', () => session.closeNotificationCalls().find((c) => c.id === id));
    await waitFor('NotificationClosed (closed by a call)', () => session.closedSignals().find((s) => s.id === id && s.reason === 3));

    // The tag is forgotten: a later replace makes a new notification.
    const again = request('Door open again', { tag: 'seq:c1:door', replace: true });
    await show(notifier, again);
    expect((await exchangeFor(again)).replacesId).toBe(0);
    expect(events).toEqual([]);
  });

  it('runs requests for one tag in order: a replace right after a show waits for its id', async () => {
    const { notifier } = notifierFor({ reportClicks: false });
    const v1 = request('Tank v1', { tag: 'seq:c1:tank' });
    const v2 = request('Tank v2', { tag: 'seq:c1:tank', replace: true });
    notifier.show(v1);
    notifier.show(v2);
    const first = await exchangeFor(v1);
    const second = await exchangeFor(v2);
    expect(second.replacesId).toBe(first.id);
  });

  it('withdraws a notification whose id has not come back yet, and drops its update still waiting', async () => {
    const { notifier } = notifierFor({ reportClicks: false });
    const v1 = request('Silo v1', { tag: 'seq:c1:silo' });
    notifier.show(v1);
    notifier.show(request('Silo v2', { tag: 'seq:c1:silo', replace: true }));
    notifier.withdraw('seq:c1:silo');
    expect(notifier.dropped()).toBe(1);
    const { id } = await exchangeFor(v1);
    await waitFor('CloseNotification', () => session.closeNotificationCalls().find((c) => c.id === id));
    expect(session.notifyExchanges().filter((e) => e.summary.startsWith('Silo v2'))).toEqual([]);
  });

  it('withdraws with dbus-send when gdbus is missing', async () => {
    const { notifier, warnings } = notifierFor({ reportClicks: false, programs: { gdbus: null } });
    const req = request('Gate open', { tag: 'seq:c1:gate' });
    await show(notifier, req);
    const { id } = await exchangeFor(req);
    notifier.withdraw('seq:c1:gate');
    await waitFor('CloseNotification', () => session.closeNotificationCalls().find((c) => c.id === id));
    await waitFor('NotificationClosed (closed by a call)', () => session.closedSignals().find((s) => s.id === id && s.reason === 3));
    expect(warnings).toEqual([]);
  });

  it('sends urgency, expire timeout, sound, category and app name as the spec names them', async () => {
    const { notifier } = notifierFor({ reportClicks: false });
    const low = request('Low', { urgency: 'low' });
    const normal = request('Normal', { urgency: 'normal', silent: true });
    const critical = request('Critical', { urgency: 'critical' });
    const sticky = request('Sticky', { urgency: 'critical', sticky: true });
    for (const req of [low, normal, critical, sticky]) await show(notifier, req);

    const [l, n, c, s] = await Promise.all([low, normal, critical, sticky].map(exchangeFor));
    expect([l?.urgency, n?.urgency, c?.urgency, s?.urgency]).toEqual([0, 1, 2, 2]);
    expect([l?.expireTimeoutMs, n?.expireTimeoutMs, c?.expireTimeoutMs, s?.expireTimeoutMs]).toEqual([-1, -1, -1, 0]);
    expect(n?.hints['suppress-sound']).toBe('boolean true');
    expect(l?.hints['suppress-sound']).toBeUndefined();
    expect(s?.hints.category).toBe('string "im.received"');
    expect(s?.appName).toBe('Pushdesk');
  });

  it('delivers plain text: markup escaped in the body, a leading dash kept as text, NUL bytes removed', async () => {
    const { notifier, warnings } = notifierFor({ reportClicks: false });
    const req = request('-u critical', { body: '--help <b>bold</b> & more\0', urgency: 'low' });
    await show(notifier, req);
    const sent = await session.waitForExchange('dash title', (e) => e.summary.startsWith('\u2060-u critical'));
    expect(sent.summary).toBe(`\u2060${req.title}`);
    expect(sent.body).toBe('\u2060--help &lt;b&gt;bold&lt;/b&gt; &amp; more');
    expect(sent.urgency).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('calls shown only once the server returned an id, and logs a failure with the seq', async () => {
    const { notifier } = notifierFor({ reportClicks: false });
    const req = request('Shown');
    let shownCalls = 0;
    notifier.show(req, () => shownCalls++);
    await waitFor('shown', () => (shownCalls > 0 ? true : undefined));
    expect((await exchangeFor(req)).id).toBeGreaterThan(0);
    expect(shownCalls).toBe(1);

    const broken = notifierFor({ env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', DISPLAY: '' } });
    const lost = request('Lost');
    let lostShown = false;
    broken.notifier.show(lost, () => (lostShown = true));
    const warning = await waitFor('the failure to be logged', () => broken.warnings.find((w) => w.message === 'notification not shown'));
    expect(warning.fields?.seq).toBe(lost.seq);
    expect(String(warning.fields?.error)).toMatch(/notify-send failed/);
    expect(lostShown).toBe(false);
  });

  it('reports the chosen button with its id, and no dismissal after it', async () => {
    const { notifier, events } = notifierFor();
    const req = request('Alarm', {
      tag: 'seq:c1:alarm',
      sticky: true,
      actions: [
        { id: 'ack', label: 'Acknowledge' },
        { id: 'snooze', label: 'Snooze 1 h' },
      ],
    });
    await show(notifier, req);
    const sent = await exchangeFor(req);
    expect(sent.actions).toEqual([
      { key: 'default', label: 'Open' },
      { key: 'action-0', label: 'Acknowledge' },
      { key: 'action-1', label: 'Snooze 1 h' },
    ]);
    expect(notifier.listening()).toBe(1);

    await session.invokeAction(sent.id, 'action-1');
    await waitFor('the process to end', () => (notifier.listening() === 0 ? true : undefined));
    expect(events).toEqual([{ kind: 'action', tag: 'seq:c1:alarm', seq: req.seq, actionId: 'snooze' }]);
  });

  it('reports a click on the notification', async () => {
    const { notifier, events } = notifierFor();
    const req = request('Click me', { tag: 'msg:c1:9', sticky: true });
    await show(notifier, req);
    const sent = await exchangeFor(req);
    await session.invokeAction(sent.id, 'default');
    await waitFor('the process to end', () => (notifier.listening() === 0 ? true : undefined));
    expect(events).toEqual([{ kind: 'click', tag: 'msg:c1:9', seq: req.seq }]);
  });

  it('reports a dismissal, but not for a notification it withdrew itself', async () => {
    const { notifier, events } = notifierFor();
    const withdrawn = request('Withdrawn', { tag: 'msg:c1:w', sticky: true, actions: [{ id: 'ack', label: 'Acknowledge' }] });
    await show(notifier, withdrawn);
    const { id } = await exchangeFor(withdrawn);
    notifier.withdraw('msg:c1:w');
    await waitFor('NotificationClosed (closed by a call)', () => session.closedSignals().find((s) => s.id === id && s.reason === 3));
    await waitFor('the process to end', () => (notifier.listening() === 0 ? true : undefined));

    const dismissed = request('Dismissed', { tag: 'msg:c1:d', sticky: true });
    await show(notifier, dismissed);
    await exchangeFor(dismissed);
    await session.dismissAll();
    await waitFor('the process to end', () => (notifier.listening() === 0 ? true : undefined));
    expect(events).toEqual([{ kind: 'dismissed', tag: 'msg:c1:d', seq: dismissed.seq }]);
  });

  it('hands the events of a replaced notification to its new version, once', async () => {
    const { notifier, events } = notifierFor();
    const actions = [{ id: 'ack', label: 'Acknowledge' }];
    const v1 = request('Level v1', { tag: 'seq:c1:level', sticky: true, actions });
    await show(notifier, v1);
    const { id } = await exchangeFor(v1);
    const v2 = request('Level v2', { tag: 'seq:c1:level', sticky: true, replace: true, actions });
    await show(notifier, v2);
    expect((await exchangeFor(v2)).id).toBe(id);
    await waitFor('the first process to stop', () => (notifier.listening() === 1 ? true : undefined));

    await session.invokeAction(id, 'action-0');
    await waitFor('the process to end', () => (notifier.listening() === 0 ? true : undefined));
    expect(events).toEqual([{ kind: 'action', tag: 'seq:c1:level', seq: v2.seq, actionId: 'ack' }]);
  });

  it('keeps at most 16 processes open and makes room for buttons by giving up a click-only one', async () => {
    const { notifier, warnings } = notifierFor();
    const many = Array.from({ length: 20 }, (_, i) => request(`Burst ${i}`, { tag: `msg:c1:b${i}`, sticky: true }));
    await Promise.all(many.map((req) => show(notifier, req)));
    expect(notifier.listening()).toBe(16);
    expect(notifier.dropped()).toBe(0);

    const withButtons = request('Needs an answer', { tag: 'msg:c1:answer', sticky: true, actions: [{ id: 'ack', label: 'Acknowledge' }] });
    await show(notifier, withButtons);
    const sent = await exchangeFor(withButtons);
    expect(sent.actions.map((a) => a.key)).toEqual(['default', 'action-0']);
    expect(notifier.listening()).toBe(16);
    expect(warnings).toEqual([]);
  });
});
