import { describe, expect, it } from 'vitest';
import {
  cleanText,
  decodePayload,
  DEFAULT_MAX_PAYLOAD_BYTES,
  PayloadError,
} from '../../electron/core/message/decode-payload.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const json = (value: unknown): Uint8Array => bytes(JSON.stringify(value));

/** Runs decodePayload and returns the PayloadError it threw; fails the test when it did not throw one. */
function rejection(payload: Uint8Array, maxPayloadBytes?: number): PayloadError {
  try {
    decodePayload(payload, 'chan', maxPayloadBytes);
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadError);
    return error as PayloadError;
  }
  throw new Error('decodePayload accepted the payload');
}

describe('decodePayload: plain text', () => {
  it('makes plain text the body, with the channel as title and default priority', () => {
    expect(decodePayload(bytes('Pump 3 stopped'), 'Plant alarms')).toEqual({
      id: undefined,
      title: 'Plant alarms',
      body: 'Pump 3 stopped',
      priority: 3,
      tags: [],
      click: undefined,
      sentAtMs: undefined,
    });
  });

  it('trims surrounding blanks and normalises CR LF and lone CR to LF', () => {
    expect(decodePayload(bytes('  line one\r\nline two\rline three\n\n'), 'c').body).toBe('line one\nline two\nline three');
  });

  it('strips NUL and other control characters but keeps tabs and newlines', () => {
    expect(decodePayload(bytes('a\u0000b\u0007c\u001bd\u007fe\tf\ng'), 'c').body).toBe('abcde\tf\ng');
  });

  it('treats a payload whose first non-blank character is not { as text, even when it is JSON', () => {
    expect(decodePayload(bytes('[1,2]'), 'c').body).toBe('[1,2]');
    expect(decodePayload(bytes('"quoted"'), 'c').body).toBe('"quoted"');
  });

  it('accepts multi-byte UTF-8', () => {
    expect(decodePayload(bytes('Température 25 °C ✓ 😀'), 'c').body).toBe('Température 25 °C ✓ 😀');
  });

  it('drops a leading UTF-8 byte-order mark', () => {
    const payload = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('hello')]);
    expect(decodePayload(payload, 'c').body).toBe('hello');
  });

  it('rejects an empty payload', () => {
    expect(rejection(new Uint8Array(0)).message).toBe('payload is empty');
  });

  it('rejects a payload of only blanks and control characters as empty', () => {
    expect(rejection(bytes(' \n\t\u0000\u0001 ')).message).toBe('payload is empty');
  });
});

describe('decodePayload: size and encoding', () => {
  it('rejects a payload over the limit, naming both sizes', () => {
    const error = rejection(bytes('x'.repeat(11)), 10);
    expect(error.message).toBe('payload of 11 bytes is over the limit of 10 bytes');
  });

  it('accepts a payload of exactly the limit', () => {
    expect(decodePayload(bytes('x'.repeat(10)), 'c', 10).body).toBe('x'.repeat(10));
  });

  it('applies the 256 KiB default limit', () => {
    expect(DEFAULT_MAX_PAYLOAD_BYTES).toBe(256 * 1024);
    expect(rejection(bytes('x'.repeat(DEFAULT_MAX_PAYLOAD_BYTES + 1))).message).toContain(
      `over the limit of ${DEFAULT_MAX_PAYLOAD_BYTES} bytes`,
    );
  });

  it('counts the limit in bytes, not characters', () => {
    // three characters, six bytes
    expect(rejection(bytes('ééé'), 5).message).toBe('payload of 6 bytes is over the limit of 5 bytes');
  });

  it('rejects invalid UTF-8', () => {
    expect(rejection(new Uint8Array([0x61, 0xc3, 0x28])).message).toBe('payload is not valid UTF-8');
    expect(rejection(new Uint8Array([0xff, 0xfe, 0xfd])).message).toBe('payload is not valid UTF-8');
  });

  it('rejects a truncated multi-byte sequence at the end', () => {
    expect(rejection(new Uint8Array([...bytes('ok'), 0xe2, 0x82])).message).toBe('payload is not valid UTF-8');
  });

  it('decodes a valid payload correctly right after rejecting an invalid one', () => {
    rejection(new Uint8Array([0xe2, 0x82]));
    expect(decodePayload(bytes('€'), 'c').body).toBe('€');
  });
});

describe('decodePayload: ntfy-style JSON', () => {
  it('reads id, title, message, priority, tags, click and time', () => {
    const decoded = decodePayload(
      json({
        id: 'msg-1.a:b_c',
        title: 'Boiler',
        message: 'Pressure high',
        priority: 5,
        tags: ['warning', 'boiler'],
        click: 'https://example.com/boiler?x=1',
        time: 1_700_000_000,
      }),
      'chan',
    );
    expect(decoded).toEqual({
      id: 'msg-1.a:b_c',
      title: 'Boiler',
      body: 'Pressure high',
      priority: 5,
      tags: ['warning', 'boiler'],
      click: 'https://example.com/boiler?x=1',
      sentAtMs: 1_700_000_000_000,
    });
  });

  it('fills defaults: channel as title, priority 3, no tags, no id, click or time', () => {
    expect(decodePayload(json({ message: 'only a body' }), 'Plant alarms')).toEqual({
      id: undefined,
      title: 'Plant alarms',
      body: 'only a body',
      priority: 3,
      tags: [],
      click: undefined,
      sentAtMs: undefined,
    });
  });

  it('accepts a title without a message, leaving the body empty', () => {
    const decoded = decodePayload(json({ title: 'Heads up' }), 'c');
    expect(decoded.title).toBe('Heads up');
    expect(decoded.body).toBe('');
  });

  it('reads JSON after leading blanks', () => {
    expect(decodePayload(bytes('  \n {"title":"t"}'), 'c').title).toBe('t');
  });

  it('ignores unknown fields', () => {
    const decoded = decodePayload(json({ title: 't', topic: 'x', attach: [{ a: 1 }], extra: null }), 'c');
    expect(decoded.title).toBe('t');
    expect(decoded).not.toHaveProperty('topic');
    expect(decoded).not.toHaveProperty('extra');
  });

  it('keeps view and http actions and the repeat of an alert that waits for acknowledgement', () => {
    const decoded = decodePayload(
      json({
        title: 't',
        ack: true,
        ack_repeat: 45,
        actions: [
          { action: 'view', label: 'Open\u0000 ticket', url: 'https://tickets.example/1' },
          { action: 'http', label: 'Silence', url: 'https://alarms.example/silence/1' },
        ],
      }),
      'c',
    );
    expect(decoded.requiresAck).toBe(true);
    expect(decoded.extra).toEqual({
      actions: [
        { action: 'view', label: 'Open ticket', url: 'https://tickets.example/1', clear: false },
        { action: 'http', label: 'Silence', url: 'https://alarms.example/silence/1', clear: false },
      ],
      ackRepeatSec: 45,
    });
  });

  it.each([
    [{ action: 'view', label: 'x', url: 'javascript:alert(1)' }, 'actions.0.url'],
    [{ action: 'view', label: 'x', url: 'file:///etc/passwd' }, 'actions.0.url'],
    [{ action: 'view', label: 'x', url: 'data:text/html,<script>1</script>' }, 'actions.0.url'],
    [{ action: 'broadcast', label: 'x', url: 'https://a.example' }, 'actions.0.action'],
  ])('refuses an action %j, naming the field', (action, field) => {
    expect(() => decodePayload(json({ title: 't', actions: [action] }), 'c')).toThrow(`field "${field}"`);
  });

  it('reads a sequence id: the message replaces the one with that id', () => {
    expect(decodePayload(json({ id: 'deploy-2', sequence_id: 'deploy-1', title: 'Deploy 50%' }), 'c').sequenceId).toBe('deploy-1');
    expect(() => decodePayload(json({ sequence_id: 'a b', title: 't' }), 'c')).toThrow('field "sequence_id" must be 1 to 128 letters');
  });

  it('refuses an acknowledgement repeat under 30 s', () => {
    expect(() => decodePayload(json({ title: 't', ack: true, ack_repeat: 5 }), 'c')).toThrow('field "ack_repeat" must be at least 30 (seconds)');
  });

  it('treats time 0 as the epoch, not as missing', () => {
    expect(decodePayload(json({ title: 't', time: 0 }), 'c').sentAtMs).toBe(0);
  });

  it('cleans control characters out of title, message and tags', () => {
    const decoded = decodePayload(json({ title: 'T\u0000itle', message: 'B\u0001ody\r\nnext', tags: ['t\u0000ag'] }), 'c');
    expect(decoded.title).toBe('Title');
    expect(decoded.body).toBe('Body\nnext');
    expect(decoded.tags).toEqual(['tag']);
  });

  it('uses the channel as title when the title is only blanks', () => {
    expect(decodePayload(json({ title: '  \u0000 ', message: 'm' }), 'Chan').title).toBe('Chan');
  });

  it('rejects a JSON message with neither title nor message', () => {
    expect(rejection(json({ priority: 4 })).message).toBe('JSON message has neither "title" nor "message"');
    expect(rejection(json({ title: ' ', message: '\u0000\n' })).message).toBe('JSON message has neither "title" nor "message"');
  });

  it('rejects invalid JSON, saying so', () => {
    const error = rejection(bytes('{"title": "t",'));
    expect(error.message).toMatch(/^payload is not valid JSON: /);
  });

  it('reads text that merely starts with { as JSON and rejects it', () => {
    expect(rejection(bytes('{braces} in a sentence')).message).toMatch(/^payload is not valid JSON/);
  });

  it('rejects an empty JSON object as having neither title nor message', () => {
    expect(rejection(bytes('{}')).message).toBe('JSON message has neither "title" nor "message"');
  });

  it('rejects deeply nested unterminated JSON as invalid JSON without overflowing the stack', () => {
    const payload = bytes('{"a":'.repeat(100_000));
    const error = rejection(payload, payload.byteLength);
    expect(error.message).toMatch(/^payload is not valid JSON: /);
  });

  it('rejects the same deeply nested payload for its size under the default limit, before parsing', () => {
    const payload = bytes('{"a":'.repeat(100_000));
    expect(rejection(payload).message).toBe(`payload of 500000 bytes is over the limit of ${DEFAULT_MAX_PAYLOAD_BYTES} bytes`);
  });

  it('parses deeply nested but complete JSON and then asks for a title or message', () => {
    const payload = bytes(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`);
    expect(rejection(payload, payload.byteLength).message).toBe('JSON message has neither "title" nor "message"');
  });

  it('ignores a deeply nested unknown field in otherwise valid JSON', () => {
    const payload = bytes(`{"title":"deep","a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    const decoded = decodePayload(payload, 'c', payload.byteLength);
    expect(decoded.title).toBe('deep');
  });

  it('does not let a __proto__ key pollute Object.prototype or supply fields', () => {
    const decoded = decodePayload(
      bytes('{"__proto__":{"polluted":"yes","title":"from prototype","priority":5},"message":"m"}'),
      'chan',
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(decoded.title).toBe('chan');
    expect(decoded.priority).toBe(3);
  });

  it('does not let a constructor.prototype key pollute Object.prototype', () => {
    decodePayload(bytes('{"constructor":{"prototype":{"polluted2":"yes"}},"title":"t"}'), 'c');
    expect(({} as Record<string, unknown>)['polluted2']).toBeUndefined();
  });
});

describe('decodePayload: priority bounds', () => {
  it.each([1, 2, 3, 4, 5])('accepts priority %i', (priority) => {
    expect(decodePayload(json({ title: 't', priority }), 'c').priority).toBe(priority);
  });

  it.each([0, 6, -1, 2.5, 100])('rejects priority %s, naming the field', (priority) => {
    expect(rejection(json({ title: 't', priority })).message).toMatch(/^field "priority" /);
  });

  it('rejects a priority given as a string, naming the field', () => {
    expect(rejection(json({ title: 't', priority: '4' })).message).toMatch(/^field "priority" /);
  });
});

describe('decodePayload: fields of the wrong type', () => {
  it.each([
    ['title', { title: 5 }],
    ['message', { title: 't', message: ['a'] }],
    ['id', { title: 't', id: 42 }],
    ['tags', { title: 't', tags: 'one,two' }],
    ['click', { title: 't', click: true }],
    ['time', { title: 't', time: '1700000000' }],
  ])('names the field "%s"', (field, value) => {
    expect(rejection(json(value)).message).toMatch(new RegExp(`^field "${field}" `));
  });

  it('names the index of a bad element inside tags', () => {
    expect(rejection(json({ title: 't', tags: ['ok', 7] })).message).toMatch(/^field "tags\.1" /);
  });

  it('rejects a negative or fractional time, naming the field', () => {
    expect(rejection(json({ title: 't', time: -1 })).message).toMatch(/^field "time" /);
    expect(rejection(json({ title: 't', time: 1.5 })).message).toMatch(/^field "time" /);
  });

  it('rejects an id with characters outside the allowed set, naming the field', () => {
    expect(rejection(json({ title: 't', id: 'a/b' })).message).toBe('field "id" must be 1 to 128 letters, digits or _ . : -');
    expect(rejection(json({ title: 't', id: '' })).message).toMatch(/^field "id" /);
    expect(rejection(json({ title: 't', id: 'x'.repeat(129) })).message).toMatch(/^field "id" /);
  });

  it('accepts an id of 128 characters', () => {
    expect(decodePayload(json({ title: 't', id: 'x'.repeat(128) }), 'c').id).toBe('x'.repeat(128));
  });

  it('rejects a title over 1024 characters, naming the field', () => {
    expect(rejection(json({ title: 'x'.repeat(1025) })).message).toMatch(/^field "title" /);
  });

  it('rejects more than 64 tags, naming the field', () => {
    expect(rejection(json({ title: 't', tags: Array.from({ length: 65 }, (_, i) => `t${i}`) })).message).toMatch(/^field "tags" /);
  });
});

describe('decodePayload: click', () => {
  it.each(['http://example.com/', 'https://example.com/a?b=c#d', 'HTTPS://EXAMPLE.COM/'])('accepts %s', (click) => {
    expect(decodePayload(json({ title: 't', click }), 'c').click).toBe(click);
  });

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(document.cookie)',
    'data:text/html,<script>alert(1)</script>',
    'file:///etc/passwd',
    'ftp://example.com/',
    'example.com',
    '/relative/path',
    '',
  ])('rejects %j, naming the field', (click) => {
    expect(rejection(json({ title: 't', click })).message).toBe('field "click" must be an http:// or https:// URL');
  });

  it('rejects a click URL over 4096 characters', () => {
    expect(rejection(json({ title: 't', click: `https://example.com/${'a'.repeat(4096)}` })).message).toMatch(/^field "click" /);
  });
});

describe('cleanText', () => {
  it('removes a leading byte-order mark and control characters, and normalises line breaks', () => {
    expect(cleanText('\ufeffa\r\nb\rc\u0000d\u000be\u000cf')).toBe('a\nb\ncdef');
  });

  it('leaves ordinary text, tabs and newlines alone', () => {
    expect(cleanText('tab\there\nnext line ü')).toBe('tab\there\nnext line ü');
  });
});

describe('decodePayload: values that would break storage or disguise text', () => {
  it('rejects a time too large for a JavaScript date, naming the field', () => {
    expect(() => decodePayload(Buffer.from('{"title":"t","time":9007199254741}'), 'C')).toThrow(/field "time" must be epoch seconds/);
  });

  it('rejects a time in milliseconds, saying so', () => {
    expect(() => decodePayload(Buffer.from('{"title":"t","time":1795300000000}'), 'C')).toThrow(/this looks like milliseconds/);
  });

  it('accepts a time in seconds', () => {
    expect(decodePayload(Buffer.from('{"title":"t","time":1795300000}'), 'C').sentAtMs).toBe(1_795_300_000_000);
  });

  it('strips C1 control characters and bidi overrides but keeps right-to-left text', () => {
    expect(cleanText('a\u0085b\u009bc')).toBe('abc');
    expect(cleanText('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(cleanText('\u2066x\u2069')).toBe('x');
    expect(cleanText('שלום مرحبا')).toBe('שלום مرحبا');
  });
});
