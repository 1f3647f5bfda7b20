import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, closeSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiService } from '../../electron/core/api-service.ts';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub } from '../../electron/core/hub.ts';
import type { Logger, LogFields } from '../../electron/core/logger.ts';
import type { StoredMessage } from '../../electron/core/message/message.ts';
import type { NotificationRequest, Notifier } from '../../electron/core/notify/notifier.ts';
import type { Receipt } from '../../electron/core/receipts/receipt.ts';
import { DATABASE_FILE, MessageStore } from '../../electron/core/store/message-store.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/net.ts';

/**
 * The store's features through a running Hub against a real mosquitto: receipt statuses as a
 * separate MQTT client sees them, mark-channel-read, data feeds, and a damaged store at start.
 */

/** A notifier that remembers what it was asked to show. */
class RecordingNotifier implements Notifier {
  readonly shown: NotificationRequest[] = [];
  show(request: NotificationRequest): void {
    this.shown.push(request);
  }
}

/** A logger that keeps its lines. */
function recordingLogger(): Logger & { lines: { level: string; message: string; fields?: LogFields | undefined }[] } {
  const lines: { level: string; message: string; fields?: LogFields | undefined }[] = [];
  return {
    lines,
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
  };
}

/** A receipt as the watcher got it, with what the notifier had shown by then. */
interface SeenReceipt {
  readonly topic: string;
  readonly receipt: Receipt;
  readonly shownSeqsAtArrival: readonly number[];
}

/** An MQTT client, separate from the hub, that collects every receipt published under `filter`. */
async function watchReceipts(url: string, filter: string, notifier?: RecordingNotifier): Promise<{ seen: SeenReceipt[]; client: MqttClient }> {
  const seen: SeenReceipt[] = [];
  const client = await mqtt.connectAsync(url, { clientId: `watcher-${randomBytes(4).toString('hex')}` });
  client.on('message', (topic, payload) => {
    seen.push({ topic, receipt: JSON.parse(payload.toString()) as Receipt, shownSeqsAtArrival: notifier?.shown.map((n) => n.seq) ?? [] });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { seen, client };
}

/** A hub with everything a test looks at recorded. */
interface RunningHub {
  readonly hub: Hub;
  readonly notifier: RecordingNotifier;
  readonly logger: ReturnType<typeof recordingLogger>;
  /** Every message the hub reported as added, in order. */
  readonly added: StoredMessage[];
  /** Waits until a message with this id was reported as added, and returns it. */
  stored(id: string): Promise<StoredMessage>;
}

function runHub(config: unknown, dataDir: string): RunningHub {
  const notifier = new RecordingNotifier();
  const logger = recordingLogger();
  // These tests are about the store and receipts: every message pops up (no digest, no storm summary).
  const hub = new Hub({
    config: parseConfig({ notifications: { digest: { enabled: false }, storm: { enabled: false } }, ...(config as object) }),
    dataDir,
    notifier,
    logger,
  });
  const added: StoredMessage[] = [];
  hub.on('messagesAdded', (batch) => added.push(...batch));
  return {
    hub,
    notifier,
    logger,
    added,
    stored: (id) => waitFor(`message ${id} stored`, () => added.find((m) => m.id === id)),
  };
}

/** Starts the hub, waits for every connection, and publishes probes until each topic is subscribed. */
async function startAndProbe(running: RunningHub, publisher: MqttClient, probeTopics: readonly string[]): Promise<void> {
  running.hub.start();
  await waitFor('every connection up', () => (running.hub.connectionStatuses().every((s) => s.state === 'connected') ? true : undefined));
  for (const topic of probeTopics) {
    const id = `probe-${topic.replace(/\W/g, '-')}`;
    const probe = setInterval(() => void publisher.publishAsync(topic, JSON.stringify({ id, title: 'probe' }), { qos: 1 }), 100);
    try {
      await running.stored(id);
    } finally {
      clearInterval(probe);
    }
  }
}

async function publishJson(publisher: MqttClient, topic: string, payload: Record<string, unknown>): Promise<void> {
  await publisher.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
}

describe('the hub with its store, against a real mosquitto', () => {
  let dir: string;
  let broker: Mosquitto;
  let publisher: MqttClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-store-hub-'));
    broker = await startMosquitto(join(dir, 'broker'));
    publisher = await mqtt.connectAsync(broker.url, { clientId: 'store-hub-publisher' });
  });
  afterAll(async () => {
    await publisher?.endAsync();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('receipt statuses, end to end', () => {
    const device = 'status-desk';
    let running: RunningHub;
    let watcher: { seen: SeenReceipt[]; client: MqttClient };
    let sentinels = 0;

    /** Receipts seen for one message id, in arrival order. */
    const receiptsOf = (messageId: string): SeenReceipt[] => watcher.seen.filter((s) => s.receipt.messageId === messageId);
    const statusesOf = (messageId: string): string[] => receiptsOf(messageId).map((s) => s.receipt.status);
    const waitReceipt = (messageId: string, status: string): Promise<SeenReceipt> =>
      waitFor(`the ${status} receipt of ${messageId}`, () => receiptsOf(messageId).find((s) => s.receipt.status === status));

    /**
     * Waits until every receipt queued so far on a connection has reached the watcher: a connection's
     * outbox is sent in order, so once a receipt queued now arrives, all earlier ones have.
     */
    async function drain(connection: 'main' | 'noread'): Promise<void> {
      const id = `sentinel-${connection}-${++sentinels}`;
      if (connection === 'main') {
        await publishJson(publisher, 'tasks/sentinel', { id, title: 'sentinel' });
        await running.hub.markRead((await running.stored(id)).seq);
        await waitReceipt(id, 'read');
      } else {
        await publishJson(publisher, 'noread/sentinel', { id, title: 'sentinel', receipts: ['acknowledged'] });
        await running.hub.acknowledge((await running.stored(id)).seq);
        await waitReceipt(id, 'acknowledged');
      }
    }

    beforeAll(async () => {
      const receipts = { topic: 'receipts/{device}/{connection}', qos: 1 };
      const config = {
        deviceId: device,
        connections: [
          {
            id: 'main',
            url: broker.url,
            reconnect: { baseMs: 100, capMs: 500 },
            subscriptions: [
              { topic: 'tasks/#', qos: 1, channel: 'Tasks' },
              { topic: 'limited/#', qos: 1, channel: 'Limited', receipts: ['delivered'] },
            ],
            receipts,
          },
          {
            id: 'noread',
            url: broker.url,
            reconnect: { baseMs: 100, capMs: 500 },
            subscriptions: [{ topic: 'noread/#', qos: 1, channel: 'NoRead' }],
            receipts: { ...receipts, statuses: ['delivered', 'displayed', 'acknowledged', 'action'] },
          },
        ],
      };
      running = runHub(config, join(dir, 'statuses'));
      watcher = await watchReceipts(broker.url, `receipts/${device}/#`, running.notifier);
      await startAndProbe(running, publisher, ['tasks/probe', 'limited/probe', 'noread/probe']);
    });
    afterAll(async () => {
      await running?.hub.stop();
      await watcher?.client.endAsync();
    });

    it('publishes delivered, once, for a message that asks for it, and nothing for one that does not', async () => {
      await publishJson(publisher, 'tasks/deliver', { id: 'plain-1', title: 'asks for nothing special' });
      await publishJson(publisher, 'tasks/deliver', { id: 'deliver-1', title: 'asks for delivered', receipts: ['delivered'] });
      const plain = await running.stored('plain-1');
      await running.stored('deliver-1');
      // Nothing else has been queued on this connection: the delivered receipt must go out on its own
      // (it once waited in the outbox until another receipt or a reconnect woke the sender).
      const delivered = await waitReceipt('deliver-1', 'delivered');
      expect(delivered.topic).toBe(`receipts/${device}/main`);
      expect(delivered.receipt).toMatchObject({
        type: 'receipt',
        messageId: 'deliver-1',
        channel: 'Tasks',
        topic: 'tasks/deliver',
        status: 'delivered',
        deviceId: device,
      });
      expect(delivered.receipt.receiptId).toMatch(/^[0-9a-f-]{36}$/);
      await drain('main');
      expect(statusesOf('deliver-1')).toEqual(['delivered']);
      expect(statusesOf('plain-1')).toEqual([]);
      // plain-1 asked for nothing: its default is a read receipt, only once it is read.
      expect((await running.hub.markRead(plain.seq)).receipt).toBe('sent');
      // "sent" means the broker acknowledged it; the watching client may see it a moment later.
      await waitReceipt('plain-1', 'read');
      await drain('main');
      expect(statusesOf('plain-1')).toEqual(['read']);
    });

    it('publishes displayed only after the notifier has shown the message', async () => {
      await publishJson(publisher, 'tasks/display', { id: 'display-1', title: 'show me', receipts: ['displayed'] });
      const message = await running.stored('display-1');
      const displayed = await waitReceipt('display-1', 'displayed');
      expect(displayed.shownSeqsAtArrival).toContain(message.seq);
      expect(running.notifier.shown.filter((n) => n.seq === message.seq)).toHaveLength(1);
      const [kept] = running.hub.search({ text: undefined, channel: 'Tasks', limit: 1, beforeSeq: message.seq + 1 }).messages;
      expect(kept?.displayedAtMs).toBeTypeOf('number');
      expect(displayed.receipt.time).toBe(new Date(kept?.displayedAtMs ?? 0).toISOString());
      await drain('main');
      expect(statusesOf('display-1')).toEqual(['displayed']);
    });

    it('publishes read after markRead, once: marking it read again sends nothing', async () => {
      await publishJson(publisher, 'tasks/read', { id: 'read-1', title: 'read me' });
      const message = await running.stored('read-1');
      await drain('main');
      expect(statusesOf('read-1')).toEqual([]);
      const first = await running.hub.markRead(message.seq);
      expect(first.receipt).toBe('sent');
      const read = await waitReceipt('read-1', 'read');
      expect(read.receipt.time).toBe(new Date(first.message.readAtMs ?? 0).toISOString());
      expect((await running.hub.markRead(message.seq)).receipt).toBe('already-read');
      await drain('main');
      expect(statusesOf('read-1')).toEqual(['read']);
    });

    it('publishes acknowledged after acknowledge, and the message is then read', async () => {
      await publishJson(publisher, 'tasks/ack', { id: 'ack-1', title: 'acknowledge me', ack: true });
      const message = await running.stored('ack-1');
      expect(message.requiresAck).toBe(true);
      const outcome = await running.hub.acknowledge(message.seq);
      expect(outcome.receipt).toBe('sent');
      expect(outcome.message.acknowledgedAtMs).toBeTypeOf('number');
      expect(outcome.message.readAtMs).toBe(outcome.message.acknowledgedAtMs);
      await waitReceipt('ack-1', 'acknowledged');
      expect((await running.hub.acknowledge(message.seq)).receipt).toBe('already-read');
      expect((await running.hub.markRead(message.seq)).receipt).toBe('already-read');
      await drain('main');
      expect(statusesOf('ack-1').filter((s) => s === 'acknowledged')).toHaveLength(1);
    });

    it('publishes every status a message asks for, each once with its own receipt id, action:<id> included', async () => {
      const all = ['delivered', 'displayed', 'read', 'acknowledged', 'action'];
      await publishJson(publisher, 'tasks/all', { id: 'all-1', title: 'everything', receipts: all });
      await publishJson(publisher, 'tasks/all', { id: 'noaction-1', title: 'no actions asked for' });
      const message = await running.stored('all-1');
      const other = await running.stored('noaction-1');
      await waitReceipt('all-1', 'displayed');
      expect((await running.hub.markRead(message.seq)).receipt).toBe('sent');
      expect((await running.hub.acknowledge(message.seq)).receipt).toBe('sent');
      expect(running.hub.chooseAction(message.seq, 'approve')).toBe('pending');
      await waitReceipt('all-1', 'action:approve');
      expect(running.hub.chooseAction(other.seq, 'approve')).toBe('not-configured');
      expect(() => running.hub.chooseAction(999_999, 'approve')).toThrow(/no message with seq 999999/);
      await drain('main');
      expect(statusesOf('all-1')).toEqual(['delivered', 'displayed', 'read', 'acknowledged', 'action:approve']);
      expect(new Set(receiptsOf('all-1').map((s) => s.receipt.receiptId)).size).toBe(5);
      expect(statusesOf('noaction-1')).toEqual([]);
    });

    it("sends no read receipt on a connection whose statuses leave out 'read', even when the message asks", async () => {
      await publishJson(publisher, 'noread/x', { id: 'noread-1', title: 'read is not allowed here', receipts: ['delivered', 'read'] });
      const message = await running.stored('noread-1');
      expect((await running.hub.markRead(message.seq)).receipt).toBe('not-configured');
      await drain('noread');
      expect(statusesOf('noread-1')).toEqual(['delivered']);
      expect(receiptsOf('noread-1')[0]?.topic).toBe(`receipts/${device}/noread`);
    });

    it("limits a channel to its subscription's receipts: only delivered on a ['delivered'] subscription", async () => {
      await publishJson(publisher, 'limited/x', { id: 'limited-1', title: 'limited', receipts: ['delivered', 'displayed', 'read'] });
      const message = await running.stored('limited-1');
      expect(running.notifier.shown.some((n) => n.seq === message.seq)).toBe(true);
      expect((await running.hub.markRead(message.seq)).receipt).toBe('not-configured');
      await drain('main');
      expect(statusesOf('limited-1')).toEqual(['delivered']);
    });

    it('never sends two receipts with the same id, and never one for a probe that nobody read', () => {
      const ids = watcher.seen.map((s) => s.receipt.receiptId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(watcher.seen.filter((s) => s.receipt.messageId.startsWith('probe-'))).toEqual([]);
    });
  });

  describe('mark a channel read', () => {
    const device = 'channel-desk';
    let running: RunningHub;
    let watcher: { seen: SeenReceipt[]; client: MqttClient };

    beforeAll(async () => {
      running = runHub(
        {
          deviceId: device,
          connections: [
            {
              id: 'counts',
              url: broker.url,
              reconnect: { baseMs: 100, capMs: 500 },
              subscriptions: [
                { topic: 'alpha/#', qos: 1, channel: 'Alpha' },
                { topic: 'beta/#', qos: 1, channel: 'Beta' },
                { topic: 'gamma/#', qos: 1, channel: 'Gamma' },
              ],
              receipts: { topic: 'receipts/{device}/{channel}', qos: 1 },
            },
          ],
        },
        join(dir, 'channels'),
      );
      watcher = await watchReceipts(broker.url, `receipts/${device}/#`);
      await startAndProbe(running, publisher, ['alpha/probe', 'beta/probe', 'gamma/probe']);
    });
    afterAll(async () => {
      await running?.hub.stop();
      await watcher?.client.endAsync();
    });

    it('sends one read receipt per unread message of the channel, none for other channels, and its unread count drops to 0', async () => {
      for (let i = 0; i < 5; i++) await publishJson(publisher, 'alpha/a', { id: `alpha-${i}`, title: `alpha ${i}` });
      for (let i = 0; i < 3; i++) await publishJson(publisher, 'beta/b', { id: `beta-${i}`, title: `beta ${i}` });
      await running.stored('alpha-4');
      await running.stored('beta-2');
      // One Alpha message read on its own first: it must not get a second receipt.
      expect((await running.hub.markRead((await running.stored('alpha-0')).seq)).receipt).toBe('sent');
      const unreadAlpha = running.hub.search({ channel: 'Alpha', unreadOnly: true, limit: 1000 }).messages.map((m) => m.id);
      expect(unreadAlpha).toContain('alpha-4');
      expect(unreadAlpha).not.toContain('alpha-0');
      const betaBefore = running.hub.channelCounts().find((c) => c.channel === 'Beta');
      expect(betaBefore?.unread).toBeGreaterThanOrEqual(3);

      const updated: StoredMessage[] = [];
      running.hub.on('messageUpdated', (m) => updated.push(m));
      const result = running.hub.markChannelRead('Alpha');
      expect(result).toEqual({ marked: unreadAlpha.length, receipts: unreadAlpha.length });
      expect(updated.map((m) => m.id).sort()).toEqual([...unreadAlpha].sort());
      expect(updated.every((m) => m.readAtMs !== undefined)).toBe(true);

      // A read receipt in another channel, queued after: once it arrives, everything before it has.
      await publishJson(publisher, 'gamma/g', { id: 'gamma-sentinel', title: 'sentinel' });
      await running.hub.markRead((await running.stored('gamma-sentinel')).seq);
      await waitFor('the sentinel receipt', () => watcher.seen.find((s) => s.receipt.messageId === 'gamma-sentinel'));

      const alphaReceipts = watcher.seen.filter((s) => s.receipt.channel === 'Alpha');
      expect(alphaReceipts.every((s) => s.receipt.status === 'read' && s.topic === `receipts/${device}/Alpha`)).toBe(true);
      expect(alphaReceipts.map((s) => s.receipt.messageId).sort()).toEqual([...unreadAlpha, 'alpha-0'].sort());
      expect(watcher.seen.filter((s) => s.receipt.channel === 'Beta')).toEqual([]);
      const counts = running.hub.channelCounts();
      expect(counts.find((c) => c.channel === 'Alpha')).toMatchObject({ unread: 0, total: unreadAlpha.length + 1 });
      expect(counts.find((c) => c.channel === 'Beta')).toEqual(betaBefore);
      expect(running.hub.search({ channel: 'Alpha', unreadOnly: true, limit: 10 }).messages).toEqual([]);
      // Again: nothing left to mark, nothing sent.
      expect(running.hub.markChannelRead('Alpha')).toEqual({ marked: 0, receipts: 0 });
    });
  });

  describe('a data feed', () => {
    let running: RunningHub;
    let watcher: { seen: SeenReceipt[]; client: MqttClient };
    const samplesPerTopic = 50;

    beforeAll(async () => {
      running = runHub(
        {
          deviceId: 'data-desk',
          store: { data: { samplesPerTopic } },
          connections: [
            {
              id: 'plant',
              url: broker.url,
              reconnect: { baseMs: 100, capMs: 500 },
              subscriptions: [
                { topic: 'sensors/#', qos: 1, channel: 'Sensors', kind: 'data' },
                { topic: 'alarms/#', qos: 1, channel: 'Alarms' },
              ],
              receipts: { topic: 'receipts/{device}' },
            },
          ],
        },
        join(dir, 'data-feed'),
      );
      watcher = await watchReceipts(broker.url, 'receipts/data-desk');
      await startAndProbe(running, publisher, ['alarms/probe']);
      const probe = setInterval(() => void publisher.publishAsync('sensors/probe', '0', { qos: 1 }), 100);
      try {
        await waitFor('the data subscription', () => (running.hub.dataLatest().some((d) => d.topic === 'sensors/probe') ? true : undefined));
      } finally {
        clearInterval(probe);
      }
    });
    afterAll(async () => {
      await running?.hub.stop();
      await watcher?.client.endAsync();
    });

    it('keeps 200 values as the latest value and a bounded window, with no history, notification or receipt', async () => {
      const shownBefore = running.notifier.shown.length;
      const addedBefore = running.added.length;
      for (let i = 0; i < 200; i++) {
        // Bare numbers and JSON objects with a numeric "value"; some JSON asks for receipts it must not get.
        const payload = i % 2 === 0 ? String(i / 2) : JSON.stringify({ value: i / 2, unit: 'C', id: `sample-${i}`, receipts: ['delivered'] });
        await publisher.publishAsync('sensors/boiler/temp', payload, { qos: 1 });
      }
      await publisher.publishAsync('sensors/boiler/state', 'open', { qos: 1 });
      // A notification on the same connection after the feed: once it is stored, the feed was handled;
      // once its read receipt arrives, any receipt queued before it on this connection has too.
      await publishJson(publisher, 'alarms/a', { id: 'alarm-1', title: 'after the feed' });
      expect((await running.hub.markRead((await running.stored('alarm-1')).seq)).receipt).toBe('sent');
      await waitFor('the read receipt of alarm-1', () => watcher.seen.find((s) => s.receipt.messageId === 'alarm-1'));

      expect(running.added.slice(addedBefore).map((m) => m.id)).toEqual(['alarm-1']);
      expect(running.notifier.shown.slice(shownBefore).map((n) => n.title)).toEqual(['after the feed']);
      expect(running.hub.listMessages({ limit: 1000 }).filter((m) => m.channel === 'Sensors')).toEqual([]);
      expect(running.hub.channelCounts().map((c) => c.channel)).not.toContain('Sensors');
      expect(watcher.seen.map((s) => s.receipt.messageId)).toEqual(['alarm-1']);

      const latest = running.hub.dataLatest().find((d) => d.topic === 'sensors/boiler/temp');
      expect(latest).toMatchObject({
        connectionId: 'plant',
        channel: 'Sensors',
        payload: JSON.stringify({ value: 99.5, unit: 'C', id: 'sample-199', receipts: ['delivered'] }),
        value: 99.5,
        samples: 200,
      });
      expect(running.hub.dataLatest().find((d) => d.topic === 'sensors/boiler/state')).toMatchObject({ payload: 'open', value: undefined, samples: 1 });
      expect(running.hub.dataSamples('plant', 'sensors/boiler/temp', 1000)).toHaveLength(200);

      const removed = running.hub.runRetention();
      expect(removed.deletedMessages).toBe(0);
      expect(removed.deletedSamples).toBeGreaterThanOrEqual(200 - samplesPerTopic);
      const kept = running.hub.dataSamples('plant', 'sensors/boiler/temp', 1000);
      expect(kept).toHaveLength(samplesPerTopic);
      // Newest first, the newest 50 of 0, 0.5, ..., 99.5, every one with its numeric value.
      expect(kept.map((s) => s.value)).toEqual(Array.from({ length: samplesPerTopic }, (_, k) => (199 - k) / 2));
      expect(running.hub.dataLatest().find((d) => d.topic === 'sensors/boiler/temp')?.value).toBe(99.5);
    });
  });

  describe('a damaged message store at start', () => {
    const config = (): unknown => ({
      deviceId: 'damaged-desk',
      connections: [
        { id: 'c', url: broker.url, reconnect: { baseMs: 100, capMs: 500 }, subscriptions: [{ topic: 'damaged/#', qos: 1, channel: 'Damaged' }] },
      ],
    });

    /** Checks what the person is told and that the hub works with a new store; returns the moved file. */
    async function expectRecovered(dataDir: string, original: Buffer): Promise<string> {
      const running = runHub(config(), dataDir);
      try {
        const recovered = running.hub.storeRecovered;
        expect(recovered).toBeDefined();
        const movedTo = recovered?.movedTo ?? '';
        expect(dirname(movedTo)).toBe(dataDir);
        expect(basename(movedTo)).toMatch(/^messages\.sqlite\.corrupt-/);
        expect(readFileSync(movedTo).equals(original)).toBe(true);
        expect(running.notifier.shown).toEqual([]); // told at start(), not before

        await startAndProbe(running, publisher, ['damaged/probe']);
        const notice = running.notifier.shown.find((n) => /damaged/i.test(n.title));
        expect(notice?.body).toContain(movedTo);
        expect(running.logger.lines.some((l) => l.level === 'error' && /damaged/.test(l.message) && l.fields?.movedTo === movedTo)).toBe(true);

        const id = `after-${randomBytes(3).toString('hex')}`;
        await publishJson(publisher, 'damaged/x', { id, title: 'stored in the new history' });
        await running.stored(id);
        expect(running.hub.listMessages({ limit: 10 }).map((m) => m.id)).toContain(id);

        const status = await new ApiService(running.hub).call('getStatus', {});
        expect(status.ok).toBe(true);
        const notice2 = (status as { value: { storeNotice: unknown } }).value.storeNotice;
        expect(typeof notice2).toBe('string');
        expect(notice2).toContain(movedTo);
        return movedTo;
      } finally {
        await running.hub.stop();
      }
    }

    it('moves a file of random bytes aside, tells the person, and stores new messages; the next start is quiet', async () => {
      const dataDir = join(dir, 'random-bytes');
      mkdirSync(dataDir, { recursive: true });
      const original = randomBytes(64 * 1024);
      writeFileSync(join(dataDir, DATABASE_FILE), original);
      const movedTo = await expectRecovered(dataDir, original);

      // Started again: the new store is sound, nothing to report, the damaged file is still kept.
      const again = runHub(config(), dataDir);
      try {
        expect(again.hub.storeRecovered).toBeUndefined();
        again.hub.start();
        expect(again.notifier.shown).toEqual([]);
        expect(again.hub.listMessages({ limit: 10 }).some((m) => m.id.startsWith('after-'))).toBe(true);
        const status = await new ApiService(again.hub).call('getStatus', {});
        expect((status as { value: { storeNotice: unknown } }).value.storeNotice).toBeNull();
      } finally {
        await again.hub.stop();
      }
      expect(readFileSync(movedTo).equals(original)).toBe(true);
    });

    it('moves aside a real store whose pages were overwritten (found by the integrity check at open)', async () => {
      const dataDir = join(dir, 'damaged-pages');
      const store = MessageStore.open(dataDir);
      const now = Date.now();
      store.insertBatch(
        Array.from({ length: 3000 }, (_, i) => ({
          message: { id: `old-${i}`, title: `old ${i}`, body: 'x'.repeat(200), priority: 3 as const, tags: [], click: undefined, sentAtMs: undefined },
          origin: { connectionId: 'c', channel: 'Damaged', topic: 'damaged/old', retained: false, receivedAtMs: now + i },
        })),
      );
      store.close();
      const path = join(dataDir, DATABASE_FILE);
      expect(existsSync(`${path}-wal`)).toBe(false);
      const size = statSync(path).size;
      const fd = openSync(path, 'r+');
      const garbage = randomBytes(Math.floor(size / 4));
      writeSync(fd, garbage, 0, garbage.length, 8192); // pages 3 onwards; the header stays valid
      closeSync(fd);
      await expectRecovered(dataDir, readFileSync(path));
    });
  });
});
