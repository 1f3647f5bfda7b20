import { describe, expect, it } from 'vitest';
import { buildChannelList, subscriptionKey } from '../../electron/core/channels/channel-list.ts';
import { DirectoryMessageError, MAX_DIRECTORY_BYTES, parseDirectoryMessage } from '../../electron/core/channels/directory-message.ts';
import { parseConfig } from '../../electron/core/config/load-config.ts';

const bytes = (value: unknown): Uint8Array => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('the broker\u2019s directory message', () => {
  it('lists its channels, ignoring fields a later version adds', () => {
    expect(parseDirectoryMessage(bytes({ version: 1, channels: [{ topic: 'a/#', channel: 'A', description: 'first' }], publisher: 'x' }))).toEqual([
      { topic: 'a/#', channel: 'A', description: 'first', kind: 'notification' },
    ]);
    expect(parseDirectoryMessage(new Uint8Array())).toEqual([]);
  });

  it('refuses what it cannot use, naming why', () => {
    expect(() => parseDirectoryMessage(bytes('{'))).toThrow(/not JSON/);
    expect(() => parseDirectoryMessage(bytes({ version: 2, channels: [] }))).toThrow(/version: must be 1/);
    expect(() => parseDirectoryMessage(bytes({ version: 1, channels: [{ topic: '', channel: 'A' }] }))).toThrow(/channels\[0\]\.topic/);
    expect(() => parseDirectoryMessage(new Uint8Array(MAX_DIRECTORY_BYTES + 1))).toThrow(DirectoryMessageError);
  });
});

describe('the channel list', () => {
  const config = parseConfig({
    connections: [
      {
        id: 'c',
        url: 'mqtt://127.0.0.1:1',
        subscriptions: [
          { topic: 'a/#', channel: 'A' },
          { topic: 'm/#', channel: 'M' },
          { topic: 'feed/#', channel: 'Feed', kind: 'data' },
        ],
      },
    ],
  });

  it('lists subscriptions as subscribed and offers once per topic, with counts, rules and who offers them', () => {
    const list = buildChannelList({
      connections: config.connections,
      offers: new Map([
        [
          'c',
          [
            { topic: 'a/#', channel: 'A', kind: 'notification', source: 'config' },
            { topic: 'b/#', channel: 'B', kind: 'notification', source: 'directory', description: 'bees' },
            { topic: 'b/#', channel: 'B again', kind: 'notification', source: 'policy' },
          ],
        ],
      ]),
      mandatory: new Set([subscriptionKey('c', 'm/#')]),
      addedByPerson: new Set([subscriptionKey('c', 'feed/#')]),
      counts: [{ channel: 'A', unread: 2, total: 5 }],
      rule: (channel) => ({ muted: channel === 'A', mutedUntilMs: null, minPriority: 1, sound: true }),
      ruleLockedReason: (channel) => (channel === 'M' ? 'Set by your organisation' : null),
    });
    expect(list.map((e) => [e.topic, e.subscribed, e.source, e.mandatory])).toEqual([
      ['a/#', true, 'config', false],
      ['m/#', true, 'policy', true],
      ['feed/#', true, 'user', false],
      ['b/#', false, 'directory', false],
    ]);
    expect(list[0]).toMatchObject({ unread: 2, total: 5, rule: { muted: true } });
    expect(list[1]?.ruleLockedReason).toBe('Set by your organisation');
    expect(list[2]?.kind).toBe('data');
    expect(list[3]?.description).toBe('bees');
  });
});
