import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Priority, StoredMessage } from '../../electron/core/message/message.ts';
import { MessageStore, type NewMessage } from '../../electron/core/store/message-store.ts';
import { WriteBatcher } from '../../electron/core/store/write-batcher.ts';

function item(id: string, priority: Priority = 3): NewMessage {
  return {
    message: { id, title: `title ${id}`, body: 'body', priority, tags: [], click: undefined, sentAtMs: undefined },
    origin: { connectionId: 'home', channel: 'Alerts', topic: 'alerts/x', retained: false, receivedAtMs: 1 },
  };
}

/** A message the store refuses (priority outside the CHECK constraint), so insertBatch throws. */
function rejectedByStore(id: string): NewMessage {
  return item(id, 9 as Priority);
}

describe('WriteBatcher', () => {
  let dir: string;
  let store: MessageStore;
  let committed: StoredMessage[][];
  let failures: { error: unknown; lost: number }[];
  let deferred: (() => void)[];

  const batcher = (maxBatch?: number): WriteBatcher =>
    new WriteBatcher({
      store,
      onCommitted: (added) => committed.push(added),
      onQueuedWriteFailed: (error, lost) => failures.push({ error, lost }),
      defer: (callback) => deferred.push(callback),
      ...(maxBatch === undefined ? {} : { maxBatch }),
    });

  const runDeferred = (): void => {
    const callbacks = deferred;
    deferred = [];
    for (const callback of callbacks) callback();
  };

  const storedIds = (): string[] => store.page({ limit: 1000 }).map((m) => m.id).reverse();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-batcher-'));
    store = MessageStore.open(dir);
    committed = [];
    failures = [];
    deferred = [];
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not write an enqueued message until the deferred callback runs', () => {
    const b = batcher();
    b.enqueue(item('a'));
    b.enqueue(item('b'));
    expect(store.count()).toBe(0);
    expect(committed).toEqual([]);
    expect(deferred).toHaveLength(1);

    runDeferred();
    expect(storedIds()).toEqual(['a', 'b']);
    expect(committed).toHaveLength(1);
    expect(committed[0]?.map((m) => m.id)).toEqual(['a', 'b']);
  });

  it('schedules one deferred flush per batch, and a new one after it ran', () => {
    const b = batcher();
    b.enqueue(item('a'));
    b.enqueue(item('b'));
    b.enqueue(item('c'));
    expect(deferred).toHaveLength(1);
    runDeferred();
    b.enqueue(item('d'));
    expect(deferred).toHaveLength(1);
    runDeferred();
    expect(committed.map((batch) => batch.map((m) => m.id))).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('writes at once when the queue reaches maxBatch', () => {
    const b = batcher(3);
    b.enqueue(item('a'));
    b.enqueue(item('b'));
    expect(store.count()).toBe(0);
    b.enqueue(item('c'));
    expect(storedIds()).toEqual(['a', 'b', 'c']);
    expect(committed.map((batch) => batch.map((m) => m.id))).toEqual([['a', 'b', 'c']]);
  });

  it('writes nothing more when the deferred callback runs after a maxBatch flush', () => {
    const b = batcher(2);
    b.enqueue(item('a'));
    b.enqueue(item('b'));
    runDeferred();
    expect(store.count()).toBe(2);
    expect(committed).toHaveLength(1);
  });

  it('commit writes the queued messages and the new one in one transaction, in order', () => {
    const b = batcher();
    b.enqueue(item('q1'));
    b.enqueue(item('q2'));
    b.commit(item('now'));
    expect(committed).toHaveLength(1);
    const batch = committed[0] ?? [];
    expect(batch.map((m) => m.id)).toEqual(['q1', 'q2', 'now']);
    const seqs = batch.map((m) => m.seq);
    expect(seqs[0]).toBeLessThan(seqs[1] ?? -Infinity);
    expect(seqs[1]).toBeLessThan(seqs[2] ?? -Infinity);
    expect(storedIds()).toEqual(['q1', 'q2', 'now']);
  });

  it('commit has written the message when it returns', () => {
    const b = batcher();
    b.commit(item('acked'));
    expect(storedIds()).toEqual(['acked']);
  });

  it('leaves nothing for the deferred flush after a commit took the queue', () => {
    const b = batcher();
    b.enqueue(item('q'));
    b.commit(item('c'));
    runDeferred();
    expect(committed).toHaveLength(1);
    expect(store.count()).toBe(2);
  });

  it('reports only the new messages to onCommitted, leaving out duplicates', () => {
    const b = batcher();
    b.commit(item('x'));
    b.enqueue(item('x'));
    b.commit(item('y'));
    expect(committed.map((batch) => batch.map((m) => m.id))).toEqual([['x'], ['y']]);
  });

  it('keeps the queued messages when commit fails, rethrows, and writes them on a later flush', () => {
    const b = batcher();
    b.enqueue(item('q1'));
    b.enqueue(item('q2'));
    expect(() => b.commit(rejectedByStore('bad'))).toThrow(/CHECK constraint/);
    expect(store.count()).toBe(0);
    expect(committed).toEqual([]);

    b.flush();
    expect(storedIds()).toEqual(['q1', 'q2']);
    expect(committed.map((batch) => batch.map((m) => m.id))).toEqual([['q1', 'q2']]);
    expect(failures).toEqual([]);
  });

  it('keeps the order of kept messages before ones enqueued after the failed commit', () => {
    const b = batcher();
    b.enqueue(item('q1'));
    expect(() => b.commit(rejectedByStore('bad'))).toThrow();
    b.enqueue(item('q2'));
    b.commit(item('c'));
    expect(committed.map((batch) => batch.map((m) => m.id))).toEqual([['q1', 'q2', 'c']]);
  });

  it('rethrows from commit when the store is closed, keeping the queued messages for a later flush', () => {
    const b = batcher();
    b.enqueue(item('q1'));
    b.enqueue(item('q2'));
    store.close();
    expect(() => b.commit(item('now'))).toThrow();
    expect(committed).toEqual([]);

    // The store is still closed, so the later flush fails too: it reports the two kept messages, not the commit's.
    runDeferred();
    expect(failures).toHaveLength(1);
    expect(failures[0]?.lost).toBe(2);
    expect(failures[0]?.error).toBeInstanceOf(Error);
  });

  it('reports a failed queued write with the number of messages lost, and does not call onCommitted', () => {
    const b = batcher();
    b.enqueue(item('a'));
    b.enqueue(rejectedByStore('bad'));
    b.enqueue(item('c'));
    runDeferred();
    expect(committed).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.lost).toBe(3);
    expect(String(failures[0]?.error)).toMatch(/CHECK constraint/);
    expect(store.count()).toBe(0);
  });

  it('flush writes what is queued now and does nothing on an empty queue', () => {
    const b = batcher();
    b.flush();
    expect(committed).toEqual([]);
    b.enqueue(item('a'));
    b.flush();
    expect(storedIds()).toEqual(['a']);
    expect(committed).toHaveLength(1);
  });

  it('uses setImmediate when no defer is given', async () => {
    const b = new WriteBatcher({
      store,
      onCommitted: (added) => committed.push(added),
      onQueuedWriteFailed: (error, lost) => failures.push({ error, lost }),
    });
    b.enqueue(item('a'));
    expect(store.count()).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(storedIds()).toEqual(['a']);
  });
});
