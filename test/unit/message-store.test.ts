import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DecodedMessage, MessageOrigin, StoredMessage } from '../../electron/core/message/message.ts';
import { SCHEMA_VERSION } from '../../electron/core/store/migrations.ts';
import { DATABASE_FILE, MessageStore, type NewMessage, type NewReceipt } from '../../electron/core/store/message-store.ts';

function newMessage(
  message: Partial<DecodedMessage> = {},
  origin: Partial<MessageOrigin> = {},
): NewMessage {
  return {
    message: {
      id: undefined,
      title: 'Title',
      body: 'Body',
      priority: 3,
      tags: [],
      click: undefined,
      sentAtMs: undefined,
      ...message,
    },
    origin: {
      connectionId: 'home',
      channel: 'Alerts',
      topic: 'alerts/kitchen',
      retained: false,
      receivedAtMs: 1_700_000_000_000,
      ...origin,
    },
  };
}

function userVersion(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  } finally {
    db.close();
  }
}

describe('MessageStore', () => {
  let dir: string;
  let store: MessageStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-store-'));
    store = MessageStore.open(join(dir, 'data'));
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replaces earlier versions that share a sequence id, or whose id the sequence id names', () => {
    const [first] = store.insertBatch([newMessage({ id: 'm1', body: 'v1' })]);
    const [second] = store.insertBatch([newMessage({ id: 'm2', body: 'v2', sequenceId: 'm1' })]);
    const [third] = store.insertBatch([newMessage({ id: 'm3', body: 'v3', sequenceId: 'm1' })]);
    expect(second?.replacesSeqs).toEqual([first?.seq]);
    expect(third?.replacesSeqs).toEqual([second?.seq]);
    expect(store.page({ limit: 10 }).map((m) => m.body)).toEqual(['v3']);
  });

  it('does not let a version on another connection replace a message', () => {
    store.insertBatch([newMessage({ id: 'm1', body: 'v1' })]);
    const [other] = store.insertBatch([newMessage({ id: 'x', body: 'elsewhere', sequenceId: 'm1' }, { connectionId: 'other' })]);
    expect(other?.replacesSeqs).toBeUndefined();
    expect(store.page({ limit: 10 }).map((m) => m.body)).toEqual(['elsewhere', 'v1']);
  });

  it('creates the data directory and the database file inside it', () => {
    expect(store.path).toBe(join(dir, 'data', DATABASE_FILE));
    expect(existsSync(store.path)).toBe(true);
    expect(store.count()).toBe(0);
  });

  it('returns each new row with its seq and every field', () => {
    const [added, ...rest] = store.insertBatch([
      newMessage(
        { id: 'm1', title: 'Boiler', body: 'Hot', priority: 5, tags: ['a', 'b'], click: 'https://example.com/', sentAtMs: 1000 },
        { connectionId: 'plant', channel: 'Plant', topic: 'plant/boiler', retained: true, receivedAtMs: 2000 },
      ),
    ]);
    expect(rest).toEqual([]);
    expect(added).toEqual({
      seq: expect.any(Number),
      id: 'm1',
      connectionId: 'plant',
      channel: 'Plant',
      topic: 'plant/boiler',
      title: 'Boiler',
      body: 'Hot',
      priority: 5,
      tags: ['a', 'b'],
      click: 'https://example.com/',
      retained: true,
      sentAtMs: 1000,
      receivedAtMs: 2000,
      readAtMs: undefined,
    });
    expect(store.get(added?.seq ?? -1)).toEqual(added);
  });

  it('reads absent optional fields back as undefined', () => {
    const [added] = store.insertBatch([newMessage({ id: 'x' })]);
    expect(added?.click).toBeUndefined();
    expect(added?.sentAtMs).toBeUndefined();
    expect(added?.readAtMs).toBeUndefined();
    expect(added?.retained).toBe(false);
    expect(added?.tags).toEqual([]);
  });

  it('assigns increasing seqs in batch order', () => {
    const added = store.insertBatch([newMessage({ id: 'a' }), newMessage({ id: 'b' }), newMessage({ id: 'c' })]);
    expect(added.map((m) => m.id)).toEqual(['a', 'b', 'c']);
    const seqs = added.map((m) => m.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(3);
  });

  it('gives a message without an id a fresh unique id', () => {
    const added = store.insertBatch([newMessage(), newMessage()]);
    expect(added).toHaveLength(2);
    expect(added[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(added[0]?.id).not.toBe(added[1]?.id);
  });

  it('stores the same (connection, id) once: the second insert returns nothing', () => {
    expect(store.insertBatch([newMessage({ id: 'dup', body: 'first' })])).toHaveLength(1);
    expect(store.insertBatch([newMessage({ id: 'dup', body: 'second' })])).toEqual([]);
    expect(store.count()).toBe(1);
    expect(store.page({ limit: 10 })[0]?.body).toBe('first');
  });

  it('drops a duplicate inside one batch and keeps the rest', () => {
    const added = store.insertBatch([newMessage({ id: 'a' }), newMessage({ id: 'a' }), newMessage({ id: 'b' })]);
    expect(added.map((m) => m.id)).toEqual(['a', 'b']);
    expect(store.count()).toBe(2);
  });

  it('stores the same id from two connections as two messages', () => {
    const added = store.insertBatch([
      newMessage({ id: 'same' }, { connectionId: 'one' }),
      newMessage({ id: 'same' }, { connectionId: 'two' }),
    ]);
    expect(added.map((m) => m.connectionId)).toEqual(['one', 'two']);
    expect(store.count()).toBe(2);
  });

  it('writes nothing of a batch when one row fails', () => {
    const bad = newMessage({ id: 'bad', priority: 9 as 3 });
    expect(() => store.insertBatch([newMessage({ id: 'good' }), bad])).toThrow(/CHECK constraint/);
    expect(store.count()).toBe(0);
    expect(store.insertBatch([newMessage({ id: 'good' })])).toHaveLength(1);
  });

  it('writes a large batch (several multi-row chunks and a remainder) in order, with consecutive seqs', () => {
    const batch = Array.from({ length: 64 * 3 + 45 }, (_, i) => newMessage({ id: `m${i}`, body: `b${i}` }));
    const added = store.insertBatch(batch);
    expect(added.map((m) => m.id)).toEqual(batch.map((m) => m.message.id));
    const first = added[0]?.seq ?? 0;
    expect(added.map((m) => m.seq)).toEqual(added.map((_, i) => first + i));
    for (const message of [added[0], added[63], added[64], added[200], added.at(-1)]) {
      expect(store.get(message?.seq ?? -1)).toEqual(message);
    }
    expect(store.count()).toBe(batch.length);
  });

  it('reports exactly the new messages of a chunk that mixes redeliveries, repeats and new ones', () => {
    const before = store.insertBatch([newMessage({ id: 'old-1', body: 'old' }), newMessage({ id: 'old-2', body: 'old' })]);
    const batch = [
      newMessage({ id: 'old-1', body: 'again' }),
      newMessage({ id: 'n1' }),
      newMessage({ id: 'n1', body: 'repeat in the batch' }),
      newMessage({ id: 'n2' }),
      newMessage({ id: 'old-2', body: 'again' }),
      ...Array.from({ length: 70 }, (_, i) => newMessage({ id: i % 10 === 0 ? 'old-1' : `k${i}` })),
      newMessage({ id: 'n3' }),
    ];
    const added = store.insertBatch(batch);
    const expected = ['n1', 'n2', ...Array.from({ length: 70 }, (_, i) => `k${i}`).filter((_, i) => i % 10 !== 0), 'n3'];
    expect(added.map((m) => m.id)).toEqual(expected);
    for (const message of added) expect(store.get(message.seq)).toEqual(message);
    expect(added.find((m) => m.id === 'n1')?.body).toBe('Body');
    expect(store.get(before[0]?.seq ?? -1)?.body).toBe('old');
    expect(store.count()).toBe(2 + expected.length);
    // A batch of nothing but redeliveries adds nothing.
    expect(store.insertBatch(batch.slice(0, 5))).toEqual([]);
  });

  it('replaces versions inside one batch as writing them one by one does, across chunks', () => {
    const versions = (connectionId: string): NewMessage[] => [
      newMessage({ id: 'base', body: 'v0' }, { connectionId }),
      ...Array.from({ length: 40 }, (_, i) => newMessage({ id: `filler${i}` }, { connectionId })),
      newMessage({ id: 'v1', body: 'v1', sequenceId: 'base' }, { connectionId }),
      ...Array.from({ length: 40 }, (_, i) => newMessage({ id: `more${i}` }, { connectionId })),
      newMessage({ id: 'v2', body: 'v2', sequenceId: 'base' }, { connectionId }),
      newMessage({ id: 'v3', body: 'v3', sequenceId: 'base' }, { connectionId }),
    ];
    const together = store.insertBatch(versions('together'));
    const oneByOne = versions('single').flatMap((m) => store.insertBatch([m]));
    const shape = (list: StoredMessage[]): unknown[] => {
      const first = list[0]?.seq ?? 0;
      return list.map((m) => ({ id: m.id, replaces: m.replacesSeqs?.map((s) => s - first) }));
    };
    expect(shape(together)).toEqual(shape(oneByOne));
    expect(together.find((m) => m.id === 'v3')?.replacesSeqs).toEqual([together.find((m) => m.id === 'v2')?.seq]);
    const visible = (connectionId: string): string[] =>
      store
        .page({ limit: 500 })
        .filter((m) => m.connectionId === connectionId && !m.id.startsWith('filler') && !m.id.startsWith('more'))
        .map((m) => m.body);
    expect(visible('together')).toEqual(['v3']);
    expect(visible('single')).toEqual(['v3']);
    expect(store.channelCounts()).toEqual([{ channel: 'Alerts', unread: 2 * 81, total: 2 * 81 }]);
  });

  it('returns an empty list for an empty batch', () => {
    expect(store.insertBatch([])).toEqual([]);
    expect(store.count()).toBe(0);
  });

  it('pages newest first, continuing with beforeSeq', () => {
    const added = store.insertBatch(['a', 'b', 'c', 'd', 'e'].map((id) => newMessage({ id })));
    const first = store.page({ limit: 2 });
    expect(first.map((m) => m.id)).toEqual(['e', 'd']);
    const second = store.page({ beforeSeq: first.at(-1)?.seq, limit: 2 });
    expect(second.map((m) => m.id)).toEqual(['c', 'b']);
    const third = store.page({ beforeSeq: second.at(-1)?.seq, limit: 2 });
    expect(third.map((m) => m.id)).toEqual(['a']);
    expect(store.page({ beforeSeq: third.at(-1)?.seq, limit: 2 })).toEqual([]);
    expect(store.page({ beforeSeq: undefined, limit: 10 })).toEqual([...added].reverse());
  });

  it('keeps keyset pages stable when newer messages arrive between pages', () => {
    store.insertBatch(['a', 'b', 'c'].map((id) => newMessage({ id })));
    const first = store.page({ limit: 2 });
    store.insertBatch([newMessage({ id: 'late' })]);
    expect(store.page({ beforeSeq: first.at(-1)?.seq, limit: 2 }).map((m) => m.id)).toEqual(['a']);
  });

  it('returns an empty page from an empty store', () => {
    expect(store.page({ limit: 50 })).toEqual([]);
  });

  it('returns undefined for an unknown seq', () => {
    expect(store.get(12345)).toBeUndefined();
  });

  it('marks a message read once: changed true, then false with the first time kept', () => {
    const [added] = store.insertBatch([newMessage({ id: 'r' })]);
    const seq = added?.seq ?? -1;
    const first = store.markRead(seq, 5000);
    expect(first?.changed).toBe(true);
    expect(first?.message.readAtMs).toBe(5000);
    const second = store.markRead(seq, 9000);
    expect(second?.changed).toBe(false);
    expect(second?.message.readAtMs).toBe(5000);
    expect(store.get(seq)?.readAtMs).toBe(5000);
  });

  it('returns undefined when marking an unknown seq read', () => {
    expect(store.markRead(999, 1)).toBeUndefined();
  });

  it('gets and sets meta values, overwriting on a second set', () => {
    expect(store.getMeta('device_id')).toBeUndefined();
    store.setMeta('device_id', 'one');
    expect(store.getMeta('device_id')).toBe('one');
    store.setMeta('device_id', 'two');
    expect(store.getMeta('device_id')).toBe('two');
    expect(store.getMeta('other')).toBeUndefined();
  });

  it('keeps messages, read state, meta and the schema version after reopening', () => {
    const [added] = store.insertBatch([newMessage({ id: 'keep', tags: ['t'] })]);
    store.markRead(added?.seq ?? -1, 42);
    store.setMeta('k', 'v');
    store.close();
    expect(userVersion(join(dir, 'data', DATABASE_FILE))).toBe(SCHEMA_VERSION);

    store = MessageStore.open(join(dir, 'data'));
    expect(store.count()).toBe(1);
    expect(store.get(added?.seq ?? -1)).toEqual({ ...added, readAtMs: 42 });
    expect(store.getMeta('k')).toBe('v');
    expect(userVersion(store.path)).toBe(SCHEMA_VERSION);
    // the (connection, id) uniqueness survives too
    expect(store.insertBatch([newMessage({ id: 'keep' })])).toEqual([]);
  });

  it('does not reuse the seq of a message from before a reopen', () => {
    const [before] = store.insertBatch([newMessage({ id: 'one' })]);
    store.close();
    store = MessageStore.open(join(dir, 'data'));
    const [after] = store.insertBatch([newMessage({ id: 'two' })]);
    expect(after?.seq).toBeGreaterThan(before?.seq ?? Infinity);
  });

  it('uses WAL journaling', () => {
    const db = new DatabaseSync(store.path, { readOnly: true });
    try {
      expect((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    } finally {
      db.close();
    }
  });

  describe('insertBatch with receipts', () => {
    const delivered = (m: StoredMessage): NewReceipt => ({
      receiptId: `${m.connectionId}/${m.id}/delivered`,
      connectionId: m.connectionId,
      topic: `receipts/${m.connectionId}`,
      payload: JSON.stringify({ id: m.id, seq: m.seq, status: 'delivered' }),
      qos: 1,
      correlationData: m.correlationData,
    });

    it('stores a message sent twice in one batch once, returns it once and queues one receipt', () => {
      const seen: StoredMessage[] = [];
      const added = store.insertBatch(
        [newMessage({ id: 'dup', body: 'first' }), newMessage({ id: 'dup', body: 'second' }), newMessage({ id: 'other' })],
        (m) => {
          seen.push(m);
          return delivered(m);
        },
      );
      expect(added.map((m) => [m.id, m.body])).toEqual([
        ['dup', 'first'],
        ['other', 'Body'],
      ]);
      expect(seen).toEqual(added);
      expect(store.count()).toBe(2);
      expect(store.dueReceipts('home', Number.MAX_SAFE_INTEGER).map((r) => r.receiptId)).toEqual(['home/dup/delivered', 'home/other/delivered']);
    });

    it('returns nothing and queues nothing for a message already stored by an earlier batch', () => {
      store.insertBatch([newMessage({ id: 'dup' })], delivered);
      let calls = 0;
      const again = store.insertBatch([newMessage({ id: 'dup', body: 'redelivered' })], (m) => {
        calls++;
        return delivered(m);
      });
      expect(again).toEqual([]);
      expect(calls).toBe(0);
      expect(store.count()).toBe(1);
      expect(store.outboxSize()).toBe(1);
    });

    it('queues the receipt with the stored message, due from when it was received', () => {
      const [added] = store.insertBatch(
        [newMessage({ id: 'r1' }, { receivedAtMs: 5_000, responseTopic: 'replies', correlationData: new Uint8Array([9, 8]) })],
        delivered,
      );
      expect(store.dueReceipts('home', 4_999)).toEqual([]);
      expect(store.dueReceipts('home', 5_000)).toEqual([{ ...delivered(added as StoredMessage), attempts: 0 }]);
      expect(JSON.parse(store.dueReceipts('home', 5_000)[0]?.payload ?? '{}')).toEqual({ id: 'r1', seq: added?.seq, status: 'delivered' });
      expect(store.dueReceipts('home', 5_000)[0]?.correlationData).toEqual(new Uint8Array([9, 8]));
    });

    it('queues nothing for a message the callback returns no receipt for', () => {
      const added = store.insertBatch([newMessage({ id: 'a' }), newMessage({ id: 'b' })], (m) => (m.id === 'b' ? delivered(m) : undefined));
      expect(added).toHaveLength(2);
      expect(store.dueReceipts('home', Number.MAX_SAFE_INTEGER).map((r) => r.receiptId)).toEqual(['home/b/delivered']);
    });

    it('writes neither messages nor receipts of a batch whose receipt could not be built', () => {
      expect(() =>
        store.insertBatch([newMessage({ id: 'a' }), newMessage({ id: 'b' })], (m) => {
          if (m.id === 'b') throw new Error('no receipt topic');
          return delivered(m);
        }),
      ).toThrow('no receipt topic');
      expect(store.count()).toBe(0);
      expect(store.outboxSize()).toBe(0);
      expect(store.channelCounts()).toEqual([]);
    });
  });

  it('keeps the receipt statuses asked for, ack requests and source extras', () => {
    const [added] = store.insertBatch([
      newMessage({ id: 'x', receipts: ['delivered', 'read'], requiresAck: true, extra: { actions: [{ id: 'open' }] }, sequenceId: 'seq-1' }),
    ]);
    expect(store.get(added?.seq ?? -1)).toMatchObject({
      receipts: ['delivered', 'read'],
      requiresAck: true,
      extra: { actions: [{ id: 'open' }] },
      sequenceId: 'seq-1',
    });
  });

  it('returns each new message as it reads back, whatever optional fields the source set', () => {
    const added = store.insertBatch([
      newMessage({ id: 'plain', requiresAck: false }),
      newMessage({ id: 'full', receipts: ['read'], requiresAck: true, extra: { icon: 'x' }, sequenceId: 's' }, { responseTopic: 'r', correlationData: new Uint8Array([1]) }),
    ]);
    for (const m of added) expect(m).toEqual(store.get(m.seq));
  });

  it('visits messages oldest first for export, by channel and since a time, leaving deleted ones out', () => {
    store.insertBatch([
      newMessage({ id: 'a' }, { channel: 'One', receivedAtMs: 1_000 }),
      newMessage({ id: 'b' }, { channel: 'Two', receivedAtMs: 2_000 }),
      newMessage({ id: 'c' }, { channel: 'One', receivedAtMs: 3_000 }),
      newMessage({ id: 'd' }, { channel: 'One', receivedAtMs: 4_000 }),
    ]);
    store.deleteVersions('home', 'c', 5_000);
    expect([...store.iterate()].map((m) => m.id)).toEqual(['a', 'b', 'd']);
    expect([...store.iterate({ channel: 'One' })].map((m) => m.id)).toEqual(['a', 'd']);
    expect([...store.iterate({ sinceMs: 2_000 })].map((m) => m.id)).toEqual(['b', 'd']);
    expect([...store.iterate({ channel: 'Two', sinceMs: 2_001 })].map((m) => m.id)).toEqual([]);
    expect([...store.iterate({ sinceMs: 9_000 })]).toEqual([]);
  });

  it('passes a full integrity check after a mix of writes', () => {
    const added = store.insertBatch(Array.from({ length: 50 }, (_, i) => newMessage({ id: `i${i}`, body: `body ${i}` })));
    store.indexPending();
    store.markRead(added[3]?.seq ?? -1, 1);
    store.deleteVersions('home', 'i4', 2);
    expect(store.integrityCheck()).toEqual(['ok']);
  });

  it('can be closed twice', () => {
    store.close();
    expect(() => store.close()).not.toThrow();
  });
});
