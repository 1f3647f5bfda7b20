import mqtt, { type MqttClient } from 'mqtt';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startDesktopSession, type DesktopSession, type NotifyExchange } from '../helpers/desktop-session.ts';
import { sleep, startInProcessHub, type InProcessHub } from '../helpers/in-process-hub.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/net.ts';
import { NtfyTestServer } from '../helpers/ntfy-test-server.ts';

/**
 * The notification rules end to end: an in-process Hub on a real mosquitto (and the ntfy test server
 * for versions), raising notifications with notify-send on a private D-Bus session with dunst. Every
 * assertion about what popped up reads the Notify calls (and their replies) dbus-monitor recorded.
 *
 * The tests run concurrently (the critical alert alone waits over a minute for its repeat), so each
 * uses its own hub, data folder, topics and notification titles, and never dismisses notifications
 * (a dismissal would end another test's notification).
 */

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const SHORT_WEEKDAY: Readonly<Record<string, number>> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

/** "HH:MM" of a minute of the day. */
function clock(minuteOfDay: number): string {
  return `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;
}

/**
 * A quiet-hours window from `marginMin` before now to `marginMin` after, on the local wall clock of
 * `timeZone`. It is listed under the day it starts on, and ends on the next day when it crosses midnight.
 */
function quietWindowAround(nowMs: number, timeZone: string, marginMin: number): { days: string[]; start: string; end: string } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(nowMs);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  const today = SHORT_WEEKDAY[part('weekday')];
  if (today === undefined) throw new Error(`cannot read the weekday in ${timeZone}`);
  const minute = Number(part('hour')) * 60 + Number(part('minute'));
  let start = minute - marginMin;
  let startDay = today;
  if (start < 0) {
    start += 24 * 60;
    startDay = (today + 6) % 7;
  }
  return { days: [WEEKDAYS[startDay] as string], start: clock(start), end: clock((minute + marginMin) % (24 * 60)) };
}

let dir: string;
let broker: Mosquitto;
let desktop: DesktopSession;
const hubs: InProcessHub[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pushdesk-rules-'));
  [broker, desktop] = await Promise.all([startMosquitto(join(dir, 'broker')), startDesktopSession()]);
});

afterAll(async () => {
  await Promise.all(hubs.map((h) => h.stop().catch(() => undefined)));
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  await desktop?.stop();
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Starts a hub (kept for afterAll) with one MQTT connection to the test broker. */
async function mqttHub(
  name: string,
  connection: Record<string, unknown>,
  more: { notifications?: unknown; pastBacklog?: boolean; dataDir?: string; hubOptions?: Parameters<typeof startInProcessHub>[0]['hubOptions'] } = {},
): Promise<InProcessHub> {
  const started = await startInProcessHub({
    config: {
      deviceId: `rules-${name}`,
      ...(more.notifications === undefined ? {} : { notifications: more.notifications }),
      connections: [{ id: name, url: broker.url, reconnect: { baseMs: 50, capMs: 500 }, ...connection }],
    },
    dataDir: more.dataDir ?? join(dir, name),
    desktop,
    ...(more.pastBacklog === undefined ? {} : { pastBacklog: more.pastBacklog }),
    ...(more.hubOptions === undefined ? {} : { hubOptions: more.hubOptions }),
  });
  hubs.push(started);
  return started;
}

/** An mqtt.js client on the test broker (ended in afterAll). */
async function client(): Promise<MqttClient> {
  const c = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  clients.push(c);
  return c;
}

/** Publishes JSON messages at QoS 1, all in flight at once, resolving when the broker has them all. */
async function publishAll(publisher: MqttClient, topic: string, messages: readonly Record<string, unknown>[]): Promise<void> {
  await Promise.all(messages.map((m) => publisher.publishAsync(topic, JSON.stringify(m), { qos: 1 })));
}

/** The Notify calls (with replies) whose summary matches, in the order they went over the bus. */
function exchanges(match: (e: NotifyExchange) => boolean): NotifyExchange[] {
  return desktop.notifyExchanges().filter(match);
}

describe('notification rules on a real D-Bus desktop', { concurrent: true }, () => {
  it(
    'repeats an alert that requires acknowledgement in place every 30 s until acknowledged, then withdraws it and sends one acknowledged receipt',
    { timeout: 100_000 },
    async ({ expect }) => {
      const { hub } = await mqttHub('pager', {
        subscriptions: [{ topic: 'rules/pager/#', qos: 1, channel: 'Pager' }],
        receipts: { topic: 'receipts/{device}' },
      });
      const watcher = await client();
      const receipts: { status: string; messageId: string; receiptId: string }[] = [];
      watcher.on('message', (_topic, payload) => receipts.push(JSON.parse(payload.toString()) as (typeof receipts)[number]));
      await watcher.subscribeAsync('receipts/rules-pager', { qos: 1 });

      const title = 'Reactor 2 coolant flow low';
      const publisher = await client();
      await publishAll(publisher, 'rules/pager/reactor2', [
        { id: 'crit-1', title, message: 'Flow 12 l/min, minimum 20', priority: 5, ack: true, ack_repeat: 30 },
      ]);
      const first = await desktop.waitForExchange('the critical alert', (e) => e.summary === title);
      const firstAt = Date.now();
      expect(first.replacesId).toBe(0);
      expect(first.urgency).toBe(2);
      expect(first.expireTimeoutMs).toBe(0); // sticky: stays until acknowledged
      expect(first.actions).toContainEqual({ key: 'action-0', label: 'Acknowledge' });

      const repeat = await desktop.waitForExchange('the repeat', (e) => e.summary === title && e.replacesId !== 0, 40_000);
      const repeatAfterMs = Date.now() - firstAt;
      console.log(`critical alert: repeat ${repeatAfterMs} ms after the first Notify`);
      expect(repeatAfterMs).toBeGreaterThanOrEqual(28_000);
      expect(repeatAfterMs).toBeLessThanOrEqual(34_000);
      expect(repeat.replacesId).toBe(first.id);
      expect(repeat.id).toBe(first.id); // the same notification on screen, updated in place
      expect(repeat.urgency).toBe(2);
      expect(repeat.expireTimeoutMs).toBe(0);
      expect(repeat.actions).toContainEqual({ key: 'action-0', label: 'Acknowledge' });
      expect(exchanges((e) => e.summary === title)).toHaveLength(2);

      const seq = hub.listMessages({ limit: 10 }).find((m) => m.id === 'crit-1')?.seq;
      expect(seq).toBeDefined();
      const { receipt } = await hub.acknowledge(seq as number);
      expect(receipt).toBe('sent');
      await waitFor('CloseNotification of the alert', () => desktop.closeNotificationCalls().find((c) => c.id === first.id), 10_000);
      const ackedAt = Date.now();

      // The next repeat would have been due about 29 s after the acknowledgement: watch past it.
      await sleep(35_000 - (Date.now() - ackedAt));
      const all = exchanges((e) => e.summary === title);
      console.log(`critical alert: ${all.length} Notify calls, ${desktop.closeNotificationCalls().filter((c) => c.id === first.id).length} CloseNotification, receipts ${receipts.map((r) => r.status).join(', ')}`);
      expect(all).toHaveLength(2);
      expect(desktop.closeNotificationCalls().filter((c) => c.id === first.id)).toHaveLength(1);
      const mine = receipts.filter((r) => r.messageId === 'crit-1');
      expect(mine.filter((r) => r.status === 'acknowledged')).toHaveLength(1);
      expect(new Set(mine.map((r) => r.receiptId)).size).toBe(mine.length); // no duplicate of any receipt
      expect(hub.listMessages({ limit: 10 }).find((m) => m.id === 'crit-1')?.acknowledgedAtMs).toBeDefined();
    },
  );

  it('keeps messages from popping up in quiet hours, lets urgent ones through, and keeps both in history', async ({ expect }) => {
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const window = quietWindowAround(Date.now(), timeZone, 60);
    const { hub } = await mqttHub(
      'quiet',
      { subscriptions: [{ topic: 'rules/quiet/#', qos: 1, channel: 'Night shift' }] },
      { notifications: { quietHours: { enabled: true, windows: [window], urgentBypass: true } } },
    );
    const publisher = await client();
    // In order on one connection: when the urgent one has popped up, the normal one was decided before it.
    await publishAll(publisher, 'rules/quiet/a', [{ id: 'quiet-normal', title: 'Quiet: backup finished', priority: 3 }]);
    await publishAll(publisher, 'rules/quiet/b', [{ id: 'quiet-urgent', title: 'Quiet: server room on fire', priority: 5 }]);
    const urgent = await desktop.waitForExchange('the urgent message', (e) => e.summary === 'Quiet: server room on fire');
    await sleep(1000);
    console.log(`quiet hours ${window.days.join(',')} ${window.start}-${window.end} (${timeZone}): ${exchanges((e) => e.summary.startsWith('Quiet:')).length} Notify call(s)`);
    expect(urgent.urgency).toBe(2);
    expect(exchanges((e) => e.summary === 'Quiet: server room on fire')).toHaveLength(1);
    expect(exchanges((e) => e.summary === 'Quiet: backup finished')).toEqual([]);
    expect(hub.listMessages({ limit: 10 }).map((m) => m.id).sort()).toEqual(['quiet-normal', 'quiet-urgent']);
    expect(hub.channelCounts().find((c) => c.channel === 'Night shift')).toMatchObject({ unread: 2, total: 2 });
  });

  it('turns a storm of 500 messages into channelBurst pop-ups and one summary updated in place, with all 500 in history', async ({ expect }) => {
    const channel = 'Build storm';
    const { hub, notifier } = await mqttHub(
      'storm',
      { subscriptions: [{ topic: 'rules/storm/#', qos: 1, channel }] },
      { notifications: { storm: { enabled: true, channelBurst: 5, globalBurst: 10 } } },
    );
    const publisher = await client();
    const startedAt = Date.now();
    await publishAll(
      publisher,
      'rules/storm/ci',
      Array.from({ length: 500 }, (_, i) => ({ id: `storm-${i}`, title: `Storm #${i}`, message: `job ${i} failed`, priority: 3 })),
    );
    const publishedMs = Date.now() - startedAt;
    await waitFor('500 messages in history', () => (hub.listMessages({ limit: 1000 }).length === 500 ? true : undefined), 30_000);
    const last = await desktop.waitForExchange('the final summary', (e) => e.summary === `495 new in ${channel}`, 15_000);
    await sleep(1000); // time for a stray Notify to show up
    const individual = exchanges((e) => e.summary.startsWith('Storm #'));
    const summaries = exchanges((e) => e.summary.endsWith(` new in ${channel}`));
    console.log(
      `storm: published 500 in ${publishedMs} ms; ${individual.length} individual Notify, ${summaries.length} summary Notify (${summaries.map((s) => s.summary.split(' ')[0]).join(', ')}), notifier dropped ${notifier.dropped()}`,
    );
    // The first five, each once (up to four notify-send run at once, so their order on the bus varies).
    expect(individual.map((e) => e.summary).sort()).toEqual(['Storm #0', 'Storm #1', 'Storm #2', 'Storm #3', 'Storm #4']);
    expect(individual.every((e) => e.replacesId === 0)).toBe(true);
    // One summary notification: opened once, then only updated (updates still waiting are overtaken by newer ones).
    expect(summaries.filter((e) => e.replacesId === 0)).toHaveLength(1);
    const [opened, ...updates] = summaries;
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(opened?.summary).toBe(`1 new in ${channel}`);
    expect(opened?.replacesId).toBe(0);
    expect(opened?.id).toBeGreaterThan(0);
    for (const update of updates) {
      expect(update.replacesId).toBe(opened?.id);
      expect(update.id).toBe(opened?.id);
    }
    expect(last.body).toBe('Latest: Storm #499');
    expect(summaries.at(-1)?.summary).toBe(`495 new in ${channel}`);
    expect(hub.channelCounts().find((c) => c.channel === channel)).toMatchObject({ unread: 500, total: 500 });
  });

  it('sums up a backlog received after a reconnect in one digest, showing only the urgent message on its own', async ({ expect }) => {
    const connection = { subscriptions: [{ topic: 'rules/away/#', qos: 1, channel: 'Away' }] };
    const dataDir = join(dir, 'away');
    const publisher = await client();
    const first = await mqttHub('away', connection, { dataDir });
    // A message that arrives proves the subscription is in the broker's session before the hub goes away.
    await publishAll(publisher, 'rules/away/probe', [{ id: 'away-probe', title: 'Digest probe', priority: 2 }]);
    await waitFor('the probe in history', () => first.hub.listMessages({ limit: 10 }).find((m) => m.id === 'away-probe'));
    await first.stop();

    const backlog = [
      ...Array.from({ length: 18 }, (_, i) => ({ id: `away-${i}`, title: `Away #${i}`, priority: 3 })),
      { id: 'away-high', title: 'Away high', priority: 4 },
      { id: 'away-urgent', title: 'Away urgent', priority: 5 },
    ];
    for (const m of backlog) await publisher.publishAsync('rules/away/x', JSON.stringify(m), { qos: 1 });

    const second = await mqttHub('away', connection, { dataDir, pastBacklog: false });
    const reconnectedAt = Date.now();
    const digest = await desktop.waitForExchange('the digest', (e) => e.summary.includes('messages while you were away'), 20_000);
    const digestAfterMs = Date.now() - reconnectedAt;
    await sleep(2000); // time for stray pop-ups of the backlog
    const digests = exchanges((e) => e.summary.includes('while you were away'));
    const shown = exchanges((e) => e.summary.startsWith('Away '));
    console.log(`digest: "${digest.summary}" ${digestAfterMs} ms after reconnect; ${digests.length} digest Notify, individual: ${shown.map((e) => e.summary).join(', ')}`);
    expect(digests).toHaveLength(1);
    expect(digest.summary).toBe('20 messages while you were away, 2 high priority');
    expect(shown.map((e) => e.summary)).toEqual(['Away urgent']);
    expect(shown[0]?.urgency).toBe(2);
    // The urgent one popped up as it came, before the backlog ended.
    const order = desktop.notifyExchanges().map((e) => e.summary);
    expect(order.indexOf('Away urgent')).toBeLessThan(order.indexOf(digest.summary));
    expect(second.hub.listMessages({ limit: 100 })).toHaveLength(21);
    expect(second.hub.channelCounts().find((c) => c.channel === 'Away')).toMatchObject({ unread: 21, total: 21 });
  });

  it('updates an ntfy message in place when a new version names its id as sequence id', async ({ expect }) => {
    const server = await NtfyTestServer.start({ keepaliveIntervalMs: 0 });
    try {
      const { hub } = await startInProcessHub({
        config: {
          deviceId: 'rules-versions',
          connections: [{ id: 'push', kind: 'ntfy', url: server.url, reconnect: { baseMs: 50, capMs: 500 }, subscriptions: [{ topic: 'deploys', channel: 'Deploys' }] }],
        },
        dataDir: join(dir, 'versions'),
        desktop,
      }).then((h) => (hubs.push(h), h));
      const title = 'Versions: deploy web-7';
      const v1 = server.publish('deploys', 'Deploy 1 of 3 done', { title });
      const first = await desktop.waitForExchange('version 1', (e) => e.summary === title && e.body === 'Deploy 1 of 3 done');
      server.publishUpdate(v1.id, 'deploys', 'Deploy 2 of 3 done', { title });
      const second = await desktop.waitForExchange('version 2', (e) => e.summary === title && e.body === 'Deploy 2 of 3 done');
      server.publishUpdate(v1.id, 'deploys', 'Deploy failed', { title, priority: 5 });
      const third = await desktop.waitForExchange('version 3', (e) => e.summary === title && e.body === 'Deploy failed');
      console.log(`versions: Notify ids ${first.id} / ${second.id} (replaces ${second.replacesId}) / ${third.id} (replaces ${third.replacesId})`);
      expect(first.replacesId).toBe(0);
      expect(second.replacesId).toBe(first.id);
      expect(second.id).toBe(first.id);
      expect(second.hints['suppress-sound']).toBe('boolean true'); // a progress update does not alert again
      expect(third.replacesId).toBe(first.id);
      expect(third.id).toBe(first.id);
      expect(third.urgency).toBe(2); // an escalation does
      expect(third.hints['suppress-sound']).toBeUndefined();
      expect(exchanges((e) => e.summary === title)).toHaveLength(3);
      await waitFor('the older versions to leave history', () => (hub.listMessages({ limit: 10 }).length === 1 ? true : undefined));
      expect(hub.listMessages({ limit: 10 }).map((m) => m.body)).toEqual(['Deploy failed']);
    } finally {
      await server.close();
    }
  });

  it('rejects javascript:, file: and data: action links at decode, and opens only a checked https link', async ({ expect }) => {
    const posted: string[] = [];
    const { hub, logger } = await mqttHub(
      'links',
      { subscriptions: [{ topic: 'rules/links/#', qos: 1, channel: 'Links' }] },
      { hubOptions: { httpAction: async (url) => (posted.push(url), { status: 200 }) } },
    );
    const opened: string[] = [];
    hub.on('openLink', (url) => opened.push(url));
    const publisher = await client();
    await publishAll(publisher, 'rules/links/bad', [
      { id: 'link-js', title: 'Link js', actions: [{ action: 'view', label: 'Open', url: 'javascript:alert(document.cookie)' }] },
      { id: 'link-file', title: 'Link file', actions: [{ action: 'view', label: 'Open', url: 'file:///etc/passwd' }] },
      { id: 'link-data', title: 'Link data', actions: [{ action: 'http', label: 'Post', url: 'data:text/html,<script>alert(1)</script>' }] },
    ]);
    const url = 'https://ci.example.com/builds/17';
    await publishAll(publisher, 'rules/links/good', [
      {
        id: 'link-ok',
        title: 'Link ok: build 17 failed',
        actions: [
          { action: 'view', label: 'Open build', url },
          { action: 'http', label: 'Retry', url: `${url}/retry` },
        ],
      },
    ]);
    const good = await desktop.waitForExchange('the valid message', (e) => e.summary === 'Link ok: build 17 failed');
    expect(good.actions).toEqual([
      { key: 'default', label: 'Open' },
      { key: 'action-0', label: 'Open build' },
      { key: 'action-1', label: 'Retry' },
    ]);

    const rejected = logger.lines.filter((l) => l.message === 'rejected a malformed message');
    console.log(`links: rejected ${rejected.length}: ${rejected.map((l) => l.fields?.reason).join(' | ')}`);
    expect(rejected).toHaveLength(3);
    for (const line of rejected) {
      expect(line.level).toBe('warn');
      expect(line.fields).toMatchObject({ connection: 'links', topic: 'rules/links/bad', reason: 'field "actions.0.url" must be an http:// or https:// URL' });
    }
    expect(hub.listMessages({ limit: 10 }).map((m) => m.id)).toEqual(['link-ok']);
    expect(exchanges((e) => /^Link (js|file|data)$/.test(e.summary))).toEqual([]);
    expect(opened).toEqual([]);

    const seq = hub.listMessages({ limit: 10 })[0]?.seq as number;
    hub.chooseNotificationAction(seq, 'view:0');
    expect(opened).toEqual([url]);
    hub.chooseNotificationAction(seq, 'view:7'); // no such action: nothing opens
    expect(opened).toEqual([url]);

    // The same button chosen on the real notification, through dunst's menu.
    await desktop.invokeAction(good.id as number, 'action-0');
    await waitFor('the link from the notification button', () => (opened.length === 2 ? true : undefined));
    expect(opened).toEqual([url, url]);
    expect(posted).toEqual([]);
  });
});
