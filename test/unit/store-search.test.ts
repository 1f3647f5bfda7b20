import { beforeEach, describe, expect, it } from 'vitest';
import { useTempStore } from '../helpers/temp-store.ts';
import type { Priority } from '../../electron/core/message/message.ts';
import type { NewMessage, SearchQuery } from '../../electron/core/store/message-store.ts';

interface Fields {
  readonly id?: string;
  readonly title?: string;
  readonly body?: string;
  readonly tags?: readonly string[];
  readonly priority?: Priority;
  readonly channel?: string;
  readonly connectionId?: string;
  readonly receivedAtMs?: number;
  readonly sequenceId?: string;
}

let nextId = 0;
let clockMs = 1_000_000;

/** A message as a source hands it to the store; each one received a second after the last unless told. */
function message(fields: Fields = {}): NewMessage {
  clockMs += 1000;
  return {
    message: {
      id: fields.id ?? `m${++nextId}`,
      title: fields.title ?? 'Note',
      body: fields.body ?? 'nothing to see',
      priority: fields.priority ?? 3,
      tags: fields.tags ?? [],
      click: undefined,
      sentAtMs: undefined,
      sequenceId: fields.sequenceId,
    },
    origin: {
      connectionId: fields.connectionId ?? 'home',
      channel: fields.channel ?? 'General',
      topic: 'home/events',
      retained: false,
      receivedAtMs: fields.receivedAtMs ?? clockMs,
    },
  };
}

describe('MessageStore.search', () => {
  const temp = useTempStore('pushdesk-search-');

  /** Ids of the messages a search finds, newest first. */
  const ids = (query: Omit<SearchQuery, 'limit'> & { limit?: number }): string[] =>
    temp.store.search({ limit: 100, ...query }).messages.map((m) => m.id);

  const indexAll = (): void => {
    while (temp.store.indexPending() > 0);
  };

  describe('words', () => {
    beforeEach(() => {
      temp.store.insertBatch([
        message({ id: 'pumps', title: 'Pumps', body: 'Both pumps are running' }),
        message({ id: 'valve', title: 'Valve', body: 'The valve is stuck' }),
        message({ id: 'both', title: 'Pump and valve', body: 'Pump pressure drops when the valve closes' }),
        message({ id: 'cafe', title: 'Café', body: 'Crème brûlée is ready at the café' }),
        message({ id: 'tagged', title: 'Door', body: 'Front door opened', tags: ['security', 'entrance'] }),
        message({ id: 'heatpump', title: 'Heatpump', body: 'Heatpump defrosting' }),
      ]);
      indexAll();
    });

    it('matches a word by its beginning: "pump" finds "pumps" but not "heatpump"', () => {
      expect(ids({ text: 'pump' })).toEqual(['both', 'pumps']);
      expect(ids({ text: 'pumps' })).toEqual(['pumps']);
    });

    it('ignores case', () => {
      expect(ids({ text: 'PUMP' })).toEqual(['both', 'pumps']);
      expect(ids({ text: 'vAlVe' })).toEqual(['both', 'valve']);
    });

    it('ignores diacritics in the text and in the search', () => {
      expect(ids({ text: 'cafe creme brulee' })).toEqual(['cafe']);
      expect(ids({ text: 'CRÈME' })).toEqual(['cafe']);
      expect(ids({ text: 'brûl' })).toEqual(['cafe']);
    });

    it('requires every word, in any of title, body and tags', () => {
      expect(ids({ text: 'pump valve' })).toEqual(['both']);
      expect(ids({ text: 'valve pump' })).toEqual(['both']);
      expect(ids({ text: 'door security' })).toEqual(['tagged']);
      expect(ids({ text: 'entrance' })).toEqual(['tagged']);
      expect(ids({ text: 'pump nowhere' })).toEqual([]);
    });

    it('returns the words it searched for, to highlight', () => {
      const result = temp.store.search({ text: '  Pump,  valve! ', limit: 10 });
      expect(result.terms).toEqual(['Pump', 'valve']);
      expect(temp.store.search({ limit: 10 }).terms).toEqual([]);
    });

    it('treats an empty or blank search as no word filter', () => {
      expect(ids({ text: '' })).toHaveLength(6);
      expect(ids({ text: '   ' })).toHaveLength(6);
    });
  });

  describe('input that is FTS5 syntax is only text', () => {
    beforeEach(() => {
      temp.store.insertBatch([
        message({ id: 'pump', body: 'pump running' }),
        message({ id: 'valve', body: 'valve stuck' }),
        message({ id: 'or', body: 'pump or valve, whichever fails first' }),
        message({ id: 'near', body: 'pump near valve and the tank' }),
      ]);
      indexAll();
    });

    const hostile = [
      '"',
      '""',
      "'",
      'pump"',
      '"pump',
      'pump AND',
      'AND',
      'OR',
      'NOT',
      'NEAR',
      'NEAR(pump valve)',
      'NEAR(pump valve, 2)',
      '(',
      ')',
      '(pump',
      '*',
      'pump*',
      '*pump',
      '^',
      '^pump',
      '-pump',
      '+',
      'body:pump',
      '{body title}: pump',
      'pump\u0000valve',
      '\u0000',
      '\u200b',
      '\u0301',
      '\\',
      '%',
      '_',
      'pump % _ \\',
      "'; DROP TABLE messages; --",
    ];
    for (const input of hostile) {
      it(`does not throw on ${JSON.stringify(input)}`, () => {
        const run = (): unknown => [
          temp.store.search({ text: input, limit: 10 }),
          temp.store.search({ text: input, limit: 10, channel: 'General', minPriority: 2, unreadOnly: true, sinceMs: 0, untilMs: 1e15 }),
        ];
        expect(run).not.toThrow();
        indexAll();
        temp.store.insertBatch([message({ body: 'an unindexed tail message' })]);
        expect(run).not.toThrow();
        expect(temp.store.count()).toBe(5);
      });
    }

    it('takes OR, AND and NEAR as words that must appear, not as operators', () => {
      expect(ids({ text: 'pump OR valve' })).toEqual(['or']);
      expect(ids({ text: 'pump AND valve' })).toEqual(['near']);
      expect(ids({ text: 'NEAR(pump valve)' })).toEqual(['near']);
    });

    it('drops quotes, stars, carets and parentheses around words', () => {
      expect(ids({ text: '"pump' })).toEqual(['near', 'or', 'pump']);
      expect(ids({ text: '^pump*' })).toEqual(['near', 'or', 'pump']);
      expect(ids({ text: '(valve)' })).toEqual(['near', 'or', 'valve']);
      expect(ids({ text: 'pump\u0000valve' })).toEqual(['near', 'or']);
    });

    it('finds nothing, rather than everything, for input with no word in it', () => {
      const result = temp.store.search({ text: '"', limit: 10 });
      expect(result.terms).toEqual([]);
      expect(result.messages).toEqual([]);
      expect(result.nextBeforeSeq).toBeUndefined();
    });
  });

  describe('Chinese, Japanese and Korean', () => {
    beforeEach(() => {
      temp.store.insertBatch([
        message({ id: 'zh', title: '泵站报警', body: '泵站压力过高' }),
        message({ id: 'zh2', body: '水箱压力正常' }),
        message({ id: 'ja', body: 'ポンプの圧力が高すぎます' }),
        message({ id: 'ko', body: '펌프 압력이 너무 높습니다' }),
        message({ id: 'mixed', body: '设备压力abc123超限' }),
      ]);
      indexAll();
    });

    it('finds a word anywhere inside a run of CJK characters', () => {
      expect(ids({ text: '压力' })).toEqual(['mixed', 'zh2', 'zh']);
      expect(ids({ text: '站压' })).toEqual(['zh']);
      expect(ids({ text: '泵站压力过高' })).toEqual(['zh']);
      expect(ids({ text: '报警' })).toEqual(['zh']);
      expect(ids({ text: 'ポンプ' })).toEqual(['ja']);
      expect(ids({ text: '高すぎ' })).toEqual(['ja']);
      expect(ids({ text: '압력' })).toEqual(['ko']);
    });

    it('needs the characters next to each other and in order', () => {
      expect(ids({ text: '压高' })).toEqual([]);
      expect(ids({ text: '力压' })).toEqual([]);
    });

    it('requires every CJK word, and mixes with other words', () => {
      expect(ids({ text: '泵站 过高' })).toEqual(['zh']);
      expect(ids({ text: '压力 正常' })).toEqual(['zh2']);
      expect(ids({ text: '压力abc' })).toEqual(['mixed']);
      expect(ids({ text: '压力ab' })).toEqual(['mixed']);
      expect(ids({ text: 'abc123' })).toEqual(['mixed']);
    });
  });

  it('finds full-width letters and ligatures by what a keyboard types', () => {
    temp.store.insertBatch([message({ id: 'wide', body: 'ＰＵＭＰ ３ failed, ﬁlter clogged' })]);
    indexAll();
    expect(ids({ text: 'pump' })).toEqual(['wide']);
    expect(ids({ text: 'filter' })).toEqual(['wide']);
    expect(ids({ text: 'ＦＩＬＴＥＲ' })).toEqual(['wide']);
  });

  describe('background indexing', () => {
    // Plain ASCII rows without tags are copied into the index by SQLite; every other row goes through
    // ftsText. Both must give the index the same words as ftsText for every row.
    const mixed = (): NewMessage[] => [
      message({ id: 'ascii', title: 'Pump', body: 'pressure low' }),
      message({ id: 'tags', title: 'Door', body: 'opened', tags: ['entrance', 'Sécurité'] }),
      message({ id: 'accent', title: 'Café', body: 'crème ready' }),
      message({ id: 'cjk', title: '报警', body: '泵站压力过高' }),
      message({ id: 'ligature', title: 'ﬁle', body: 'ＡＢＣ full width' }),
      message({ id: 'nul', title: 'nul', body: 'before\u0000after pump' }),
      message({ id: 'ascii2', title: 'Valve', body: 'stuck at 40% (pump off)' }),
    ];
    const searches = ['pump', 'pressure', 'entrance', 'securite', 'cafe', 'creme', '压力', '报', 'file', 'abc', 'after', 'stuck', 'valve', 'door'];

    it('finds the same messages whichever way a row was indexed, and counts every row of a step', () => {
      temp.store.insertBatch(mixed());
      expect(temp.store.indexPending(3)).toBe(3);
      expect(temp.store.indexPending(100)).toBe(4);
      expect(temp.store.indexPending(100)).toBe(0);
      expect(temp.store.indexedUpTo).toBe(temp.store.page({ limit: 1 })[0]?.seq);
      const found = Object.fromEntries(searches.map((text) => [text, ids({ text })]));
      expect(found).toEqual({
        // FTS5 reads text up to a NUL, whichever way the row was indexed.
        pump: ['ascii2', 'ascii'],
        pressure: ['ascii'],
        entrance: ['tags'],
        securite: ['tags'],
        cafe: ['accent'],
        creme: ['accent'],
        压力: ['cjk'],
        报: ['cjk'],
        file: ['ligature'],
        abc: ['ligature'],
        after: [],
        stuck: ['ascii2'],
        valve: ['ascii2'],
        door: ['tags'],
      });
    });

    it('indexes deleted and replaced rows too, and steps over a gap in seqs', () => {
      temp.store.insertBatch([message({ id: 'a', body: 'alpha one' }), message({ id: 'b', body: 'beta' })]);
      temp.store.deleteVersions('home', 'a', clockMs);
      temp.store.insertBatch([message({ id: 'c', body: 'alpha two' })]);
      expect(temp.store.indexPending(2)).toBe(2);
      expect(temp.store.indexPending(2)).toBe(1);
      expect(ids({ text: 'alpha' })).toEqual(['c']);
    });
  });

  describe('filters', () => {
    // 12 messages, one per second from t0: channels alternate, priority 1..5 cycles, every third read.
    const t0 = 50_000_000;
    beforeEach(() => {
      const batch = Array.from({ length: 12 }, (_, i) =>
        message({
          id: `f${i}`,
          body: i % 2 === 0 ? `alarm number ${i}` : `status number ${i}`,
          channel: i % 2 === 0 ? 'Alarms' : 'Status',
          priority: ((i % 5) + 1) as Priority,
          receivedAtMs: t0 + i * 1000,
        }),
      );
      const added = temp.store.insertBatch(batch);
      for (const m of added.filter((_, i) => i % 3 === 0)) temp.store.markRead(m.seq, t0 + 60_000);
      indexAll();
    });

    const range = (...n: number[]): string[] => n.map((i) => `f${i}`);

    it('filters by channel', () => {
      expect(ids({ channel: 'Status' })).toEqual(range(11, 9, 7, 5, 3, 1));
      expect(ids({ channel: 'Nope' })).toEqual([]);
    });

    it('filters by minimum priority', () => {
      // priorities: f0 1, f1 2, f2 3, f3 4, f4 5, f5 1, f6 2, f7 3, f8 4, f9 5, f10 1, f11 2
      expect(ids({ minPriority: 4 })).toEqual(range(9, 8, 4, 3));
      expect(ids({ minPriority: 5 })).toEqual(range(9, 4));
      expect(ids({ minPriority: 1 })).toHaveLength(12);
    });

    it('filters to unread messages', () => {
      expect(ids({ unreadOnly: true })).toEqual(range(11, 10, 8, 7, 5, 4, 2, 1));
      expect(ids({ unreadOnly: false })).toHaveLength(12);
    });

    it('filters by received time: since inclusive, until exclusive', () => {
      expect(ids({ sinceMs: t0 + 9000 })).toEqual(range(11, 10, 9));
      expect(ids({ sinceMs: t0 + 8500 })).toEqual(range(11, 10, 9));
      expect(ids({ untilMs: t0 + 2000 })).toEqual(range(1, 0));
      expect(ids({ untilMs: t0 + 2001 })).toEqual(range(2, 1, 0));
      expect(ids({ sinceMs: t0 + 3000, untilMs: t0 + 6000 })).toEqual(range(5, 4, 3));
      expect(ids({ sinceMs: t0 + 100_000 })).toEqual([]);
      expect(ids({ untilMs: t0 })).toEqual([]);
      expect(ids({ sinceMs: 0, untilMs: t0 + 100_000 })).toHaveLength(12);
      expect(ids({ sinceMs: t0 + 6000, untilMs: t0 + 3000 })).toEqual([]);
    });

    it('combines every filter with words', () => {
      expect(ids({ text: 'alarm' })).toEqual(range(10, 8, 6, 4, 2, 0));
      expect(ids({ text: 'number', channel: 'Alarms' })).toEqual(range(10, 8, 6, 4, 2, 0));
      expect(ids({ text: 'number', minPriority: 4 })).toEqual(range(9, 8, 4, 3));
      expect(ids({ text: 'alarm', unreadOnly: true })).toEqual(range(10, 8, 4, 2));
      expect(ids({ text: 'alarm', sinceMs: t0 + 4000, untilMs: t0 + 10_000 })).toEqual(range(8, 6, 4));
      expect(ids({ text: 'number', channel: 'Alarms', minPriority: 3, unreadOnly: true, sinceMs: t0 + 1000 })).toEqual(range(8, 4, 2));
      expect(ids({ text: 'status', channel: 'Alarms' })).toEqual([]);
    });

    it('applies the filters the same way to messages the index has not reached yet', () => {
      const more = Array.from({ length: 6 }, (_, i) =>
        message({
          id: `g${i}`,
          body: `alarm late ${i}`,
          channel: i % 2 === 0 ? 'Alarms' : 'Status',
          priority: ((i % 5) + 1) as Priority,
          receivedAtMs: t0 + 20_000 + i * 1000,
        }),
      );
      temp.store.insertBatch(more);
      expect(temp.store.indexedUpTo).toBeLessThan(temp.store.page({ limit: 1 })[0]?.seq ?? 0);
      const queries: SearchQuery[] = [
        { text: 'alarm', limit: 100 },
        { text: 'alarm', channel: 'Alarms', limit: 100 },
        { text: 'alarm', minPriority: 3, limit: 100 },
        { text: 'alarm', unreadOnly: true, limit: 100 },
        { text: 'alarm', sinceMs: t0 + 8000, untilMs: t0 + 23_000, limit: 100 },
        { text: 'late', limit: 100 },
      ];
      const before = queries.map((q) => temp.store.search(q).messages.map((m) => m.id));
      expect(before[0]).toEqual(['g5', 'g4', 'g3', 'g2', 'g1', 'g0', ...range(10, 8, 6, 4, 2, 0)]);
      expect(before[1]).toEqual(['g4', 'g2', 'g0', ...range(10, 8, 6, 4, 2, 0)]);
      expect(before[4]).toEqual(['g2', 'g1', 'g0', ...range(10, 8)]);
      indexAll();
      expect(queries.map((q) => temp.store.search(q).messages.map((m) => m.id))).toEqual(before);
    });
  });

  describe('keyset paging', () => {
    /** Walks every page of a query, checking each page's nextBeforeSeq. */
    function allPages(query: Omit<SearchQuery, 'limit' | 'beforeSeq'>, limit: number): { seqs: number[]; pages: number } {
      const seqs: number[] = [];
      let beforeSeq: number | undefined;
      let pages = 0;
      for (;;) {
        const page = temp.store.search({ ...query, limit, beforeSeq });
        pages++;
        seqs.push(...page.messages.map((m) => m.seq));
        if (page.nextBeforeSeq === undefined) break;
        expect(page.messages).toHaveLength(limit);
        expect(page.nextBeforeSeq).toBe(page.messages.at(-1)?.seq);
        beforeSeq = page.nextBeforeSeq;
        if (pages > 100) throw new Error('paging does not end');
      }
      return { seqs, pages };
    }

    it('walks 250 matches in pages of 100 without duplicates or gaps, newest first', () => {
      const added = temp.store.insertBatch(
        Array.from({ length: 500 }, (_, i) => message({ body: i % 2 === 0 ? `matching pump ${i}` : `other valve ${i}` })),
      );
      indexAll();
      const expected = added.filter((m) => m.body.startsWith('matching')).map((m) => m.seq).reverse();
      expect(expected).toHaveLength(250);
      const { seqs, pages } = allPages({ text: 'pump' }, 100);
      expect(pages).toBe(3);
      expect(seqs).toEqual(expected);
    });

    it('pages without words the same way', () => {
      const added = temp.store.insertBatch(Array.from({ length: 230 }, (_, i) => message({ channel: i % 3 === 0 ? 'Three' : 'Other' })));
      const expected = added.filter((m) => m.channel === 'Three').map((m) => m.seq).reverse();
      expect(allPages({ channel: 'Three' }, 25).seqs).toEqual(expected);
      expect(allPages({}, 100).seqs).toEqual(added.map((m) => m.seq).reverse());
    });

    it('ends with nextBeforeSeq undefined when the last page is short', () => {
      temp.store.insertBatch([message({ body: 'pump a' }), message({ body: 'pump b' }), message({ body: 'pump c' })]);
      indexAll();
      const first = temp.store.search({ text: 'pump', limit: 2 });
      expect(first.messages).toHaveLength(2);
      expect(first.nextBeforeSeq).toBe(first.messages[1]?.seq);
      const second = temp.store.search({ text: 'pump', limit: 2, beforeSeq: first.nextBeforeSeq });
      expect(second.messages.map((m) => m.body)).toEqual(['pump a']);
      expect(second.nextBeforeSeq).toBeUndefined();
    });

    it('merges messages newer than the index with indexed ones, across page boundaries', () => {
      const indexed = temp.store.insertBatch(Array.from({ length: 130 }, (_, i) => message({ body: `pump indexed ${i}` })));
      temp.store.insertBatch(Array.from({ length: 40 }, () => message({ body: 'valve only' })));
      indexAll();
      const tail = temp.store.insertBatch(
        Array.from({ length: 140 }, (_, i) => message({ body: i % 2 === 0 ? `pump tail ${i}` : `valve tail ${i}` })),
      );
      expect(temp.store.indexedUpTo).toBeLessThan(tail[0]?.seq ?? 0);
      const expected = [...indexed, ...tail.filter((m) => m.body.startsWith('pump'))].map((m) => m.seq).reverse();
      expect(expected).toHaveLength(200);
      const { seqs, pages } = allPages({ text: 'pump' }, 30);
      expect(seqs).toEqual(expected);
      expect(pages).toBe(7);
      // and the same after the indexer catches up
      indexAll();
      expect(allPages({ text: 'pump' }, 30).seqs).toEqual(expected);
    });

    it('keeps pages stable when messages arrive between them', () => {
      temp.store.insertBatch(Array.from({ length: 10 }, (_, i) => message({ id: `p${i}`, body: 'pump' })));
      indexAll();
      const first = temp.store.search({ text: 'pump', limit: 4 });
      temp.store.insertBatch([message({ id: 'late', body: 'pump late' })]);
      const second = temp.store.search({ text: 'pump', limit: 4, beforeSeq: first.nextBeforeSeq });
      expect(second.messages.map((m) => m.id)).toEqual(['p5', 'p4', 'p3', 'p2']);
    });
  });

  describe('deleted and replaced messages', () => {
    it('leaves out messages deleted or replaced before or after they were indexed', () => {
      temp.store.insertBatch([
        message({ id: 'a', body: 'pump first version', connectionId: 'ntfy' }),
        message({ id: 'b', body: 'pump to delete', connectionId: 'ntfy' }),
        message({ id: 'keep', body: 'pump stays' }),
      ]);
      indexAll();
      temp.store.insertBatch([
        message({ id: 'a2', body: 'pump second version', connectionId: 'ntfy', sequenceId: 'a' }),
        message({ id: 'c', body: 'pump tail to delete', connectionId: 'ntfy' }),
        message({ id: 'd', body: 'pump tail first', connectionId: 'ntfy' }),
      ]);
      temp.store.insertBatch([message({ id: 'd2', body: 'pump tail second', connectionId: 'ntfy', sequenceId: 'd' })]);
      expect(temp.store.deleteVersions('ntfy', 'b', clockMs)).toHaveLength(1);
      expect(temp.store.deleteVersions('ntfy', 'c', clockMs)).toHaveLength(1);
      const visible = ['d2', 'a2', 'keep'];
      expect(ids({ text: 'pump' })).toEqual(visible);
      expect(ids({})).toEqual(visible);
      expect(ids({ text: 'version' })).toEqual(['a2']);
      indexAll();
      expect(ids({ text: 'pump' })).toEqual(visible);
      expect(ids({ text: 'delete' })).toEqual([]);
      expect(ids({ text: 'first' })).toEqual([]);
    });
  });

  it('returns whole stored messages', () => {
    const [added] = temp.store.insertBatch([message({ title: 'Boiler', body: 'pump', tags: ['x'], priority: 5 })]);
    indexAll();
    expect(temp.store.search({ text: 'boiler', limit: 1 }).messages).toEqual([temp.store.get(added?.seq ?? -1)]);
  });
});
