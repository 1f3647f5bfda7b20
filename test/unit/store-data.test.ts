import { describe, expect, it } from 'vitest';
import { useTempStore } from '../helpers/temp-store.ts';
import type { NewDataSample, NewMessage } from '../../electron/core/store/message-store.ts';

function sample(fields: Partial<NewDataSample> & { readonly topic: string; readonly receivedAtMs: number }): NewDataSample {
  return {
    kind: 'data',
    connectionId: 'plant',
    channel: 'Plant',
    payload: fields.value === undefined ? 'n/a' : String(fields.value),
    value: undefined,
    ...fields,
  };
}

function message(id: string): NewMessage {
  return {
    message: { id, title: 'Note', body: 'text', priority: 3, tags: [], click: undefined, sentAtMs: undefined },
    origin: { connectionId: 'plant', channel: 'Plant', topic: 'plant/events', retained: false, receivedAtMs: 1_000 },
  };
}

describe('data feeds', () => {
  const temp = useTempStore('pushdesk-data-');

  it('keeps the newest value of each topic and counts the samples seen', () => {
    temp.store.insertBatch([
      sample({ topic: 'plant/temp', value: 20.5, receivedAtMs: 1_000 }),
      sample({ topic: 'plant/temp', value: 21.25, receivedAtMs: 2_000 }),
      sample({ topic: 'plant/pressure', value: 3, receivedAtMs: 2_500 }),
    ]);
    temp.store.insertBatch([sample({ topic: 'plant/temp', value: -4.75, receivedAtMs: 3_000 })]);
    expect(temp.store.dataLatest()).toEqual([
      { connectionId: 'plant', channel: 'Plant', topic: 'plant/pressure', payload: '3', value: 3, receivedAtMs: 2_500, samples: 1 },
      { connectionId: 'plant', channel: 'Plant', topic: 'plant/temp', payload: '-4.75', value: -4.75, receivedAtMs: 3_000, samples: 3 },
    ]);
  });

  it('keeps every sample of a topic, newest first, with its number', () => {
    temp.store.insertBatch([
      sample({ topic: 't', value: 1.5, receivedAtMs: 1_000 }),
      sample({ topic: 't', value: 2.5, receivedAtMs: 2_000 }),
      sample({ topic: 'other', value: 9, receivedAtMs: 2_500 }),
      sample({ topic: 't', value: 3.5, receivedAtMs: 3_000 }),
    ]);
    expect(temp.store.dataSamples('plant', 't')).toEqual([
      { payload: '3.5', value: 3.5, receivedAtMs: 3_000 },
      { payload: '2.5', value: 2.5, receivedAtMs: 2_000 },
      { payload: '1.5', value: 1.5, receivedAtMs: 1_000 },
    ]);
    expect(temp.store.dataSamples('plant', 't', 2).map((s) => s.value)).toEqual([3.5, 2.5]);
    expect(temp.store.dataSamples('elsewhere', 't')).toEqual([]);
  });

  it('keeps a payload that holds no number as text with no value, and a number exactly', () => {
    temp.store.insertBatch([
      sample({ topic: 'state', payload: 'ON', value: undefined, receivedAtMs: 1_000 }),
      sample({ topic: 'big', payload: '9007199254740991', value: Number.MAX_SAFE_INTEGER, receivedAtMs: 1_000 }),
      sample({ topic: 'tiny', payload: '1e-300', value: 1e-300, receivedAtMs: 1_000 }),
    ]);
    expect(temp.store.dataLatest().map((l) => [l.topic, l.payload, l.value])).toEqual([
      ['big', '9007199254740991', Number.MAX_SAFE_INTEGER],
      ['state', 'ON', undefined],
      ['tiny', '1e-300', 1e-300],
    ]);
    expect(temp.store.dataSamples('plant', 'state')).toEqual([{ payload: 'ON', value: undefined, receivedAtMs: 1_000 }]);
  });

  it('clears the value when a topic that held a number sends text', () => {
    temp.store.insertBatch([sample({ topic: 't', value: 5, receivedAtMs: 1_000 })]);
    temp.store.insertBatch([sample({ topic: 't', payload: 'offline', value: undefined, receivedAtMs: 2_000 })]);
    expect(temp.store.dataLatest()[0]).toMatchObject({ payload: 'offline', value: undefined, samples: 2 });
  });

  it('keeps topics of two connections apart', () => {
    temp.store.insertBatch([
      sample({ topic: 't', value: 1, receivedAtMs: 1_000 }),
      sample({ connectionId: 'lab', channel: 'Lab', topic: 't', value: 2, receivedAtMs: 1_000 }),
    ]);
    expect(temp.store.dataLatest().map((l) => [l.connectionId, l.channel, l.value, l.samples])).toEqual([
      ['lab', 'Lab', 2, 1],
      ['plant', 'Plant', 1, 1],
    ]);
    expect(temp.store.dataSamples('lab', 't').map((s) => s.value)).toEqual([2]);
  });

  it('stores data next to messages in one batch without making them messages', () => {
    const added = temp.store.insertBatch([message('a'), sample({ topic: 't', value: 1, receivedAtMs: 1_000 }), message('b')]);
    expect(added.map((m) => m.id)).toEqual(['a', 'b']);
    expect(temp.store.count()).toBe(2);
    expect(temp.store.channelCounts()).toEqual([{ channel: 'Plant', unread: 2, total: 2 }]);
    expect(temp.store.dataLatest()).toHaveLength(1);
  });

  it('writes no sample of a batch that failed', () => {
    const bad: NewMessage = { ...message('bad'), message: { ...message('bad').message, priority: 0 as 1 } };
    expect(() => temp.store.insertBatch([sample({ topic: 't', value: 1, receivedAtMs: 1_000 }), bad])).toThrow(/CHECK/);
    expect(temp.store.dataLatest()).toEqual([]);
    expect(temp.store.dataSamples('plant', 't')).toEqual([]);
  });
});
