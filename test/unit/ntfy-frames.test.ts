import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_FRAME_BYTES,
  MAX_FRAME_DEPTH,
  NtfyFrameError,
  parseNtfyFrame,
  type NtfyEvent,
} from '../../electron/core/sources/ntfy/ntfy-frames.ts';
import type { NtfyMessage } from '../../electron/core/sources/ntfy/ntfy-types.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/ntfy/${name}`, import.meta.url), 'utf8');
const lines = (name: string): string[] => fixture(name).split('\n').filter((line) => line !== '');

/** The message of a message, message_delete or message_clear event; fails the test for other events. */
function messageOf(event: NtfyEvent): NtfyMessage {
  if (!('message' in event)) throw new Error(`expected a message event, got "${event.event}"`);
  return event.message;
}

/** Runs parseNtfyFrame and returns the NtfyFrameError it threw; fails the test when it did not throw one. */
function rejection(frame: string | Uint8Array, maxBytes?: number): NtfyFrameError {
  try {
    parseNtfyFrame(frame, maxBytes);
  } catch (error) {
    expect(error).toBeInstanceOf(NtfyFrameError);
    return error as NtfyFrameError;
  }
  throw new Error('parseNtfyFrame accepted the frame');
}

/** A valid message event with `fields` replacing or adding fields. */
const frame = (fields: Record<string, unknown> = {}): string =>
  JSON.stringify({ id: 'hwQ2YpKdmg', time: 1635528741, event: 'message', topic: 'mytopic', message: 'Disk full', ...fields });

const minimal: NtfyMessage = {
  id: 'hwQ2YpKdmg',
  time: 1635528741,
  expires: undefined,
  topic: 'mytopic',
  title: undefined,
  message: 'Disk full',
  priority: undefined,
  tags: [],
  click: undefined,
  icon: undefined,
  actions: [],
  attachment: undefined,
  sequenceId: undefined,
};

describe('parseNtfyFrame: the examples from ntfy\'s documentation', () => {
  it('reads the JSON stream example: open, message, keepalive', () => {
    const events = lines('json-stream.jsonl').map((line) => parseNtfyFrame(line));
    expect(events).toEqual([
      { event: 'open', time: 1635528757 },
      { event: 'message', message: minimal },
      { event: 'keepalive', time: 1635528787 },
    ]);
  });

  it('reads the multiple-topics example, whose open event lists the topics', () => {
    const events = lines('multi-topic.jsonl').map((line) => parseNtfyFrame(line));
    expect(events[0]).toEqual({ event: 'open', time: 1637182619 });
    expect(events.slice(1).map((e) => [messageOf(e).topic, messageOf(e).message])).toEqual([
      ['mytopic1', 'for topic 1'],
      ['mytopic2', 'for topic 2'],
    ]);
  });

  it('reads the data lines of the SSE example', () => {
    const data = fixture('sse-stream.txt')
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice('data: '.length));
    expect(data.map((d) => parseNtfyFrame(d).event)).toEqual(['open', 'message', 'keepalive']);
    expect(messageOf(parseNtfyFrame(data[1] ?? '')).message).toBe('Hi!');
  });

  it('reads the full notification example with priority, tags and title', () => {
    expect(parseNtfyFrame(fixture('message-full.json'))).toEqual({
      event: 'message',
      message: {
        ...minimal,
        id: 'wze9zgqK41',
        time: 1638542110,
        topic: 'phil_alerts',
        priority: 5,
        tags: ['warning', 'skull'],
        title: 'Unauthorized access detected',
        message: 'Remote access to phils-laptop detected. Act right away.',
      },
    });
  });

  it('reads the minimal, open and keepalive examples', () => {
    expect(messageOf(parseNtfyFrame(fixture('message-minimal.json'))).title).toBeUndefined();
    expect(parseNtfyFrame(fixture('open.json'))).toEqual({ event: 'open', time: 1638542215 });
    expect(parseNtfyFrame(fixture('keepalive.json'))).toEqual({ event: 'keepalive', time: 1638542275 });
  });

  it('keeps sequence ids of updates and of delete and clear events', () => {
    const events = lines('sequence-events.jsonl').map((line) => parseNtfyFrame(line));
    expect(events.map((e) => [e.event, messageOf(e).id, messageOf(e).sequenceId])).toEqual([
      ['message', 'xE73Iyuabi', undefined],
      ['message', 'Pw2dTXeUBd', 'xE73Iyuabi'],
      ['message_clear', 'Gk4LnEL1Ni', 'xE73Iyuabi'],
      ['message_delete', 'f1hZ6pBQZ2', 'xE73Iyuabi'],
    ]);
    expect(messageOf(events[1] as NtfyEvent).expires).toBe(1673585501);
  });

  it('keeps view, http and broadcast actions, the attachment, click and icon', () => {
    const message = messageOf(parseNtfyFrame(fixture('message-actions-attachment.json')));
    expect(message.actions).toEqual([
      { action: 'view', label: 'Admin panel', url: 'https://filesrv.lan/admin', clear: true },
      { action: 'http', label: 'Turn down', url: 'https://api.nest.com/', clear: false },
      { action: 'broadcast', label: 'Take picture', url: undefined, clear: false },
    ]);
    expect(message.attachment).toEqual({ name: 'F-Droid.apk', type: undefined, size: undefined, expires: undefined, url: 'https://f-droid.org/F-Droid.apk' });
    expect(message.click).toBe('https://www.reddit.com/message/messages');
    expect(message.icon).toMatch(/^https:\/\/styles\.redditmedia\.com\//);
  });

  it('gives the same result for the UTF-8 bytes of a frame as for its text', () => {
    const text = fixture('message-full.json');
    expect(parseNtfyFrame(new TextEncoder().encode(text))).toEqual(parseNtfyFrame(text));
  });
});

describe('parseNtfyFrame: malformed frames are rejected with the reason', () => {
  it('rejects text that is not JSON', () => {
    expect(rejection('{"id":"abc","time":').message).toMatch(/^frame is not valid JSON: /);
    expect(rejection('Disk full').message).toMatch(/^frame is not valid JSON: /);
  });

  it('rejects an empty frame and JSON that is not an object', () => {
    expect(rejection('').message).toBe('frame is empty');
    expect(rejection('  \n').message).toBe('frame is empty');
    for (const text of ['[1,2]', '"message"', 'null', '42']) expect(rejection(text).message).toBe('frame is not a JSON object');
  });

  it('names the field of the wrong type', () => {
    expect(rejection(frame({ id: 42 })).message).toMatch(/^field "id" /);
    expect(rejection(frame({ id: 'has space' })).message).toBe('field "id" must be 1 to 64 letters, digits, _ or -');
    expect(rejection(frame({ time: '1635528741' })).message).toMatch(/^field "time" /);
    expect(rejection(frame({ time: -1 })).message).toMatch(/^field "time" /);
    expect(rejection(frame({ time: 1.5 })).message).toMatch(/^field "time" /);
    expect(rejection(frame({ priority: 7 })).message).toMatch(/^field "priority" /);
    expect(rejection(frame({ priority: 'high' })).message).toMatch(/^field "priority" /);
    expect(rejection(frame({ tags: 'warning,skull' })).message).toMatch(/^field "tags" /);
    expect(rejection(frame({ title: { text: 'x' } })).message).toMatch(/^field "title" /);
    expect(rejection(frame({ actions: [{ action: 'view', label: 3, url: 'https://a.example' }] })).message).toMatch(/^field "actions\.0\.label" /);
    expect(rejection(frame({ attachment: { name: 'a.jpg' } })).message).toMatch(/^field "attachment\.url" /);
  });

  it('rejects a missing id, an unknown event and a message on a topic list', () => {
    expect(rejection(JSON.stringify({ time: 1, event: 'keepalive', topic: 't' })).message).toMatch(/^field "id" /);
    expect(rejection(frame({ event: 'message_update' })).message).toMatch(/^field "event" /);
    expect(rejection(frame({ topic: 'a,b' })).message).toMatch(/^field "topic" must be one topic name/);
  });

  it('rejects delete and clear events that do not say which message they are about', () => {
    expect(rejection(frame({ event: 'message_delete' })).message).toBe(
      'message_delete event has no "sequence_id": it cannot say which message it is about',
    );
    expect(rejection(frame({ event: 'message_clear' })).message).toMatch(/^message_clear event has no "sequence_id"/);
  });

  it('rejects a frame over the size limit, counting UTF-8 bytes', () => {
    expect(rejection(frame({ message: 'x'.repeat(DEFAULT_MAX_FRAME_BYTES) })).message).toMatch(
      new RegExp(`^frame of \\d+ bytes is over the limit of ${DEFAULT_MAX_FRAME_BYTES} bytes$`),
    );
    const accented = frame({ message: 'é'.repeat(600) }); // 600 characters, 1200 bytes
    expect(accented.length).toBeLessThan(1000);
    expect(rejection(accented, 1000).message).toMatch(/over the limit of 1000 bytes/);
    expect(() => parseNtfyFrame(accented, 2000)).not.toThrow();
  });

  it('rejects deep nesting before parsing, but not brackets inside strings', () => {
    const deep = `{"id":"a","time":1,"event":"message","topic":"t","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    expect(rejection(deep).message).toBe(`frame nests objects or arrays deeper than ${MAX_FRAME_DEPTH} levels`);
    const brackets = frame({ message: '[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{ "\\" [[[[[[[[[[[[[[[[[[[[' });
    expect(messageOf(parseNtfyFrame(brackets)).message).toMatch(/^\[{20}/);
  });

  it('rejects bytes that are not UTF-8', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"message":"'), 0xc3, 0x28, ...new TextEncoder().encode('"}')]);
    expect(rejection(bytes).message).toBe('frame is not valid UTF-8');
  });
});

describe('parseNtfyFrame: hostile content in a valid frame', () => {
  it('ignores __proto__ keys: nothing is polluted and only known fields come out', () => {
    const text =
      '{"__proto__":{"polluted":"yes"},"id":"abc","time":1,"event":"message","topic":"t","message":"m",' +
      '"actions":[{"__proto__":{"polluted":"yes"},"action":"view","label":"Open","url":"https://a.example/"}],' +
      '"attachment":{"__proto__":{"polluted":"yes"},"name":"a","url":"https://a.example/a"}}';
    const message = messageOf(parseNtfyFrame(text));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(message)).toBe(Object.prototype);
    expect((message as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect((message.actions[0] as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect((message.attachment as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(message).sort()).toEqual(Object.keys(minimal).sort());
  });

  it('drops a click link that is not http(s) but keeps the message', () => {
    for (const click of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<script>', 'file:///etc/passwd', 'mailto:a@b.example', 'not a url']) {
      const message = messageOf(parseNtfyFrame(frame({ click })));
      expect(message.click, click).toBeUndefined();
      expect(message.message).toBe('Disk full');
    }
    expect(messageOf(parseNtfyFrame(frame({ click: 'HTTPS://Example.com/a b' }))).click).toBe('https://example.com/a%20b');
  });

  it('drops actions whose URL is not http(s), and action kinds a desktop cannot carry out', () => {
    const message = messageOf(
      parseNtfyFrame(
        frame({
          actions: [
            { action: 'view', label: 'Evil', url: 'javascript:alert(1)' },
            { action: 'http', label: 'Local file', url: 'file:///etc/passwd' },
            { action: 'view', label: 'No URL' },
            { action: 'copy', label: 'Copy code', value: '1234' },
            { action: 'view', label: '   ', url: 'https://blank.example/' },
            { action: 'view', label: 'Good', url: 'https://good.example/' },
          ],
        }),
      ),
    );
    expect(message.actions).toEqual([{ action: 'view', label: 'Good', url: 'https://good.example/', clear: false }]);
  });

  it('drops an attachment or icon whose URL is not http(s)', () => {
    const message = messageOf(parseNtfyFrame(frame({ attachment: { name: 'x.html', url: 'javascript:alert(1)' }, icon: 'file:///icon.png' })));
    expect(message.attachment).toBeUndefined();
    expect(message.icon).toBeUndefined();
  });

  it('strips control and bidi-override characters from text fields', () => {
    const message = messageOf(parseNtfyFrame(frame({ title: 'Pay\u202Eexe.pdf\u0000', message: 'a\u0007b', tags: ['ok\u001b', '\u0000'] })));
    expect(message.title).toBe('Payexe.pdf');
    expect(message.message).toBe('ab');
    expect(message.tags).toEqual(['ok']);
  });

  it('reads priority 0 as not set and decodes base64 bodies that are text', () => {
    expect(messageOf(parseNtfyFrame(frame({ priority: 0 }))).priority).toBeUndefined();
    const encoded = Buffer.from('binary-safe text ✓').toString('base64');
    expect(messageOf(parseNtfyFrame(frame({ message: encoded, encoding: 'base64' }))).message).toBe('binary-safe text ✓');
    const binary = Buffer.from([0xff, 0xfe, 0x00]).toString('base64');
    expect(messageOf(parseNtfyFrame(frame({ message: binary, encoding: 'base64' }))).message).toBeUndefined();
  });
});
