import { describe, expect, it } from 'vitest';
import { seededRandom } from '../helpers/seeded-random.ts';
import {
  cleanText,
  decodeJsonValue,
  decodePayload,
  DEFAULT_MAX_PAYLOAD_BYTES,
  parseCommonShape,
  parseWithSchema,
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

describe('decodePayload: the fast path for the common shape agrees with the zod schema', () => {
  const astral = '\u{1F600}';
  // Values for the fields, valid and invalid, many at or just past a bound.
  const strings = ['', ' ', 'Boiler', 'x'.repeat(128), 'x'.repeat(129), 'a b', 'id/slash', 'ok-id_1.2:3', '\u0000nul', 'line\r\nbreak', '\ufeffbom', 'bidi \u202e txt', '\ud800 lone', astral];
  const numbers = [0, -0, 1, 2, 3, 4, 5, 6, -1, 1.5, 2.0000001, 29, 30, 86_400, 86_401, 1e11, 1e11 + 1, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 1e300, 1.7e308];
  const pick = <T>(next: () => number, list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const longString = (next: () => number, around: number): string => {
    // Around a limit, in UTF-16 units or code points: zod counts code points, so astral characters matter.
    const n = around - 2 + Math.floor(next() * 5);
    return next() < 0.5 ? 'y'.repeat(n) : astral.repeat(Math.ceil(n / 2)) + (next() < 0.5 ? 'z' : '');
  };
  const anyValue = (next: () => number, depth = 0): unknown => {
    const r = next();
    if (r < 0.25) return pick(next, strings);
    if (r < 0.5) return pick(next, numbers);
    if (r < 0.6) return next() < 0.5;
    if (r < 0.7) return null;
    if (r < 0.85 && depth < 2) return Array.from({ length: Math.floor(next() * 4) }, () => anyValue(next, depth + 1));
    if (depth < 2) return { title: anyValue(next, depth + 1), nested: anyValue(next, depth + 1) };
    return 'deep';
  };
  const field = (next: () => number, name: string): unknown => {
    if (next() < 0.06) return anyValue(next); // anything, mostly the wrong type
    switch (name) {
      case 'id':
      case 'sequence_id':
        return next() < 0.5 ? pick(next, ['ok-id_1.2:3', 'A', 'x'.repeat(128)]) : next() < 0.3 ? longString(next, 128) : pick(next, strings);
      case 'title':
        return next() < 0.3 ? longString(next, 1024) : pick(next, strings);
      case 'message':
        return pick(next, strings);
      case 'priority':
        return next() < 0.6 ? 1 + Math.floor(next() * 5) : pick(next, numbers);
      case 'time':
      case 'ack_repeat':
        return pick(next, numbers);
      case 'ack':
        return next() < 0.5;
      case 'tags':
        return Array.from({ length: next() < 0.1 ? 63 + Math.floor(next() * 3) : Math.floor(next() * 4) }, () =>
          next() < 0.1 ? longString(next, 256) : next() < 0.9 ? pick(next, strings) : anyValue(next),
        );
      case 'click':
        return pick(next, ['https://example.com/x', 'http://a', 'ftp://example.com', 'javascript:alert(1)', 'not a url', 7]);
      case 'actions':
        return [{ action: pick(next, ['view', 'http', 'post']), label: pick(next, ['Open', '', 'x'.repeat(65)]), url: 'https://example.com' }];
      case 'receipts':
        return [pick(next, ['delivered', 'read', 'seen'])];
      default:
        return anyValue(next);
    }
  };
  const names = ['id', 'sequence_id', 'title', 'message', 'priority', 'tags', 'time', 'ack', 'ack_repeat', 'click', 'actions', 'receipts', 'unknown', '__proto__', 'constructor', 'toString'];
  const payload = (next: () => number): unknown => {
    const r = next();
    if (r < 0.03) return anyValue(next); // not an object at all, sometimes
    const value: Record<string, unknown> = {};
    for (const name of names) {
      // The common fields appear often, the others seldom, so both paths are exercised.
      const common = ['title', 'message', 'priority', 'id', 'tags'].includes(name);
      if (next() < (common ? 0.6 : 0.08)) Object.defineProperty(value, name, { value: field(next, name), enumerable: true, writable: true, configurable: true });
    }
    return value;
  };
  const outcome = (run: () => unknown): { ok: unknown } | { error: string } => {
    try {
      return { ok: run() };
    } catch (error) {
      expect(error).toBeInstanceOf(PayloadError);
      return { error: (error as Error).message };
    }
  };

  it('gives the same message or the same error for 30,000 generated payloads, and takes the fast path for many', () => {
    const seed = 20_261_122;
    const next = seededRandom(seed);
    let fast = 0;
    let fastAccepted = 0;
    for (let i = 0; i < 30_000; i++) {
      // Through JSON text, as payloads come: JSON.parse makes __proto__ an own key, -0 stays -0.
      const value: unknown = JSON.parse(JSON.stringify(payload(next)) ?? 'null');
      const common = parseCommonShape(value);
      if (common !== undefined) {
        fast += 1;
        // Whatever the fast path accepts, the schema accepts with the same fields.
        expect(parseWithSchema(value), `seed ${seed}, payload ${i}: ${JSON.stringify(value)}`).toEqual(common);
      }
      const viaFast = outcome(() => decodeJsonValue(value, 'chan'));
      const viaSchema = outcome(() => decodeJsonValue(value, 'chan', false));
      expect(viaFast, `seed ${seed}, payload ${i}: ${JSON.stringify(value)}`).toStrictEqual(viaSchema);
      if (common !== undefined && 'ok' in viaFast) fastAccepted += 1;
    }
    // The generator must reach both paths often for the comparison to mean something.
    console.log(`fast path ${fast}, accepted by it ${fastAccepted}, of 30,000`);
    expect(fast).toBeGreaterThan(3_000);
    expect(fastAccepted).toBeGreaterThan(1_000);
    expect(30_000 - fast).toBeGreaterThan(10_000);
  });

  it('agrees on hostile JSON texts', () => {
    const texts = [
      '{"title":"t","priority":1e400}',
      '{"title":"t","priority":-0}',
      '{"title":"t","time":-0}',
      '{"title":"t","time":1e11}',
      '{"title":"t","time":100000000000.5}',
      '{"title":"t","priority":3.0}',
      '{"title":"t","priority":"3"}',
      '{"title":"t","priority":null}',
      '{"title":null,"message":"m"}',
      '{"title":"a","title":5}',
      '{"title":5,"title":"a"}',
      '{"__proto__":{"title":"x"},"message":"m"}',
      '{"__proto__":null,"title":"t"}',
      '{"constructor":"c","toString":1,"valueOf":[],"title":"t"}',
      '{"title":"\\ud800\\udc00","message":"\\udfff"}',
      `{"title":"${'\\ud83d\\ude00'.repeat(1000)}"}`,
      `{"title":"${'\\ud83d\\ude00'.repeat(1025)}"}`,
      `{"title":"t","tags":["${'\\ud83d\\ude00'.repeat(200)}"]}`,
      `{"title":"t","tags":${JSON.stringify(Array.from({ length: 64 }, () => 'a'))}}`,
      `{"title":"t","tags":${JSON.stringify(Array.from({ length: 65 }, () => 'a'))}}`,
      '{"title":"t","tags":"prod"}',
      '{"title":"t","tags":[null]}',
      '{"title":"t","tags":[["nested"]]}',
      '{"title":"t","id":""}',
      '{"title":"t","id":"a\\u0000b"}',
      '{"title":"t","id":"ab\\n"}',
      '{"title":"t","sequence_id":"ok","id":"also-ok"}',
      '{"title":"t","ack":"true"}',
      '{"title":"t","ack":true,"ack_repeat":29}',
      '{"title":"t","ack_repeat":30.5}',
      '{"title":"t","click":null}',
      '{"title":"t","actions":null}',
      '{"title":"t","receipts":[]}',
      '{"title":"  ","message":"\\r\\n"}',
      '{"title":"\\u202e","message":"\\u0007"}',
      '{}',
      '[]',
      '[{"title":"t"}]',
      'null',
      '"title"',
      '42',
    ];
    for (const text of texts) {
      const value: unknown = JSON.parse(text);
      expect(outcome(() => decodeJsonValue(value, 'chan')), text).toStrictEqual(outcome(() => decodeJsonValue(value, 'chan', false)));
    }
  });

  it('takes the fast path for the ordinary message, and leaves click, actions and receipts to the schema', () => {
    expect(parseCommonShape({ id: 'a-1', title: 'Boiler', message: 'Pressure high', priority: 4, tags: ['prod'] })).toBeDefined();
    expect(parseCommonShape({ title: 'Boiler', click: 'https://example.com' })).toBeUndefined();
    expect(parseCommonShape({ title: 'Boiler', actions: [] })).toBeUndefined();
    expect(parseCommonShape({ title: 'Boiler', receipts: ['read'] })).toBeUndefined();
    expect(parseCommonShape({ title: astral.repeat(600) })).toBeUndefined(); // 1,200 units, 600 code points: the schema decides
    expect(parseWithSchema({ title: astral.repeat(600) }).title).toBe(astral.repeat(600));
  });
});

describe('cleanText', () => {
  it('returns text with nothing to clean as it is, and cleans the rest as before', () => {
    const reference = (text: string): string =>
      text
        .replace(/\r\n?/g, '\n')
        .replace(/^\ufeff/, '')
        // eslint-disable-next-line no-control-regex
        .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
    const next = seededRandom(7);
    const alphabet = ['a', ' ', '\t', '\n', '\r', '\ufeff', '\u0000', '\u001f', '\u007f', '\u0085', '\u009f', '\u00a0', '\u202a', '\u202e', '\u2066', '\u2069', '\u206a', 'é', '\u{1F600}'];
    for (let i = 0; i < 5_000; i++) {
      const text = Array.from({ length: Math.floor(next() * 8) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      expect(cleanText(text), JSON.stringify(text)).toBe(reference(text));
    }
    const plain = 'Pump 3 stopped';
    expect(cleanText(plain)).toBe(plain);
  });
});
