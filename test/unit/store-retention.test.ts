import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { useTempStore } from '../helpers/temp-store.ts';
import type { Priority } from '../../electron/core/message/message.ts';
import {
  type NewDataSample,
  type NewMessage,
  type RetentionRule,
  type RetentionSettings,
  type RetentionStepResult,
} from '../../electron/core/store/message-store.ts';

interface Fields {
  readonly id?: string;
  readonly body?: string;
  readonly priority?: Priority;
  readonly channel?: string;
  readonly connectionId?: string;
  readonly receivedAtMs: number;
}

let nextId = 0;

function message(fields: Fields): NewMessage {
  return {
    message: {
      id: fields.id ?? `m${++nextId}`,
      title: 'Note',
      body: fields.body ?? 'text',
      priority: fields.priority ?? 3,
      tags: [],
      click: undefined,
      sentAtMs: undefined,
    },
    origin: {
      connectionId: fields.connectionId ?? 'home',
      channel: fields.channel ?? 'General',
      topic: 'home/events',
      retained: false,
      receivedAtMs: fields.receivedAtMs,
    },
  };
}

function sample(topic: string, value: number, receivedAtMs: number): NewDataSample {
  return { kind: 'data', connectionId: 'plant', channel: 'Plant', topic, payload: String(value), value, receivedAtMs };
}

/** Retention that keeps everything unless a test says otherwise. */
function settings(overrides: Partial<RetentionSettings> & { rules?: Record<string, RetentionRule> } = {}): RetentionSettings {
  const { rules, ...rest } = overrides;
  return {
    defaults: {},
    channels: new Map(Object.entries(rules ?? {})),
    dataSamplesPerTopic: 1_000_000,
    dataMaxAgeMs: 1e12,
    tombstoneMs: 1e12,
    ...rest,
  };
}

const MINUTE = 60_000;
const NOW = 100 * 24 * 60 * MINUTE;

describe('MessageStore.retentionStep', () => {
  const temp = useTempStore('pushdesk-retention-');

  const ids = (channel?: string): string[] => [...temp.store.iterate({ channel })].map((m) => m.id);

  /** Runs steps until one says nothing more is left, as the hub does; returns the totals. */
  function runAll(s: RetentionSettings, nowMs = NOW, limit?: number): { deletedMessages: number; deletedSamples: number; steps: number } {
    let deletedMessages = 0;
    let deletedSamples = 0;
    for (let steps = 1; steps < 1000; steps++) {
      const r = temp.store.retentionStep(s, nowMs, limit);
      deletedMessages += r.deletedMessages;
      deletedSamples += r.deletedSamples;
      if (!r.more) return { deletedMessages, deletedSamples, steps };
    }
    throw new Error('retention does not finish');
  }

  it('keeps an alert still waiting for acknowledgement beyond maxCount, until its maximum age', () => {
    const alert = message({ id: 'alert', receivedAtMs: 1 });
    temp.store.insertBatch([{ ...alert, message: { ...alert.message, requiresAck: true } }]);
    temp.store.insertBatch(Array.from({ length: 10 }, (_, i) => message({ receivedAtMs: 10 + i })));
    runAll(settings({ defaults: { maxCount: 3 } }));
    expect(ids()).toContain('alert');
    expect(temp.store.count()).toBe(4);
    runAll(settings({ defaults: { maxCount: 3, maxAgeMs: NOW - 5 } }));
    expect(ids()).not.toContain('alert');
  });

  it('removes no message for a size cap that data samples alone exceed, and says so', () => {
    temp.store.insertBatch(Array.from({ length: 200 }, (_, i) => message({ receivedAtMs: i })));
    const big = 'x'.repeat(16_000);
    temp.store.insertBatch(Array.from({ length: 300 }, (_, i) => ({ ...sample('plant/big', i, NOW - i), payload: big })));
    const result = temp.store.retentionStep(settings({ maxBytes: 1024 * 1024 }), NOW);
    expect(result.deletedMessages).toBe(0);
    expect(result.sizeCapUnreachable).toBe(true);
    expect(temp.store.count()).toBe(200);
  });

  it('removes nothing when no rule limits anything', () => {
    temp.store.insertBatch(Array.from({ length: 20 }, (_, i) => message({ receivedAtMs: i })));
    expect(temp.store.retentionStep(settings(), NOW)).toEqual({ deletedMessages: 0, deletedSamples: 0, more: false });
    expect(temp.store.count()).toBe(20);
  });

  describe('maxCount', () => {
    it('keeps the newest maxCount messages of a channel', () => {
      temp.store.insertBatch(Array.from({ length: 10 }, (_, i) => message({ id: `a${i}`, receivedAtMs: NOW - 10_000 + i })));
      const result = temp.store.retentionStep(settings({ defaults: { maxCount: 3 } }), NOW);
      expect(result).toEqual({ deletedMessages: 7, deletedSamples: 0, more: false });
      expect(ids()).toEqual(['a7', 'a8', 'a9']);
    });

    it('applies a channel its own rule and every other channel the default', () => {
      const batch: NewMessage[] = [];
      for (let i = 0; i < 8; i++) {
        for (const channel of ['Keep', 'Trim', 'Other', 'Free']) batch.push(message({ id: `${channel}${i}`, channel, receivedAtMs: NOW - 1000 + i }));
      }
      temp.store.insertBatch(batch);
      runAll(settings({ defaults: { maxCount: 2 }, rules: { Keep: { maxCount: 5 }, Trim: { maxCount: 1 }, Free: {} } }));
      expect(ids('Keep')).toEqual(['Keep3', 'Keep4', 'Keep5', 'Keep6', 'Keep7']);
      expect(ids('Trim')).toEqual(['Trim7']);
      expect(ids('Other')).toEqual(['Other6', 'Other7']);
      expect(ids('Free')).toHaveLength(8);
    });

    it('counts only visible messages: deleted versions do not take the place of kept ones', () => {
      temp.store.insertBatch([
        message({ id: 'urgent', priority: 5, receivedAtMs: NOW - 20_000 }),
        ...Array.from({ length: 6 }, (_, i) => message({ id: `a${i}`, receivedAtMs: NOW - 10_000 + i })),
      ]);
      temp.store.deleteVersions('home', 'a5', NOW - 100);
      temp.store.deleteVersions('home', 'a4', NOW - 100);
      runAll(settings({ defaults: { maxCount: 2 } }));
      expect(ids()).toEqual(['urgent', 'a2', 'a3']);
    });

    it('never removes an unread message of priority 4 or 5 by count, but does a read one or a lower one', () => {
      const added = temp.store.insertBatch([
        message({ id: 'high-unread', priority: 4, receivedAtMs: NOW - 9000 }),
        message({ id: 'urgent-unread', priority: 5, receivedAtMs: NOW - 8000 }),
        message({ id: 'urgent-read', priority: 5, receivedAtMs: NOW - 7000 }),
        message({ id: 'default-unread', priority: 3, receivedAtMs: NOW - 6000 }),
        ...Array.from({ length: 3 }, (_, i) => message({ id: `new${i}`, receivedAtMs: NOW - 100 + i })),
      ]);
      temp.store.markRead(added[2]?.seq ?? -1, NOW - 5000);
      runAll(settings({ defaults: { maxCount: 2 } }));
      expect(ids()).toEqual(['high-unread', 'urgent-unread', 'new1', 'new2']);
      // once read, it goes like any other
      temp.store.markRead(added[0]?.seq ?? -1, NOW);
      runAll(settings({ defaults: { maxCount: 2 } }));
      expect(ids()).toEqual(['urgent-unread', 'new1', 'new2']);
    });
  });

  describe('maxAge', () => {
    it('removes messages older than the channel maximum age and keeps the rest', () => {
      temp.store.insertBatch([
        message({ id: 'default-old', channel: 'Plain', receivedAtMs: NOW - 61 * MINUTE }),
        message({ id: 'default-young', channel: 'Plain', receivedAtMs: NOW - 59 * MINUTE }),
        message({ id: 'old', channel: 'Short', receivedAtMs: NOW - 11 * MINUTE }),
        message({ id: 'other-old', channel: 'Long', receivedAtMs: NOW - 11 * MINUTE }),
        message({ id: 'edge', channel: 'Short', receivedAtMs: NOW - 10 * MINUTE }),
        message({ id: 'young', channel: 'Short', receivedAtMs: NOW - 9 * MINUTE }),
      ]);
      const s = settings({ defaults: { maxAgeMs: 60 * MINUTE }, rules: { Short: { maxAgeMs: 10 * MINUTE }, Long: { maxAgeMs: 24 * 60 * MINUTE } } });
      expect(runAll(s).deletedMessages).toBe(2);
      expect(ids('Short')).toEqual(['edge', 'young']);
      expect(ids('Long')).toEqual(['other-old']);
      expect(ids('Plain')).toEqual(['default-young']);
    });

    it('never removes a message younger than the maximum age, even when the clock went back', () => {
      temp.store.insertBatch([
        message({ id: 'old', receivedAtMs: NOW - 20 * MINUTE }),
        message({ id: 'young-before-jump', receivedAtMs: NOW - MINUTE }),
        message({ id: 'old-after-jump', receivedAtMs: NOW - 30 * MINUTE }),
        message({ id: 'old-after-jump-2', receivedAtMs: NOW - 25 * MINUTE }),
        message({ id: 'young', receivedAtMs: NOW - 30_000 }),
      ]);
      runAll(settings({ defaults: { maxAgeMs: 10 * MINUTE } }));
      expect(ids()).toContain('young-before-jump');
      expect(ids()).toContain('young');
    });

    it('removes an unread urgent message once it is older than the maximum age', () => {
      temp.store.insertBatch([
        message({ id: 'urgent-old', priority: 5, receivedAtMs: NOW - 2 * MINUTE }),
        message({ id: 'urgent-young', priority: 5, receivedAtMs: NOW - 30_000 }),
      ]);
      runAll(settings({ defaults: { maxAgeMs: MINUTE } }));
      expect(ids()).toEqual(['urgent-young']);
    });

    it('removes old deleted versions with the channel age too', () => {
      temp.store.insertBatch([message({ id: 'a', receivedAtMs: NOW - 2 * MINUTE }), message({ id: 'b', receivedAtMs: NOW - 2 * MINUTE })]);
      temp.store.deleteVersions('home', 'a', NOW - MINUTE);
      runAll(settings({ defaults: { maxAgeMs: MINUTE } }));
      expect(temp.store.count()).toBe(0);
    });
  });

  describe('size cap', () => {
    it('removes the oldest messages until the store is under maxBytes, keeping unread urgent ones', () => {
      const filler = 'x'.repeat(400);
      temp.store.insertBatch([
        message({ id: 'urgent-unread', priority: 5, receivedAtMs: 0 }),
        message({ id: 'urgent-read', priority: 5, receivedAtMs: 1 }),
      ]);
      temp.store.markRead([...temp.store.iterate()][1]?.seq ?? -1, 2);
      for (let b = 0; b < 6; b++) {
        temp.store.insertBatch(Array.from({ length: 500 }, (_, i) => message({ id: `f${b * 500 + i}`, body: `${filler} ${b} ${i}`, receivedAtMs: 10 + b * 500 + i })));
      }
      while (temp.store.indexPending() > 0);
      const before = temp.store.usedBytes();
      const maxBytes = Math.floor(before / 2);
      for (let i = 0; i < 200 && temp.store.usedBytes() > maxBytes; i++) temp.store.retentionStep(settings({ maxBytes }), NOW);
      expect(temp.store.usedBytes()).toBeLessThanOrEqual(maxBytes);
      const kept = ids();
      expect(kept[0]).toBe('urgent-unread');
      expect(kept).not.toContain('urgent-read');
      // the rest is the newest messages, without gaps
      const rest = kept.slice(1);
      expect(rest.length).toBeGreaterThan(0);
      expect(rest.length).toBeLessThan(3000);
      expect(rest).toEqual(Array.from({ length: rest.length }, (_, i) => `f${3000 - rest.length + i}`));
      // under the cap, the next step removes nothing
      expect(temp.store.retentionStep(settings({ maxBytes }), NOW).deletedMessages).toBe(0);
    });

    it('removes nothing while the store is under maxBytes', () => {
      temp.store.insertBatch(Array.from({ length: 50 }, (_, i) => message({ receivedAtMs: i })));
      expect(temp.store.retentionStep(settings({ maxBytes: temp.store.usedBytes() * 2 }), NOW).deletedMessages).toBe(0);
      expect(temp.store.count()).toBe(50);
    });

    it('reports the bytes the pages in use hold', () => {
      const empty = temp.store.usedBytes();
      expect(empty).toBeGreaterThan(0);
      temp.store.insertBatch(Array.from({ length: 500 }, (_, i) => message({ body: 'y'.repeat(1000), receivedAtMs: i })));
      expect(temp.store.usedBytes()).toBeGreaterThan(empty + 500 * 1000);
    });
  });

  describe('tombstones', () => {
    it('removes deleted and replaced versions once they are older than tombstoneMs', () => {
      temp.store.insertBatch([message({ id: 'a', receivedAtMs: 1000 }), message({ id: 'keep', receivedAtMs: 1000 })]);
      temp.store.insertBatch([{ ...message({ id: 'a2', receivedAtMs: 5000 }), message: { ...message({ id: 'a2', receivedAtMs: 5000 }).message, sequenceId: 'a' } }]);
      temp.store.deleteVersions('home', 'a', 8000);
      expect(temp.store.count()).toBe(3);
      // 'a' was replaced at 5000, 'a2' deleted at 8000
      expect(temp.store.retentionStep(settings({ tombstoneMs: 4000 }), 8999).deletedMessages).toBe(0);
      expect(temp.store.retentionStep(settings({ tombstoneMs: 4000 }), 9001).deletedMessages).toBe(1);
      expect(temp.store.count()).toBe(2);
      expect(temp.store.retentionStep(settings({ tombstoneMs: 4000 }), 12_001).deletedMessages).toBe(1);
      expect(ids()).toEqual(['keep']);
      expect(temp.store.count()).toBe(1);
    });
  });

  describe('limit per step', () => {
    it('removes at most `limit` rows a step and says when more is left', () => {
      temp.store.insertBatch(Array.from({ length: 55 }, (_, i) => message({ id: `a${i}`, receivedAtMs: NOW - 1000 + i })));
      const s = settings({ defaults: { maxCount: 5 } });
      const steps: RetentionStepResult[] = [];
      for (let i = 0; i < 10; i++) {
        const r = temp.store.retentionStep(s, NOW, 20);
        steps.push(r);
        if (!r.more) break;
      }
      expect(steps.map((r) => r.deletedMessages)).toEqual([20, 20, 10]);
      expect(steps.map((r) => r.more)).toEqual([true, true, false]);
      expect(ids()).toEqual(['a50', 'a51', 'a52', 'a53', 'a54']);
    });

    it('shares the limit between age, count, tombstones and samples', () => {
      temp.store.insertBatch(Array.from({ length: 10 }, (_, i) => message({ id: `old${i}`, channel: 'Aged', receivedAtMs: NOW - 10 * MINUTE })));
      temp.store.insertBatch(Array.from({ length: 10 }, (_, i) => message({ id: `c${i}`, channel: 'Counted', receivedAtMs: NOW - 1000 + i })));
      temp.store.insertBatch(Array.from({ length: 10 }, (_, i) => sample('t', i, NOW - 1000 + i)));
      const s = settings({ rules: { Aged: { maxAgeMs: MINUTE }, Counted: { maxCount: 2 } }, dataSamplesPerTopic: 2 });
      const first = temp.store.retentionStep(s, NOW, 12);
      expect(first.deletedMessages + first.deletedSamples).toBe(12);
      expect(first.more).toBe(true);
      const rest = runAll(s, NOW, 12);
      expect(first.deletedMessages + rest.deletedMessages).toBe(18);
      expect(first.deletedSamples + rest.deletedSamples).toBe(8);
      expect(ids()).toEqual(['c8', 'c9']);
    });

    it('trims the samples of one busy topic within the limit', () => {
      temp.store.insertBatch(Array.from({ length: 40 }, (_, i) => sample('busy', i, NOW - 1000 + i)));
      const s = settings({ dataSamplesPerTopic: 5 });
      const first = temp.store.retentionStep(s, NOW, 10);
      expect(first).toEqual({ deletedMessages: 0, deletedSamples: 10, more: true });
      expect(runAll(s, NOW, 10).deletedSamples).toBe(25);
      expect(temp.store.dataSamples('plant', 'busy').map((x) => x.value)).toEqual([39, 38, 37, 36, 35]);
    });
  });

  describe('data samples', () => {
    it('keeps samplesPerTopic samples per topic, the newest', () => {
      temp.store.insertBatch([
        ...Array.from({ length: 10 }, (_, i) => sample('a', i, NOW - 1000 + i)),
        ...Array.from({ length: 2 }, (_, i) => sample('b', 100 + i, NOW - 1000 + i)),
      ]);
      const r = runAll(settings({ dataSamplesPerTopic: 3 }));
      expect(r.deletedSamples).toBe(7);
      expect(temp.store.dataSamples('plant', 'a').map((x) => x.value)).toEqual([9, 8, 7]);
      expect(temp.store.dataSamples('plant', 'b').map((x) => x.value)).toEqual([101, 100]);
      // the latest value and the count of samples seen are not retention's business
      expect(temp.store.dataLatest().find((l) => l.topic === 'a')).toMatchObject({ value: 9, samples: 10 });
    });

    it('removes samples older than the data maximum age', () => {
      temp.store.insertBatch([sample('a', 1, NOW - 3 * MINUTE), sample('a', 2, NOW - 2 * MINUTE), sample('a', 3, NOW - 30_000), sample('b', 4, NOW - 5 * MINUTE)]);
      expect(runAll(settings({ dataMaxAgeMs: MINUTE })).deletedSamples).toBe(3);
      expect(temp.store.dataSamples('plant', 'a').map((x) => x.value)).toEqual([3]);
      expect(temp.store.dataSamples('plant', 'b')).toEqual([]);
      expect(temp.store.dataLatest().map((l) => l.topic)).toEqual(['a', 'b']);
    });
  });

  describe('full-text index', () => {
    function indexMatches(word: string): number {
      const db = new DatabaseSync(temp.store.path, { readOnly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH ?').get(word) as { n: number }).n;
      } finally {
        db.close();
      }
    }

    it('loses the rows of removed messages, indexed or not yet', () => {
      temp.store.insertBatch(Array.from({ length: 10 }, (_, i) => message({ id: `a${i}`, body: `pump ${i}`, receivedAtMs: NOW - 10 * MINUTE + i })));
      while (temp.store.indexPending() > 0);
      temp.store.insertBatch(Array.from({ length: 4 }, (_, i) => message({ id: `b${i}`, body: `pump tail ${i}`, receivedAtMs: NOW - 10 * MINUTE + 100 + i })));
      temp.store.insertBatch(Array.from({ length: 3 }, (_, i) => message({ id: `c${i}`, body: `pump young ${i}`, receivedAtMs: NOW - 3 + i })));
      expect(indexMatches('pump')).toBe(10);
      runAll(settings({ defaults: { maxAgeMs: MINUTE } }));
      expect(indexMatches('pump')).toBe(0);
      expect(temp.store.search({ text: 'pump', limit: 100 }).messages.map((m) => m.id)).toEqual(['c2', 'c1', 'c0']);
      while (temp.store.indexPending() > 0);
      expect(indexMatches('pump')).toBe(3);
      expect(indexMatches('tail')).toBe(0);
      expect(temp.store.search({ text: 'pump', limit: 100 }).messages.map((m) => m.id)).toEqual(['c2', 'c1', 'c0']);
      expect(temp.store.integrityCheck()).toEqual(['ok']);
      const db = new DatabaseSync(temp.store.path);
      try {
        expect(() => db.exec("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")).not.toThrow();
      } finally {
        db.close();
      }
    });
  });
});
