import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import type { Priority } from '../../electron/core/message/message.ts';
import { MessageStore, type NewMessage } from '../../electron/core/store/message-store.ts';

function message(i: number, channel: string, priority: Priority, body: string): NewMessage {
  return {
    message: { id: `m${i}`, title: `title ${i}`, body, priority, tags: [], click: undefined, sentAtMs: undefined },
    origin: { connectionId: 'plant', channel, topic: `${channel}/${i}`, retained: false, receivedAtMs: 1_000 + i * 1_000 },
  };
}

describe('exporting what the history shows', () => {
  let dir: string;
  let hub: Hub;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-hub-export-'));
    const store = MessageStore.open(dir);
    const items: NewMessage[] = [];
    for (let i = 0; i < 1_200; i++) items.push(message(i, i % 2 === 0 ? 'Alarms' : 'Status', ((i % 5) + 1) as Priority, i % 3 === 0 ? 'pressure valve' : 'routine'));
    store.insertBatch(items);
    store.close();
    const config = parseConfig({ connections: [{ id: 'plant', url: 'mqtt://127.0.0.1:1', subscriptions: [{ topic: '#', channel: 'All' }] }] });
    hub = new Hub({ config, dataDir: dir, notifier: { show() {} }, logger: silentLogger });
  });

  afterEach(async () => {
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const expected = (keep: (i: number) => boolean): string[] => [...Array(1_200).keys()].filter(keep).map((i) => `m${i}`);

  it('holds the messages the filters select, oldest first, with words across search pages', () => {
    const ids = (filter: Parameters<Hub['exportMessages']>[0]): string[] => [...hub.exportMessages(filter)].map((m) => m.id);
    expect(ids({})).toEqual(expected(() => true));
    expect(ids({ channel: 'Alarms', minPriority: 4 })).toEqual(expected((i) => i % 2 === 0 && (i % 5) + 1 >= 4));
    // `until` is "received before" (docs/history.md), with words or without: the list and the export agree.
    const range = { sinceMs: 1_000 + 100 * 1_000, untilMs: 1_000 + 199 * 1_000 };
    expect(ids(range)).toEqual(expected((i) => i >= 100 && i < 199));
    expect(ids({ ...range, text: 'valve' })).toEqual(expected((i) => i >= 100 && i < 199 && i % 3 === 0));
    // 400 messages carry the word: more than one search page (500 is a page, the scan gives fewer).
    expect(ids({ text: 'valve' })).toEqual(expected((i) => i % 3 === 0));
    expect(ids({ text: 'valve', channel: 'Status', minPriority: 3 })).toEqual(expected((i) => i % 3 === 0 && i % 2 === 1 && (i % 5) + 1 >= 3));
  });

  it('holds only unread messages when asked', async () => {
    await hub.markRead(1);
    hub.markChannelRead('Status');
    expect([...hub.exportMessages({ unreadOnly: true })].map((m) => m.id)).toEqual(expected((i) => i !== 0 && i % 2 === 0));
  });
});
