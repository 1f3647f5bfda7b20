import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { DATABASE_FILE, MessageStore, type SearchQuery } from '../../electron/core/store/message-store.ts';
import { seededRandom } from '../helpers/seeded-random.ts';
import { CHANNELS, CHINESE_WORDS, WORDS, type StoreFixture } from './store-fixture.ts';

/** Per-call times (ms) of the store and of its baseline over the same inputs, measured alternately. */
export interface Paired {
  readonly store: number[];
  readonly baseline: number[];
}

/** What the search figure also reports: how many queries found anything, so the figure is not of empty lookups. */
export interface SearchFigures extends Paired {
  readonly queries: number;
  readonly withResultsStore: number;
  readonly withResultsBaseline: number;
  /** The slowest store queries, to see what the tail is made of. */
  readonly slowest: { query: string; ms: number }[];
}

/** All the figures measured on the large store. */
export interface StoreFigures {
  readonly search: SearchFigures;
  readonly newestPage: Paired;
  readonly deepPage: Paired;
  readonly counts: Paired;
}

/** Words no message holds (typos and the like): such a query must not cost a full scan. */
const ABSENT = ['srever', 'pumpp', 'xylophone', 'kubernetes', 'zeppelin', 'quux'];

/**
 * The search workload: 1-2 word queries, some with filters, all for the first page of 50.
 *
 * Most words are English, drawn uniformly from the vocabulary (so common and rare words alike); some
 * are Chinese, some an order number that occurs once, a few a word no message has. About one in five
 * also names a channel, one in seven asks for unread only, one in seven for priority 4 and up.
 */
export function searchWorkload(fixture: StoreFixture, count: number): SearchQuery[] {
  const random = seededRandom(7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const queries: SearchQuery[] = [];
  for (let i = 0; i < count; i++) {
    const roll = random();
    let text: string;
    if (roll < 0.1) text = random() < 0.7 ? pick(CHINESE_WORDS) : `${pick(CHINESE_WORDS)}${pick(CHINESE_WORDS)}`;
    else if (roll < 0.18 && fixture.orderNumbers.length > 0) text = pick(fixture.orderNumbers);
    else if (roll < 0.22) text = pick(ABSENT);
    else text = random() < 0.55 ? pick(WORDS) : `${pick(WORDS)} ${pick(WORDS)}`;
    queries.push({
      text,
      limit: 50,
      ...(random() < 0.2 ? { channel: pick(CHANNELS) } : {}),
      ...(random() < 0.15 ? { unreadOnly: true } : {}),
      ...(random() < 0.15 ? { minPriority: 4 as const } : {}),
    });
  }
  return queries;
}

/** The baseline of a search: every word as LIKE '%word%' on title, body and tags, the same filters, newest 50. */
function likeSearch(db: DatabaseSync, query: SearchQuery): unknown[] {
  const where = ['deleted_at_ms IS NULL'];
  const params: SQLInputValue[] = [];
  for (const word of (query.text ?? '').split(/\s+/).filter((w) => w !== '')) {
    where.push('(title LIKE ? OR body LIKE ? OR tags LIKE ?)');
    params.push(`%${word}%`, `%${word}%`, `%${word}%`);
  }
  if (query.channel !== undefined) {
    where.push('channel = ?');
    params.push(query.channel);
  }
  if (query.unreadOnly) where.push('read_at_ms IS NULL');
  if (query.minPriority !== undefined) where.push(`priority >= ${query.minPriority}`);
  return db.prepare(`SELECT * FROM messages WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ${query.limit}`).all(...params);
}

/** Times `fn` in ms. */
function timed(fn: () => unknown): { ms: number; value: unknown } {
  const started = performance.now();
  const value = fn();
  return { ms: performance.now() - started, value };
}

/** Runs store and baseline alternately over the same inputs after a few untimed warm-up calls of each. */
function paired<T>(inputs: readonly T[], store: (input: T) => unknown, baseline: (input: T) => unknown, warmup = 10): Paired & { values: { store: unknown; baseline: unknown }[] } {
  for (const input of inputs.slice(0, warmup)) {
    store(input);
    baseline(input);
  }
  const result = { store: [] as number[], baseline: [] as number[], values: [] as { store: unknown; baseline: unknown }[] };
  for (const input of inputs) {
    const s = timed(() => store(input));
    const b = timed(() => baseline(input));
    result.store.push(s.ms);
    result.baseline.push(b.ms);
    result.values.push({ store: s.value, baseline: b.value });
  }
  return result;
}

/**
 * Measures search, history pages and unread counts on the fixture: the store through MessageStore (as
 * the hub calls it), each baseline as plain SQL on a second connection to the same file.
 */
export function measureStore(fixture: StoreFixture, options: { searches: number; pages: number; counts: number }): StoreFigures {
  const store = MessageStore.open(fixture.dataDir);
  const db = new DatabaseSync(join(fixture.dataDir, DATABASE_FILE), { readOnly: true });
  try {
    const queries = searchWorkload(fixture, options.searches);
    const search = paired(queries, (q) => store.search(q).messages.length, (q) => likeSearch(db, q).length);
    const describe = (q: SearchQuery): string =>
      [JSON.stringify(q.text), q.channel && `channel ${q.channel}`, q.unreadOnly && 'unread', q.minPriority && `priority >= ${q.minPriority}`]
        .filter(Boolean)
        .join(', ');
    const slowest = search.store
      .map((ms, i) => ({ query: describe(queries[i] as SearchQuery), ms }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5);

    const maxSeq = (db.prepare('SELECT max(seq) AS n FROM messages').get() as { n: number }).n;
    const newest = Array.from({ length: options.pages }, () => 0);
    const offsetZero = db.prepare('SELECT * FROM messages WHERE deleted_at_ms IS NULL ORDER BY seq DESC LIMIT 100 OFFSET 0');
    const newestPage = paired(newest, () => store.page({ limit: 100 }), () => offsetZero.all());
    const random = seededRandom(11);
    const points = Array.from({ length: options.pages }, () => 101 + Math.floor(random() * (maxSeq - 100)));
    // Seqs are 1..maxSeq with nothing deleted, so the page before seq b starts at row maxSeq - b + 1, newest first.
    const offsetPage = db.prepare('SELECT * FROM messages WHERE deleted_at_ms IS NULL ORDER BY seq DESC LIMIT 100 OFFSET ?');
    const deepPage = paired(points, (b) => store.page({ beforeSeq: b, limit: 100 }), (b) => offsetPage.all(maxSeq - b + 1));
    const mismatch = deepPage.values.findIndex(({ store: s, baseline: o }) => (s as { seq: number }[])[0]?.seq !== (o as { seq: number }[])[0]?.seq);
    if (mismatch >= 0) throw new Error(`bench: keyset and OFFSET pages differ before seq ${points[mismatch]}: the OFFSET baseline is wrong`);

    const groupBy = db.prepare('SELECT channel, count(*) AS unread FROM messages WHERE read_at_ms IS NULL AND deleted_at_ms IS NULL GROUP BY channel');
    const counts = paired(Array.from({ length: options.counts }, () => 0), () => store.channelCounts(), () => groupBy.all(), 3);
    const a = new Map(store.channelCounts().map((c) => [c.channel, c.unread]));
    for (const r of groupBy.all() as { channel: string; unread: number }[]) {
      if (a.get(r.channel) !== r.unread) throw new Error(`bench: channel_counts says ${a.get(r.channel)} unread in ${r.channel}, the messages ${r.unread}`);
    }
    return {
      search: {
        store: search.store,
        baseline: search.baseline,
        queries: queries.length,
        withResultsStore: search.values.filter((v) => (v.store as number) > 0).length,
        withResultsBaseline: search.values.filter((v) => (v.baseline as number) > 0).length,
        slowest,
      },
      newestPage: { store: newestPage.store, baseline: newestPage.baseline },
      deepPage: { store: deepPage.store, baseline: deepPage.baseline },
      counts: { store: counts.store, baseline: counts.baseline },
    };
  } finally {
    db.close();
    store.close();
  }
}
