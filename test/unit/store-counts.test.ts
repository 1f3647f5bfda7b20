import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Priority, StoredMessage } from '../../electron/core/message/message.ts';
import { type ChannelCount, MessageStore, type NewMessage, type NewReceipt, type RetentionSettings } from '../../electron/core/store/message-store.ts';

interface Fields {
  readonly id?: string;
  readonly body?: string;
  readonly priority?: Priority;
  readonly channel?: string;
  readonly connectionId?: string;
  readonly receivedAtMs?: number;
  readonly sequenceId?: string;
}

let nextId = 0;

function message(fields: Fields = {}): NewMessage {
  return {
    message: {
      id: fields.id ?? `m${++nextId}`,
      title: 'Note',
      body: fields.body ?? 'text',
      priority: fields.priority ?? 3,
      tags: [],
      click: undefined,
      sentAtMs: undefined,
      sequenceId: fields.sequenceId,
    },
    origin: {
      connectionId: fields.connectionId ?? 'home',
      channel: fields.channel ?? 'General',
      topic: 'home/events',
      retained: false,
      receivedAtMs: fields.receivedAtMs ?? 1_000,
    },
  };
}

/** A read receipt per message, as the hub builds them. */
function readReceipt(m: StoredMessage): NewReceipt {
  return {
    receiptId: `${m.connectionId}/${m.id}/read`,
    connectionId: m.connectionId,
    topic: `receipts/${m.connectionId}`,
    payload: JSON.stringify({ id: m.id, status: 'read' }),
    qos: 1,
    correlationData: undefined,
  };
}

describe('channel counts and read state', () => {
  let dir: string;
  let store: MessageStore;

  /** The counts as the stored messages say they should be. */
  function countedFromRows(): ChannelCount[] {
    const counts = new Map<string, { unread: number; total: number }>();
    for (const m of store.iterate()) {
      const c = counts.get(m.channel) ?? { unread: 0, total: 0 };
      c.total++;
      if (m.readAtMs === undefined) c.unread++;
      counts.set(m.channel, c);
    }
    return [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([channel, c]) => ({ channel, ...c }));
  }

  /** Asserts the kept counts and returns them. */
  function counts(): ChannelCount[] {
    const kept = store.channelCounts();
    expect(kept).toEqual(countedFromRows());
    return kept;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-counts-'));
    store = MessageStore.open(dir);
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has no channels before the first message', () => {
    expect(store.channelCounts()).toEqual([]);
  });

  it('counts new messages per channel, in one batch and across batches, ignoring duplicates', () => {
    store.insertBatch([
      message({ id: 'a', channel: 'Alarms' }),
      message({ id: 'b', channel: 'Status' }),
      message({ id: 'c', channel: 'Alarms' }),
      message({ id: 'a', channel: 'Alarms' }),
      message({ id: 'd', channel: 'Alarms' }),
    ]);
    expect(counts()).toEqual([
      { channel: 'Alarms', unread: 3, total: 3 },
      { channel: 'Status', unread: 1, total: 1 },
    ]);
    store.insertBatch([message({ id: 'b', channel: 'Status' }), message({ id: 'e', channel: 'Status' }), message({ id: 'f', channel: 'Zeta' })]);
    expect(counts()).toEqual([
      { channel: 'Alarms', unread: 3, total: 3 },
      { channel: 'Status', unread: 2, total: 2 },
      { channel: 'Zeta', unread: 1, total: 1 },
    ]);
  });

  it('does not count a batch that failed', () => {
    store.insertBatch([message({ channel: 'Alarms' })]);
    expect(() => store.insertBatch([message({ channel: 'Alarms' }), message({ channel: 'New', priority: 7 as Priority })])).toThrow(/CHECK/);
    expect(counts()).toEqual([{ channel: 'Alarms', unread: 1, total: 1 }]);
  });

  it('moves a message from unread to read once when it is marked read', () => {
    const [a] = store.insertBatch([message({ channel: 'Alarms' }), message({ channel: 'Alarms' })]);
    store.markRead(a?.seq ?? -1, 5_000);
    expect(counts()).toEqual([{ channel: 'Alarms', unread: 1, total: 2 }]);
    store.markRead(a?.seq ?? -1, 6_000);
    expect(counts()).toEqual([{ channel: 'Alarms', unread: 1, total: 2 }]);
  });

  it('counts a message marked unread again, once', () => {
    const [a] = store.insertBatch([message({ channel: 'Alarms' }), message({ channel: 'Alarms' })]);
    store.markRead(a?.seq ?? -1, 5_000);
    expect(store.markUnread(a?.seq ?? -1)).toMatchObject({ changed: true, message: { readAtMs: undefined } });
    expect(counts()).toEqual([{ channel: 'Alarms', unread: 2, total: 2 }]);
    expect(store.markUnread(a?.seq ?? -1)?.changed).toBe(false);
    expect(counts()).toEqual([{ channel: 'Alarms', unread: 2, total: 2 }]);
    expect(store.markUnread(999_999)).toBeUndefined();
    // Read again: the count follows.
    store.markRead(a?.seq ?? -1, 7_000);
    expect(counts()).toEqual([{ channel: 'Alarms', unread: 1, total: 2 }]);
  });

  describe('markChannelRead', () => {
    it('marks every unread message of the channel read and queues one receipt each in the outbox', () => {
      const added = store.insertBatch([
        message({ id: 'a', channel: 'Alarms' }),
        message({ id: 'b', channel: 'Alarms' }),
        message({ id: 'c', channel: 'Status' }),
        message({ id: 'd', channel: 'Alarms', connectionId: 'office' }),
      ]);
      store.markRead(added[1]?.seq ?? -1, 2_000);
      const { messages, receipts } = store.markChannelRead('Alarms', 9_000, readReceipt);
      expect(messages.map((m) => m.id).sort()).toEqual(['a', 'd']);
      expect(messages.every((m) => m.readAtMs === 9_000)).toBe(true);
      expect(receipts.map((r) => r.receiptId).sort()).toEqual(['home/a/read', 'office/d/read']);
      expect(store.get(added[1]?.seq ?? -1)?.readAtMs).toBe(2_000);
      expect(store.get(added[2]?.seq ?? -1)?.readAtMs).toBeUndefined();
      expect(counts()).toEqual([
        { channel: 'Alarms', unread: 0, total: 3 },
        { channel: 'Status', unread: 1, total: 1 },
      ]);
      expect(store.outboxSize()).toBe(2);
      expect(store.dueReceipts('home', 9_000)).toEqual([
        { ...readReceipt(messages.find((m) => m.id === 'a') as StoredMessage), attempts: 0 },
      ]);
      expect(store.dueReceipts('office', 9_000).map((r) => r.receiptId)).toEqual(['office/d/read']);
      expect(store.dueReceipts('home', 8_999)).toEqual([]);
    });

    it('queues nothing when the callback builds no receipt, and nothing the second time', () => {
      store.insertBatch([message({ channel: 'Alarms' }), message({ channel: 'Alarms' })]);
      const first = store.markChannelRead('Alarms', 9_000, () => undefined);
      expect(first.messages).toHaveLength(2);
      expect(first.receipts).toEqual([]);
      expect(store.outboxSize()).toBe(0);
      const second = store.markChannelRead('Alarms', 10_000, readReceipt);
      expect(second).toEqual({ messages: [], receipts: [] });
      expect(store.outboxSize()).toBe(0);
    });

    it('leaves deleted messages alone', () => {
      store.insertBatch([message({ id: 'x', channel: 'Alarms' }), message({ id: 'y', channel: 'Alarms' })]);
      store.deleteVersions('home', 'x', 3_000);
      const { messages } = store.markChannelRead('Alarms', 9_000, readReceipt);
      expect(messages.map((m) => m.id)).toEqual(['y']);
      expect(store.outboxSize()).toBe(1);
      expect(counts()).toEqual([{ channel: 'Alarms', unread: 0, total: 1 }]);
    });

    it('writes nothing when building a receipt fails', () => {
      store.insertBatch([message({ channel: 'Alarms' }), message({ channel: 'Alarms' })]);
      let n = 0;
      expect(() =>
        store.markChannelRead('Alarms', 9_000, (m) => {
          if (++n === 2) throw new Error('no receipt topic');
          return readReceipt(m);
        }),
      ).toThrow('no receipt topic');
      expect(store.outboxSize()).toBe(0);
      expect(counts()).toEqual([{ channel: 'Alarms', unread: 2, total: 2 }]);
    });
  });

  describe('receipts with a state change', () => {
    it('marks displayed once, with its receipt, without touching read state or counts', () => {
      const [m] = store.insertBatch([message({ id: 'a', channel: 'Alarms' })]);
      const displayed = (x: StoredMessage): NewReceipt => ({ ...readReceipt(x), receiptId: `${x.id}/displayed` });
      const first = store.markDisplayedWithReceipt(m?.seq ?? -1, 4_000, displayed);
      expect(first?.changed).toBe(true);
      expect(first?.message.displayedAtMs).toBe(4_000);
      expect(first?.message.readAtMs).toBeUndefined();
      expect(first?.receipt?.receiptId).toBe('a/displayed');
      const second = store.markDisplayedWithReceipt(m?.seq ?? -1, 5_000, displayed);
      expect(second?.changed).toBe(false);
      expect(second?.receipt).toBeUndefined();
      expect(second?.message.displayedAtMs).toBe(4_000);
      expect(store.outboxSize()).toBe(1);
      expect(counts()).toEqual([{ channel: 'Alarms', unread: 1, total: 1 }]);
      expect(store.markDisplayedWithReceipt(12345, 5_000, displayed)).toBeUndefined();
    });

    it('marks acknowledged, which also marks read (keeping an earlier read time), with its receipt', () => {
      const [a, b] = store.insertBatch([message({ id: 'a', channel: 'Alarms' }), message({ id: 'b', channel: 'Alarms' })]);
      store.markRead(b?.seq ?? -1, 1_500);
      const ack = (x: StoredMessage): NewReceipt => ({ ...readReceipt(x), receiptId: `${x.id}/ack` });
      const first = store.markAcknowledgedWithReceipt(a?.seq ?? -1, 4_000, ack);
      expect(first?.changed).toBe(true);
      expect(first?.message.acknowledgedAtMs).toBe(4_000);
      expect(first?.message.readAtMs).toBe(4_000);
      const other = store.markAcknowledgedWithReceipt(b?.seq ?? -1, 4_500, ack);
      expect(other?.message.readAtMs).toBe(1_500);
      expect(other?.message.acknowledgedAtMs).toBe(4_500);
      expect(store.markAcknowledgedWithReceipt(a?.seq ?? -1, 6_000, ack)?.changed).toBe(false);
      expect(store.outboxSize()).toBe(2);
      expect(counts()).toEqual([{ channel: 'Alarms', unread: 0, total: 2 }]);
    });

    it('marks read with its receipt once', () => {
      const [a] = store.insertBatch([message({ id: 'a' })]);
      expect(store.markReadWithReceipt(a?.seq ?? -1, 4_000, readReceipt)?.receipt?.receiptId).toBe('home/a/read');
      expect(store.markReadWithReceipt(a?.seq ?? -1, 5_000, readReceipt)?.receipt).toBeUndefined();
      expect(store.outboxSize()).toBe(1);
      expect(counts()).toEqual([{ channel: 'General', unread: 0, total: 1 }]);
    });

    it('queues a receipt on its own, once per receipt id', () => {
      const receipt: NewReceipt = { ...readReceipt({ id: 'a', connectionId: 'home' } as StoredMessage), receiptId: 'a/action:open' };
      store.queueReceipt(receipt, 7_000);
      store.queueReceipt(receipt, 8_000);
      expect(store.dueReceipts('home', 7_000)).toEqual([{ ...receipt, attempts: 0 }]);
      store.receiptFailed('a/action:open', 9_000, 'broker away');
      expect(store.dueReceipts('home', 8_999)).toEqual([]);
      expect(store.dueReceipts('home', 9_000)).toEqual([{ ...receipt, attempts: 1 }]);
      expect(store.nextReceiptAttempt('home')).toBe(9_000);
      store.receiptConfirmed('a/action:open');
      expect(store.outboxSize()).toBe(0);
      expect(store.nextReceiptAttempt('home')).toBeUndefined();
    });
  });

  describe('versions (ntfy sequence ids)', () => {
    it('deleteVersions removes every version from the counts, read or not', () => {
      store.insertBatch([message({ id: 'a', connectionId: 'ntfy', channel: 'N' }), message({ id: 'z', connectionId: 'ntfy', channel: 'N' })]);
      const [a2] = store.insertBatch([message({ id: 'a2', connectionId: 'ntfy', channel: 'N', sequenceId: 'a' })]);
      store.markRead(a2?.seq ?? -1, 2_000);
      expect(counts()).toEqual([{ channel: 'N', unread: 1, total: 2 }]);
      expect(store.deleteVersions('ntfy', 'a', 3_000)).toEqual([a2?.seq]);
      expect(counts()).toEqual([{ channel: 'N', unread: 1, total: 1 }]);
      expect(store.deleteVersions('ntfy', 'a', 4_000)).toEqual([]);
      expect(store.deleteVersions('other', 'z', 4_000)).toEqual([]);
      expect(counts()).toEqual([{ channel: 'N', unread: 1, total: 1 }]);
    });

    it('markVersionsRead marks the visible unread versions read, by sequence id or id', () => {
      store.insertBatch([message({ id: 'a', connectionId: 'ntfy', channel: 'N' }), message({ id: 'b', connectionId: 'ntfy', channel: 'N' })]);
      store.insertBatch([message({ id: 'b2', connectionId: 'ntfy', channel: 'N', sequenceId: 'b' })]);
      expect(store.markVersionsRead('ntfy', 'b', 5_000).map((m) => [m.id, m.readAtMs])).toEqual([['b2', 5_000]]);
      expect(counts()).toEqual([{ channel: 'N', unread: 1, total: 2 }]);
      expect(store.markVersionsRead('ntfy', 'b', 6_000)).toEqual([]);
      expect(store.markVersionsRead('ntfy', 'a', 6_000).map((m) => m.id)).toEqual(['a']);
      expect(counts()).toEqual([{ channel: 'N', unread: 0, total: 2 }]);
    });

    it('a new version replaces the old one in the counts, in a later batch', () => {
      store.insertBatch([message({ id: 'a', connectionId: 'ntfy', channel: 'N' })]);
      store.insertBatch([message({ id: 'a2', connectionId: 'ntfy', channel: 'N', sequenceId: 'a' })]);
      expect(counts()).toEqual([{ channel: 'N', unread: 1, total: 1 }]);
    });

    it('a new version replaces one written in the same batch, on a channel never seen before', () => {
      const added = store.insertBatch([
        message({ id: 'a', connectionId: 'ntfy', channel: 'Fresh' }),
        message({ id: 'a2', connectionId: 'ntfy', channel: 'Fresh', sequenceId: 'a' }),
        message({ id: 'a3', connectionId: 'ntfy', channel: 'Fresh', sequenceId: 'a' }),
      ]);
      expect(added.map((m) => m.replacesSeqs)).toEqual([undefined, [added[0]?.seq], [added[1]?.seq]]);
      expect(store.page({ limit: 10 }).map((m) => m.id)).toEqual(['a3']);
      expect(counts()).toEqual([{ channel: 'Fresh', unread: 1, total: 1 }]);
    });

    it('a new version replaces one read earlier, in another channel', () => {
      const [a] = store.insertBatch([message({ id: 'a', connectionId: 'ntfy', channel: 'Old' })]);
      store.markRead(a?.seq ?? -1, 2_000);
      store.insertBatch([message({ id: 'a2', connectionId: 'ntfy', channel: 'New', sequenceId: 'a' })]);
      expect(counts()).toEqual([{ channel: 'New', unread: 1, total: 1 }]);
    });
  });

  it('follows retention removing old messages', () => {
    const settings: RetentionSettings = {
      defaults: { maxCount: 2 },
      channels: new Map(),
      dataSamplesPerTopic: 10,
      dataMaxAgeMs: 1e12,
      tombstoneMs: 1_000,
    };
    const added = store.insertBatch(Array.from({ length: 5 }, (_, i) => message({ id: `r${i}`, channel: 'R', receivedAtMs: 1_000 + i })));
    store.insertBatch([message({ id: 's', channel: 'S' })]);
    store.markRead(added[0]?.seq ?? -1, 2_000);
    store.markRead(added[4]?.seq ?? -1, 2_000);
    store.retentionStep(settings, 10_000);
    expect(counts()).toEqual([
      { channel: 'R', unread: 1, total: 2 },
      { channel: 'S', unread: 1, total: 1 },
    ]);
    // a tombstone removed later does not count twice
    store.deleteVersions('home', 's', 10_000);
    expect(counts()).toEqual([{ channel: 'R', unread: 1, total: 2 }]);
    store.retentionStep(settings, 20_000);
    expect(store.count()).toBe(2);
    expect(counts()).toEqual([{ channel: 'R', unread: 1, total: 2 }]);
  });
});
