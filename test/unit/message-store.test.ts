import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DecodedMessage, MessageOrigin } from '../../electron/core/message/message.ts';
import { SCHEMA_VERSION } from '../../electron/core/store/migrations.ts';
import { DATABASE_FILE, MessageStore, type NewMessage } from '../../electron/core/store/message-store.ts';

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

  it('can be closed twice', () => {
    store.close();
    expect(() => store.close()).not.toThrow();
  });
});
