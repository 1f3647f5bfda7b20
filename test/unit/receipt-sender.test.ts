import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../electron/core/logger.ts';
import { ReceiptSender, retryDelayMs } from '../../electron/core/receipts/receipt-sender.ts';
import { MessageStore, type OutboxReceipt } from '../../electron/core/store/message-store.ts';

describe('ReceiptSender and the receipt outbox', () => {
  let dir: string;
  let store: MessageStore;
  let now = 1_000_000;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-sender-'));
    store = MessageStore.open(dir);
    now = 1_000_000;
    const [message] = store.insertBatch([
      {
        message: { id: 'm1', title: 't', body: 'b', priority: 3, tags: [], click: undefined, sentAtMs: undefined },
        origin: { connectionId: 'c', channel: 'C', topic: 'x', retained: false, receivedAtMs: now },
      },
    ]);
    store.markReadWithReceipt(message?.seq as number, now, () => ({
      receiptId: 'r1',
      connectionId: 'c',
      topic: 'receipts/d',
      payload: '{"receiptId":"r1"}',
      qos: 1,
      correlationData: undefined,
    }));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sender = (send: (r: OutboxReceipt) => Promise<void>, ready = () => true, confirmed: string[] = []) =>
    new ReceiptSender({ store, connectionId: 'c', logger: silentLogger, now: () => now, transport: { ready, send }, onConfirmed: (id) => confirmed.push(id) });

  it('writes the receipt in the same transaction as the read mark, and sends it once it is confirmed', async () => {
    expect(store.outboxSize()).toBe(1);
    const sent: string[] = [];
    const confirmed: string[] = [];
    const s = sender(async (r) => void sent.push(r.receiptId), () => true, confirmed);
    s.kick();
    await new Promise((resolve) => setTimeout(resolve, 50));
    s.stop();
    expect(sent).toEqual(['r1']);
    expect(confirmed).toEqual(['r1']);
    expect(store.outboxSize()).toBe(0);
  });

  it('keeps a receipt whose sending failed and retries it after a growing delay, with the same id', async () => {
    const attempts: string[] = [];
    const failing = sender(async (r) => {
      attempts.push(r.receiptId);
      throw new Error('broker unreachable');
    });
    failing.kick();
    await new Promise((resolve) => setTimeout(resolve, 50));
    failing.stop();
    expect(attempts).toEqual(['r1']);
    expect(store.dueReceipts('c', now)).toHaveLength(0); // not due before its retry delay
    now += retryDelayMs(0);
    expect(store.dueReceipts('c', now).map((r) => [r.receiptId, r.attempts])).toEqual([['r1', 1]]);
    expect(retryDelayMs(0)).toBe(1000);
    expect(retryDelayMs(10)).toBe(60_000);
  });

  it('sends nothing while the connection is down', async () => {
    const sent: string[] = [];
    const s = sender(async (r) => void sent.push(r.receiptId), () => false);
    s.kick();
    await new Promise((resolve) => setTimeout(resolve, 50));
    s.stop();
    expect(sent).toEqual([]);
    expect(store.outboxSize()).toBe(1);
  });
});
