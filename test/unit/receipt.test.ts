import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../electron/core/message/message.ts';
import { buildReceipt, receiptTopic } from '../../electron/core/receipts/receipt.ts';

const message: StoredMessage = {
  seq: 7,
  id: 'msg-42',
  connectionId: 'plant',
  channel: 'Plant alarms',
  topic: 'alerts/boiler',
  title: 'Boiler',
  body: 'Pressure high',
  priority: 5,
  tags: ['warning'],
  click: undefined,
  retained: false,
  sentAtMs: undefined,
  receivedAtMs: 1_700_000_000_000,
  readAtMs: 1_700_000_100_000,
};

describe('buildReceipt', () => {
  it('carries the message id, channel and topic, the status, the device and an ISO time', () => {
    const receipt = buildReceipt(message, 'read', 'desk-1', Date.UTC(2024, 0, 2, 3, 4, 5, 678), () => 'receipt-1');
    expect(receipt).toEqual({
      type: 'receipt',
      receiptId: 'receipt-1',
      messageId: 'msg-42',
      channel: 'Plant alarms',
      topic: 'alerts/boiler',
      status: 'read',
      time: '2024-01-02T03:04:05.678Z',
      deviceId: 'desk-1',
    });
  });

  it('survives a JSON round trip unchanged', () => {
    const receipt = buildReceipt(message, 'read', 'desk-1', 0, () => 'r');
    expect(JSON.parse(JSON.stringify(receipt))).toEqual(receipt);
    expect(receipt.time).toBe('1970-01-01T00:00:00.000Z');
  });

  it('gives each receipt a fresh random id by default', () => {
    const a = buildReceipt(message, 'read', 'desk-1', 0);
    const b = buildReceipt(message, 'read', 'desk-1', 0);
    expect(a.receiptId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.receiptId).not.toBe(b.receiptId);
  });

  it('calls the id factory once per receipt', () => {
    let calls = 0;
    buildReceipt(message, 'read', 'd', 0, () => `id-${++calls}`);
    expect(calls).toBe(1);
  });
});

describe('receiptTopic', () => {
  it('replaces {device}, {channel} and {connection}', () => {
    expect(receiptTopic('receipts/{device}/{connection}/{channel}', { device: 'desk-1', channel: 'alarms', connection: 'plant' })).toBe(
      'receipts/desk-1/plant/alarms',
    );
  });

  it('replaces every occurrence of a placeholder', () => {
    expect(receiptTopic('{device}/x/{device}', { device: 'd', channel: 'c', connection: 'n' })).toBe('d/x/d');
  });

  it('leaves a template without placeholders, and unknown braces, as they are', () => {
    expect(receiptTopic('receipts/all', { device: 'd', channel: 'c', connection: 'n' })).toBe('receipts/all');
    expect(receiptTopic('receipts/{other}/{device}', { device: 'd', channel: 'c', connection: 'n' })).toBe('receipts/{other}/d');
  });

  it('turns / + and # in the values into _ so they cannot change the topic structure', () => {
    expect(
      receiptTopic('receipts/{device}/{channel}/{connection}', { device: 'a/b', channel: 'room+1#x', connection: 'c/+/#' }),
    ).toBe('receipts/a_b/room_1_x/c____');
  });

  it('turns NUL in the values into _', () => {
    expect(receiptTopic('r/{channel}', { device: 'd', channel: 'a\u0000b', connection: 'n' })).toBe('r/a_b');
  });

  it("keeps the template's own / characters and the other characters of the values", () => {
    expect(receiptTopic('r/{channel}', { device: 'd', channel: 'Plant alarms é', connection: 'n' })).toBe('r/Plant alarms é');
  });
});

describe('receiptTopic in one pass', () => {
  it('does not expand a placeholder that a channel name contains', () => {
    expect(receiptTopic('receipts/{channel}', { device: 'd', channel: '{connection}', connection: 'plant' })).toBe('receipts/{connection}');
  });
});
