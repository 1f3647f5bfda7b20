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

describe('MQTT topic filters', () => {
  it('accepts filters MQTT allows and names what is wrong with the others', async () => {
    const { topicFilterProblem } = await import('../../electron/core/config/config-schema.ts');
    for (const ok of ['a', 'a/b', '#', 'a/#', '+', 'a/+/c', '+/+/#', '$share/g/a/#', '/a', 'a//b']) expect(topicFilterProblem(ok), ok).toBeUndefined();
    expect(topicFilterProblem('a/#/b')).toMatch(/# only as the whole last level/);
    expect(topicFilterProblem('a#')).toMatch(/# only/);
    expect(topicFilterProblem('a/b+')).toMatch(/\+ only as a whole level/);
    expect(topicFilterProblem('evil/\u0000x')).toMatch(/U\+0000/);
    expect(topicFilterProblem('x'.repeat(65_536))).toMatch(/65,535 bytes/);
    // A directory message with a filter the broker would refuse is refused whole, naming it.
    expect(() => parseDirectoryMessage(bytes({ version: 1, channels: [{ topic: 'evil/\u0000x', channel: 'E' }] }))).toThrow(/channels\[0\]\.topic: must not contain/);
  });
});
