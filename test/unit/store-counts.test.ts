import { describe, expect, it } from 'vitest';
import { useTempStore } from '../helpers/temp-store.ts';
import type { Priority, StoredMessage } from '../../electron/core/message/message.ts';
import type { ChannelCount, NewMessage, NewReceipt, RetentionSettings } from '../../electron/core/store/message-store.ts';

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
  const temp = useTempStore('pushdesk-counts-');

  /** The counts as the stored messages say they should be. */
  function countedFromRows(): ChannelCount[] {
    const counts = new Map<string, { unread: number; total: number }>();
    for (const m of temp.store.iterate()) {
      const c = counts.get(m.channel) ?? { unread: 0, total: 0 };
      c.total++;
      if (m.readAtMs === undefined) c.unread++;
      counts.set(m.channel, c);
    }
    return [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([channel, c]) => ({ channel, ...c }));
  }

  /** Asserts the kept counts and returns them. */
  function counts(): ChannelCount[] {
    const kept = temp.store.channelCounts();
    expect(kept).toEqual(countedFromRows());
    return kept;
  }

  it('has no channels before the first message', () => {
    expect(temp.store.channelCounts()).toEqual([]);
  });

  it('counts new messages per channel, in one batch and across batches, ignoring duplicates', () => {
    temp.store.insertBatch([
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
    temp.store.insertBatch([message({ id: 'b', channel: 'Status' }), message({ id: 'e', channel: 'Status' }), message({ id: 'f', channel: 'Zeta' })]);
    expect(counts()).toEqual([
      { channel: 'Alarms', unread: 3, total: 3 },
      { channel: 'Status', unread: 2, total: 2 },
      { channel: 'Zeta', unread: 1, total: 1 },
    ]);
  });

  it('does not count a batch that failed', () => {
    temp.store.insertBatch([message({ channel: 'Alarms' })]);
    expect(() => temp.store.insertBatch([message({ channel: 'Alarms' }), message({ channel: 'New', priority: 7 as Priority })])).toThrow(/CHECK/);
    expect(counts()).toEqual([{ channel: 'Alarms', unread: 1, total: 1 }]);
  });

  it('moves a message from unread to read once when it is marked read', () => {
    const [a] = temp.store.insertBatch([message({ channel: 'Alarms' }), message({ channel: 'Alarms' })]);
    temp.store.markRead(a?.seq ?? -1, 5_000);
    expect(counts()).toEqual([{ channel: 'Alarms', unread: 1, total: 2 }]);
    temp.store.markRead(a?.seq ?? -1, 6_000);
    expect(counts()).toEqual([{ channel: 'Alarms', unread: 1, total: 2 }]);
  });

  it('counts a message marked unread again, once', () => {
    const [a] = temp.store.insertBatch([message({ channel: 'Alarms' }), message({ channel: 'Alarms' })]);
    temp.store.markRead(a?.seq ?? -1, 5_000);
    expect(temp.store.markUnread(a?.seq ?? -1)).toMatchObject({ changed: true, message: { readAtMs: undefined } });
    expect(counts()).toEqual([{ channel: 'Alarms', unread: 2, total: 2 }]);
    expect(temp.store.markUnread(a?.seq ?? -1)?.changed).toBe(false);
    expect(counts()).toEqual([{ channel: 'Alarms', unread: 2, total: 2 }]);
    expect(temp.store.markUnread(999_999)).toBeUndefined();
    // Read again: the count follows.
    temp.store.markRead(a?.seq ?? -1, 7_000);
    expect(counts()).toEqual([{ channel: 'Alarms', unread: 1, total: 2 }]);
  });

  describe('markChannelRead', () => {
    it('marks every unread message of the channel read and queues one receipt each in the outbox', () => {
      const added = temp.store.insertBatch([
        message({ id: 'a', channel: 'Alarms' }),
        message({ id: 'b', channel: 'Alarms' }),
        message({ id: 'c', channel: 'Status' }),
        message({ id: 'd', channel: 'Alarms', connectionId: 'office' }),
      ]);
      temp.store.markRead(added[1]?.seq ?? -1, 2_000);
      const { messages, receipts } = temp.store.markChannelRead('Alarms', 9_000, readReceipt);
      expect(messages.map((m) => m.id).sort()).toEqual(['a', 'd']);
      expect(messages.every((m) => m.readAtMs === 9_000)).toBe(true);
      expect(receipts.map((r) => r.receiptId).sort()).toEqual(['home/a/read', 'office/d/read']);
      expect(temp.store.get(added[1]?.seq ?? -1)?.readAtMs).toBe(2_000);
      expect(temp.store.get(added[2]?.seq ?? -1)?.readAtMs).toBeUndefined();
      expect(counts()).toEqual([
        { channel: 'Alarms', unread: 0, total: 3 },
        { channel: 'Status', unread: 1, total: 1 },
      ]);
      expect(temp.store.outboxSize()).toBe(2);
      expect(temp.store.dueReceipts('home', 9_000)).toEqual([
        { ...readReceipt(messages.find((m) => m.id === 'a') as StoredMessage), attempts: 0 },
      ]);
      expect(temp.store.dueReceipts('office', 9_000).map((r) => r.receiptId)).toEqual(['office/d/read']);
      expect(temp.store.dueReceipts('home', 8_999)).toEqual([]);
    });

    it('queues nothing when the callback builds no receipt, and nothing the second time', () => {
      temp.store.insertBatch([message({ channel: 'Alarms' }), message({ channel: 'Alarms' })]);
      const first = temp.store.markChannelRead('Alarms', 9_000, () => undefined);
      expect(first.messages).toHaveLength(2);
      expect(first.receipts).toEqual([]);
      expect(temp.store.outboxSize()).toBe(0);
      const second = temp.store.markChannelRead('Alarms', 10_000, readReceipt);
      expect(second).toEqual({ messages: [], receipts: [] });
      expect(temp.store.outboxSize()).toBe(0);
    });

    it('leaves deleted messages alone', () => {
      temp.store.insertBatch([message({ id: 'x', channel: 'Alarms' }), message({ id: 'y', channel: 'Alarms' })]);
      temp.store.deleteVersions('home', 'x', 3_000);
      const { messages } = temp.store.markChannelRead('Alarms', 9_000, readReceipt);
      expect(messages.map((m) => m.id)).toEqual(['y']);
      expect(temp.store.outboxSize()).toBe(1);
      expect(counts()).toEqual([{ channel: 'Alarms', unread: 0, total: 1 }]);
    });

    it('writes nothing when building a receipt fails', () => {
      temp.store.insertBatch([message({ channel: 'Alarms' }), message({ channel: 'Alarms' })]);
      let n = 0;
      expect(() =>
        temp.store.markChannelRead('Alarms', 9_000, (m) => {
          if (++n === 2) throw new Error('no receipt topic');
          return readReceipt(m);
        }),
      ).toThrow('no receipt topic');
      expect(temp.store.outboxSize()).toBe(0);
      expect(counts()).toEqual([{ channel: 'Alarms', unread: 2, total: 2 }]);
    });
  });

  describe('receipts with a state change', () => {
    it('marks displayed once, with its receipt, without touching read state or counts', () => {
      const [m] = temp.store.insertBatch([message({ id: 'a', channel: 'Alarms' })]);
      const displayed = (x: StoredMessage): NewReceipt => ({ ...readReceipt(x), receiptId: `${x.id}/displayed` });
      const first = temp.store.markDisplayedWithReceipt(m?.seq ?? -1, 4_000, displayed);
      expect(first?.changed).toBe(true);
      expect(first?.message.displayedAtMs).toBe(4_000);
      expect(first?.message.readAtMs).toBeUndefined();
      expect(first?.receipt?.receiptId).toBe('a/displayed');
      const second = temp.store.markDisplayedWithReceipt(m?.seq ?? -1, 5_000, displayed);
      expect(second?.changed).toBe(false);
      expect(second?.receipt).toBeUndefined();
      expect(second?.message.displayedAtMs).toBe(4_000);
      expect(temp.store.outboxSize()).toBe(1);
      expect(counts()).toEqual([{ channel: 'Alarms', unread: 1, total: 1 }]);
      expect(temp.store.markDisplayedWithReceipt(12345, 5_000, displayed)).toBeUndefined();
    });

    it('marks acknowledged, which also marks read (keeping an earlier read time), with its receipt', () => {
      const [a, b] = temp.store.insertBatch([message({ id: 'a', channel: 'Alarms' }), message({ id: 'b', channel: 'Alarms' })]);
      temp.store.markRead(b?.seq ?? -1, 1_500);
      const ack = (x: StoredMessage): NewReceipt => ({ ...readReceipt(x), receiptId: `${x.id}/ack` });
      const first = temp.store.markAcknowledgedWithReceipt(a?.seq ?? -1, 4_000, ack);
      expect(first?.changed).toBe(true);
      expect(first?.message.acknowledgedAtMs).toBe(4_000);
      expect(first?.message.readAtMs).toBe(4_000);
      const other = temp.store.markAcknowledgedWithReceipt(b?.seq ?? -1, 4_500, ack);
      expect(other?.message.readAtMs).toBe(1_500);
      expect(other?.message.acknowledgedAtMs).toBe(4_500);
      expect(temp.store.markAcknowledgedWithReceipt(a?.seq ?? -1, 6_000, ack)?.changed).toBe(false);
      expect(temp.store.outboxSize()).toBe(2);
      expect(counts()).toEqual([{ channel: 'Alarms', unread: 0, total: 2 }]);
    });

    it('marks read with its receipt once', () => {
      const [a] = temp.store.insertBatch([message({ id: 'a' })]);
      expect(temp.store.markReadWithReceipt(a?.seq ?? -1, 4_000, readReceipt)?.receipt?.receiptId).toBe('home/a/read');
      expect(temp.store.markReadWithReceipt(a?.seq ?? -1, 5_000, readReceipt)?.receipt).toBeUndefined();
      expect(temp.store.outboxSize()).toBe(1);
      expect(counts()).toEqual([{ channel: 'General', unread: 0, total: 1 }]);
    });

    it('queues a receipt on its own, once per receipt id', () => {
      const receipt: NewReceipt = { ...readReceipt({ id: 'a', connectionId: 'home' } as StoredMessage), receiptId: 'a/action:open' };
      temp.store.queueReceipt(receipt, 7_000);
      temp.store.queueReceipt(receipt, 8_000);
      expect(temp.store.dueReceipts('home', 7_000)).toEqual([{ ...receipt, attempts: 0 }]);
      temp.store.receiptFailed('a/action:open', 9_000, 'broker away');
      expect(temp.store.dueReceipts('home', 8_999)).toEqual([]);
      expect(temp.store.dueReceipts('home', 9_000)).toEqual([{ ...receipt, attempts: 1 }]);
      expect(temp.store.nextReceiptAttempt('home')).toBe(9_000);
      temp.store.receiptConfirmed('a/action:open');
      expect(temp.store.outboxSize()).toBe(0);
      expect(temp.store.nextReceiptAttempt('home')).toBeUndefined();
    });
  });

  describe('versions (ntfy sequence ids)', () => {
    it('deleteVersions removes every version from the counts, read or not', () => {
      temp.store.insertBatch([message({ id: 'a', connectionId: 'ntfy', channel: 'N' }), message({ id: 'z', connectionId: 'ntfy', channel: 'N' })]);
      const [a2] = temp.store.insertBatch([message({ id: 'a2', connectionId: 'ntfy', channel: 'N', sequenceId: 'a' })]);
      temp.store.markRead(a2?.seq ?? -1, 2_000);
      expect(counts()).toEqual([{ channel: 'N', unread: 1, total: 2 }]);
      expect(temp.store.deleteVersions('ntfy', 'a', 3_000)).toEqual([a2?.seq]);
      expect(counts()).toEqual([{ channel: 'N', unread: 1, total: 1 }]);
      expect(temp.store.deleteVersions('ntfy', 'a', 4_000)).toEqual([]);
      expect(temp.store.deleteVersions('other', 'z', 4_000)).toEqual([]);
      expect(counts()).toEqual([{ channel: 'N', unread: 1, total: 1 }]);
    });

    it('markVersionsRead marks the visible unread versions read, by sequence id or id', () => {
      temp.store.insertBatch([message({ id: 'a', connectionId: 'ntfy', channel: 'N' }), message({ id: 'b', connectionId: 'ntfy', channel: 'N' })]);
      temp.store.insertBatch([message({ id: 'b2', connectionId: 'ntfy', channel: 'N', sequenceId: 'b' })]);
      expect(temp.store.markVersionsRead('ntfy', 'b', 5_000).map((m) => [m.id, m.readAtMs])).toEqual([['b2', 5_000]]);
      expect(counts()).toEqual([{ channel: 'N', unread: 1, total: 2 }]);
      expect(temp.store.markVersionsRead('ntfy', 'b', 6_000)).toEqual([]);
      expect(temp.store.markVersionsRead('ntfy', 'a', 6_000).map((m) => m.id)).toEqual(['a']);
      expect(counts()).toEqual([{ channel: 'N', unread: 0, total: 2 }]);
    });

    it('a new version replaces the old one in the counts, in a later batch', () => {
      temp.store.insertBatch([message({ id: 'a', connectionId: 'ntfy', channel: 'N' })]);
      temp.store.insertBatch([message({ id: 'a2', connectionId: 'ntfy', channel: 'N', sequenceId: 'a' })]);
      expect(counts()).toEqual([{ channel: 'N', unread: 1, total: 1 }]);
    });

    it('a new version replaces one written in the same batch, on a channel never seen before', () => {
      const added = temp.store.insertBatch([
        message({ id: 'a', connectionId: 'ntfy', channel: 'Fresh' }),
        message({ id: 'a2', connectionId: 'ntfy', channel: 'Fresh', sequenceId: 'a' }),
        message({ id: 'a3', connectionId: 'ntfy', channel: 'Fresh', sequenceId: 'a' }),
      ]);
      expect(added.map((m) => m.replacesSeqs)).toEqual([undefined, [added[0]?.seq], [added[1]?.seq]]);
      expect(temp.store.page({ limit: 10 }).map((m) => m.id)).toEqual(['a3']);
      expect(counts()).toEqual([{ channel: 'Fresh', unread: 1, total: 1 }]);
    });

    it('a new version replaces one read earlier, in another channel', () => {
      const [a] = temp.store.insertBatch([message({ id: 'a', connectionId: 'ntfy', channel: 'Old' })]);
      temp.store.markRead(a?.seq ?? -1, 2_000);
      temp.store.insertBatch([message({ id: 'a2', connectionId: 'ntfy', channel: 'New', sequenceId: 'a' })]);
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
    const added = temp.store.insertBatch(Array.from({ length: 5 }, (_, i) => message({ id: `r${i}`, channel: 'R', receivedAtMs: 1_000 + i })));
    temp.store.insertBatch([message({ id: 's', channel: 'S' })]);
    temp.store.markRead(added[0]?.seq ?? -1, 2_000);
    temp.store.markRead(added[4]?.seq ?? -1, 2_000);
    temp.store.retentionStep(settings, 10_000);
    expect(counts()).toEqual([
      { channel: 'R', unread: 1, total: 2 },
      { channel: 'S', unread: 1, total: 1 },
    ]);
    // a tombstone removed later does not count twice
    temp.store.deleteVersions('home', 's', 10_000);
    expect(counts()).toEqual([{ channel: 'R', unread: 1, total: 2 }]);
    temp.store.retentionStep(settings, 20_000);
    expect(temp.store.count()).toBe(2);
    expect(counts()).toEqual([{ channel: 'R', unread: 1, total: 2 }]);
  });
});
