import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { DecodedMessage, MessageOrigin, Priority, RequestedReceipt, StoredMessage } from '../message/message.ts';
import { ftsQuery, ftsTags, ftsText } from './fts-text.ts';
import { migrate, SCHEMA_VERSION } from './migrations.ts';

/** A message ready to be written: decoded content plus where it came from. */
export interface NewMessage {
  readonly message: DecodedMessage;
  readonly origin: MessageOrigin;
}

/** A live value from a data feed: kept as the topic's latest value and in a bounded window of samples. */
export interface NewDataSample {
  readonly kind: 'data';
  readonly connectionId: string;
  readonly channel: string;
  readonly topic: string;
  /** The payload as text (UTF-8). */
  readonly payload: string;
  /** The number the payload holds, when it holds one. */
  readonly value: number | undefined;
  readonly receivedAtMs: number;
}

/** What a write batch holds: messages for history, samples for data feeds. */
export type NewItem = NewMessage | NewDataSample;

/** A topic's newest data value. */
export interface DataLatest {
  readonly connectionId: string;
  readonly channel: string;
  readonly topic: string;
  readonly payload: string;
  readonly value: number | undefined;
  readonly receivedAtMs: number;
  /** Samples received on the topic since it was first seen. */
  readonly samples: number;
}

/** One kept sample of a data topic. */
export interface DataSample {
  readonly payload: string;
  readonly value: number | undefined;
  readonly receivedAtMs: number;
}

/** A receipt waiting in the outbox until its broker or server confirms it. */
export interface OutboxReceipt {
  readonly receiptId: string;
  readonly connectionId: string;
  readonly topic: string;
  /** The receipt JSON as it is sent. */
  readonly payload: string;
  readonly qos: 0 | 1 | 2;
  readonly correlationData: Uint8Array | undefined;
  readonly attempts: number;
}

/** A receipt ready for the outbox (written in the transaction of the change it reports). */
export type NewReceipt = Omit<OutboxReceipt, 'attempts'>;

/** Builds the receipt for a message's state change, or undefined when none is to be sent. */
export type ReceiptFor = (message: StoredMessage) => NewReceipt | undefined;

/** One page of history, newest first. */
export interface PageQuery {
  /** Only messages with a smaller seq (keyset paging); omit for the newest page. */
  readonly beforeSeq?: number | undefined;
  readonly limit: number;
}

/** The history's filters, shared by search and export (an export with words goes through search). */
export interface MessageFilter {
  readonly channel?: string | undefined;
  /** Only messages of at least this priority (1 to 5). */
  readonly minPriority?: number | undefined;
  /** Received at or after this time (epoch ms). */
  readonly sinceMs?: number | undefined;
  /** Received before this time (epoch ms). */
  readonly untilMs?: number | undefined;
  readonly unreadOnly?: boolean | undefined;
}

/** What an export holds: the history's filters without words. */
export type ExportFilter = MessageFilter;

/** A history query: any combination of words and filters, newest first, paged by seq. */
export interface SearchQuery extends PageQuery, MessageFilter {
  /** Words that must all appear in the title, body or tags (prefix match; CJK anywhere). */
  readonly text?: string | undefined;
}

/** A page of search results and the words to highlight in them. */
export interface SearchResult {
  readonly messages: StoredMessage[];
  readonly terms: readonly string[];
  /** The seq to pass as beforeSeq for the next page; undefined on the last page. */
  readonly nextBeforeSeq: number | undefined;
}

/** Unread and total visible messages of a channel. */
export interface ChannelCount {
  readonly channel: string;
  readonly unread: number;
  readonly total: number;
}

/** How long and how many messages a channel keeps. */
export interface RetentionRule {
  readonly maxAgeMs?: number | undefined;
  readonly maxCount?: number | undefined;
}

/** Retention settings: per channel, a default for the others, a size cap and the data window. */
export interface RetentionSettings {
  readonly defaults: RetentionRule;
  readonly channels: ReadonlyMap<string, RetentionRule>;
  /** Cap on the database's used size in bytes; the oldest messages go first. */
  readonly maxBytes?: number | undefined;
  /** Samples kept per data topic, and their maximum age. */
  readonly dataSamplesPerTopic: number;
  readonly dataMaxAgeMs: number;
  /** Deleted and replaced messages are kept this long (for receipts and undo), then removed. */
  readonly tombstoneMs: number;
}

/** What one retention step removed. */
export interface RetentionStepResult {
  readonly deletedMessages: number;
  readonly deletedSamples: number;
  /** True when the step hit its limit and more is left to remove. */
  readonly more: boolean;
  /** The size cap cannot be met by removing messages: other data (samples, the outbox) is over it alone. */
  readonly sizeCapUnreachable?: boolean;
}

/** A damaged database found when opening: where it was moved, and why. */
export interface RecoveredStore {
  readonly movedTo: string;
  readonly reason: string;
}

interface MessageRow {
  seq: number;
  connection_id: string;
  id: string;
  channel: string;
  topic: string;
  title: string;
  body: string;
  priority: number;
  tags: string;
  click: string | null;
  retained: number;
  sent_at_ms: number | null;
  received_at_ms: number;
  read_at_ms: number | null;
  sequence_id: string | null;
  deleted_at_ms: number | null;
  response_topic: string | null;
  correlation_data: Uint8Array | null;
  extra: string | null;
  receipts: string | null;
  requires_ack: number;
  displayed_at_ms: number | null;
  acknowledged_at_ms: number | null;
}

function toStored(row: MessageRow): StoredMessage {
  return {
    seq: row.seq,
    id: row.id,
    connectionId: row.connection_id,
    channel: row.channel,
    topic: row.topic,
    title: row.title,
    body: row.body,
    priority: row.priority as Priority,
    tags: JSON.parse(row.tags) as string[],
    click: row.click ?? undefined,
    retained: row.retained === 1,
    sentAtMs: row.sent_at_ms ?? undefined,
    receivedAtMs: row.received_at_ms,
    readAtMs: row.read_at_ms ?? undefined,
    sequenceId: row.sequence_id ?? undefined,
    responseTopic: row.response_topic ?? undefined,
    correlationData: row.correlation_data ?? undefined,
    extra: row.extra === null ? undefined : (JSON.parse(row.extra) as Record<string, unknown>),
    receipts: row.receipts === null ? undefined : (JSON.parse(row.receipts) as RequestedReceipt[]),
    requiresAck: row.requires_ack === 1 ? true : undefined,
    displayedAtMs: row.displayed_at_ms ?? undefined,
    acknowledgedAtMs: row.acknowledged_at_ms ?? undefined,
  };
}

/** How many rows one background step of full-text indexing or retention handles at most. */
export const BACKGROUND_STEP_ROWS = 2000;

/** Key in the meta table: every message with a seq at or below it is in the full-text index. */
const FTS_UPTO_KEY = 'fts_indexed_upto';

/** Key in the meta table: '1' while the store is closed after a clean close, '0' while it is open. */
const CLOSED_CLEANLY_KEY = 'closed_cleanly';

/** How many of the newest rows recentOnTopic looks through. */
const RECENT_WINDOW = 5000;

/** File name of the message database inside the data directory. */
export const DATABASE_FILE = 'messages.sqlite';

/** Columns a message row is selected with (everything the StoredMessage needs). */
const MESSAGE_COLUMNS = 'm.*';

/**
 * Columns a new message is written with, in the order insertBatch binds them. A batch is written with
 * multi-row INSERTs of up to INSERT_CHUNK rows: one call into SQLite per chunk rather than per row
 * (measured 4.1 to 2.8 µs a row; the rows, indexes and constraint are the same).
 */
const INSERT_COLUMNS = [
  'connection_id',
  'id',
  'channel',
  'topic',
  'title',
  'body',
  'priority',
  'tags',
  'click',
  'retained',
  'sent_at_ms',
  'received_at_ms',
  'sequence_id',
  'response_topic',
  'correlation_data',
  'extra',
  'receipts',
  'requires_ack',
] as const;

/** Rows one INSERT writes at most; smaller remainders use the powers of two below it. */
const INSERT_CHUNK = 64;

/**
 * A message whose index text is exactly its stored text: no tags, and title and body only ASCII (as
 * many characters as bytes; a NUL would make length() shorter). ftsText leaves such text as it is.
 */
const PLAIN_TEXT = "tags = '[]' AND length(title) = octet_length(title) AND length(body) = octet_length(body)";

/**
 * The SQL conditions of the history's filters on `messages m`, with their parameters in order: the
 * same for search and export, so an export holds exactly what the filtered list shows.
 */
function filterConditions(filter: MessageFilter): { filters: string[]; params: (string | number)[] } {
  const filters: string[] = ['m.deleted_at_ms IS NULL'];
  const params: (string | number)[] = [];
  if (filter.channel !== undefined) {
    filters.push('m.channel = ?');
    params.push(filter.channel);
  }
  // Literals, not parameters, so the planner can use the partial indexes (priority >= 4, unread).
  const minPriority = Math.trunc(Number(filter.minPriority));
  if (minPriority > 1) filters.push(`m.priority >= ${Math.min(minPriority, 5)}`);
  if (filter.unreadOnly) filters.push('m.read_at_ms IS NULL');
  if (filter.sinceMs !== undefined) {
    filters.push('m.received_at_ms >= ?');
    params.push(filter.sinceMs);
  }
  if (filter.untilMs !== undefined) {
    filters.push('m.received_at_ms < ?');
    params.push(filter.untilMs);
  }
  return { filters, params };
}

/** Whether an error from SQLite says the file is damaged or not a database at all. */
function isCorruption(error: unknown): boolean {
  const text = String((error as Error | undefined)?.message ?? error);
  return /malformed|not a database|SQLITE_CORRUPT|SQLITE_NOTADB|file is not a database|database disk image/i.test(text);
}

/** Why a database was found damaged, in words that say it is the message database. */
function damageReason(error: unknown): string {
  const text = String((error as Error | undefined)?.message ?? error);
  return text.startsWith('the message database') ? text : `the message database is damaged: ${text}`;
}

/**
 * The local message history on node:sqlite (WAL, synchronous=NORMAL).
 *
 * Every call is synchronous: a write has committed when it returns. Messages are unique per
 * (connection, id), so a redelivered message is not stored or reported twice. Full-text indexing and
 * retention run in small background steps (indexPending, retentionStep) so ingest never waits for them.
 */
export class MessageStore {
  readonly path: string;
  /** Set when the file found at open was damaged and moved aside. */
  readonly recovered: RecoveredStore | undefined;
  readonly #db: DatabaseSync;
  readonly #readOnly: boolean;
  /** Multi-row inserts by row count (powers of two up to INSERT_CHUNK), prepared when first needed. */
  readonly #insertRows = new Map<number, StatementSync>();
  readonly #seqOf: StatementSync;
  readonly #lastSeq: StatementSync;
  readonly #countChannel: StatementSync;
  readonly #insertLatest: StatementSync;
  readonly #insertSample: StatementSync;
  readonly #insertReceipt: StatementSync;
  readonly #page: StatementSync;
  readonly #newest: StatementSync;
  readonly #get: StatementSync;
  readonly #markRead: StatementSync;
  readonly #markUnread: StatementSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #supersede: StatementSync;
  readonly #recentOnTopic: StatementSync;
  readonly #latestRetained: StatementSync;
  readonly #deleteVersions: StatementSync;
  readonly #readVersions: StatementSync;
  readonly #indexUpper: StatementSync;
  readonly #ftsInsertPlain: StatementSync;
  readonly #toIndex: StatementSync;
  readonly #ftsInsert: StatementSync;
  readonly #receivedAtOf: StatementSync;
  readonly #seqBounds: StatementSync;
  #ftsUpto: number;

  private constructor(path: string, db: DatabaseSync, recovered: RecoveredStore | undefined, readOnly: boolean) {
    this.path = path;
    this.#readOnly = readOnly;
    this.recovered = recovered;
    this.#db = db;
    this.#seqOf = db.prepare('SELECT seq FROM messages WHERE connection_id = ? AND id = ?');
    this.#lastSeq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'messages'");
    this.#countChannel = db.prepare(
      `INSERT INTO channel_counts (channel, unread, total) VALUES (?, ?, ?)
       ON CONFLICT (channel) DO UPDATE SET unread = unread + excluded.unread, total = total + excluded.total`,
    );
    this.#insertLatest = db.prepare(
      `INSERT INTO data_latest (connection_id, topic, channel, payload, value, received_at_ms, samples) VALUES (?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT (connection_id, topic) DO UPDATE SET channel = excluded.channel, payload = excluded.payload,
         value = excluded.value, received_at_ms = excluded.received_at_ms, samples = samples + 1`,
    );
    this.#insertSample = db.prepare(
      'INSERT INTO data_samples (connection_id, topic, payload, value, received_at_ms) VALUES (?, ?, ?, ?, ?)',
    );
    this.#insertReceipt = db.prepare(
      `INSERT INTO receipt_outbox (receipt_id, connection_id, topic, payload, qos, correlation_data, created_at_ms, next_attempt_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (receipt_id) DO NOTHING`,
    );
    this.#newest = db.prepare('SELECT * FROM messages WHERE deleted_at_ms IS NULL ORDER BY seq DESC LIMIT ?');
    this.#page = db.prepare('SELECT * FROM messages WHERE seq < ? AND deleted_at_ms IS NULL ORDER BY seq DESC LIMIT ?');
    this.#recentOnTopic = db.prepare(
      `SELECT * FROM messages
       WHERE seq > (SELECT coalesce(max(seq), 0) FROM messages) - ? AND connection_id = ? AND topic = ? AND deleted_at_ms IS NULL
       ORDER BY seq DESC LIMIT ?`,
    );
    this.#latestRetained = db.prepare(
      `SELECT * FROM messages WHERE connection_id = ? AND topic = ? AND retained = 1 AND deleted_at_ms IS NULL
       ORDER BY seq DESC LIMIT 1`,
    );
    this.#supersede = db.prepare(
      // An update names the message it replaces by sequence id; ntfy's default sequence id is the id of
      // the first version, which was stored without one.
      `UPDATE messages SET deleted_at_ms = ?1
       WHERE connection_id = ?2 AND (sequence_id = ?3 OR id = ?3) AND seq < ?4 AND deleted_at_ms IS NULL RETURNING seq`,
    );
    this.#deleteVersions = db.prepare(
      `UPDATE messages SET deleted_at_ms = ?
       WHERE connection_id = ? AND (sequence_id = ? OR id = ?) AND deleted_at_ms IS NULL RETURNING seq`,
    );
    this.#readVersions = db.prepare(
      `UPDATE messages SET read_at_ms = ?
       WHERE connection_id = ? AND (sequence_id = ? OR id = ?) AND read_at_ms IS NULL AND deleted_at_ms IS NULL RETURNING *`,
    );
    this.#get = db.prepare('SELECT * FROM messages WHERE seq = ?');
    this.#markRead = db.prepare('UPDATE messages SET read_at_ms = ? WHERE seq = ? AND read_at_ms IS NULL');
    this.#markUnread = db.prepare('UPDATE messages SET read_at_ms = NULL WHERE seq = ? AND read_at_ms IS NOT NULL AND deleted_at_ms IS NULL');
    this.#indexUpper = db.prepare(
      'SELECT coalesce((SELECT seq FROM messages WHERE seq > ?1 ORDER BY seq LIMIT 1 OFFSET ?2), (SELECT max(seq) FROM messages WHERE seq > ?1)) AS upper',
    );
    // Text that is only ASCII (as many characters as bytes, and no NUL) is indexed as it is stored, so
    // SQLite copies it into the index itself; anything else goes through ftsText in JS.
    this.#ftsInsertPlain = db.prepare(
      `INSERT INTO messages_fts (rowid, title, body, tags)
       SELECT seq, title, body, '' FROM messages WHERE seq > ? AND seq <= ? AND ${PLAIN_TEXT} ORDER BY seq`,
    );
    this.#toIndex = db.prepare(`SELECT seq, title, body, tags FROM messages WHERE seq > ? AND seq <= ? AND NOT (${PLAIN_TEXT}) ORDER BY seq`);
    this.#ftsInsert = db.prepare('INSERT INTO messages_fts (rowid, title, body, tags) VALUES (?, ?, ?, ?)');
    this.#receivedAtOf = db.prepare('SELECT seq, received_at_ms FROM messages WHERE seq >= ? ORDER BY seq LIMIT 1');
    // Two subqueries: min() and max() in one SELECT read every row, each alone is one b-tree lookup.
    this.#seqBounds = db.prepare(
      'SELECT coalesce((SELECT min(seq) FROM messages), 1) AS lo, coalesce((SELECT max(seq) FROM messages), 0) AS hi',
    );
    this.#ftsUpto = Number(this.getMeta(FTS_UPTO_KEY) ?? 0);
  }

  /**
   * Opens (creating if needed) the store in `dataDir`, checks it and migrates it to the current schema.
   *
   * A new data directory is made readable by its owner only (0700). A file that is not a database or
   * fails SQLite's quick_check is moved aside (to `messages.sqlite.corrupt-<time>`, with its WAL) and
   * a new store is created; `recovered` then says where the old one went and why.
   */
  static open(dataDir: string, options: { now?: () => number; readOnly?: boolean } = {}): MessageStore {
    const path = join(dataDir, DATABASE_FILE);
    if (options.readOnly) {
      // For export and diagnostics beside a running hub: no lock, no migration, no writes.
      if (!existsSync(path)) throw new Error(`no message store in ${dataDir}`);
      const db = new DatabaseSync(path, { readOnly: true });
      const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
      if (version !== SCHEMA_VERSION) {
        db.close();
        throw new Error(
          version < SCHEMA_VERSION
            ? `the message store in ${dataDir} has schema version ${version}; this build reads version ${SCHEMA_VERSION}: start the hub once to upgrade it`
            : `the message store in ${dataDir} has schema version ${version}, newer than this build (${SCHEMA_VERSION}); update Pushdesk`,
        );
      }
      return new MessageStore(path, db, undefined, true);
    }
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    let recovered: RecoveredStore | undefined;
    try {
      return MessageStore.#openChecked(path, undefined);
    } catch (error) {
      if (!isCorruption(error)) throw error;
      const movedTo = `${path}.corrupt-${new Date((options.now ?? Date.now)()).toISOString().replace(/[:.]/g, '-')}`;
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
      }
      recovered = { movedTo, reason: damageReason(error) };
    }
    return MessageStore.#openChecked(path, recovered);
  }

  static #openChecked(path: string, recovered: RecoveredStore | undefined): MessageStore {
    const checked = MessageStore.#checkReadOnly(path);
    const db = new DatabaseSync(path);
    try {
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
      if (!checked) MessageStore.#quickCheck(db);
      migrate(db);
      const store = new MessageStore(path, db, recovered, false);
      store.setMeta(CLOSED_CLEANLY_KEY, '0');
      return store;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Checks an existing file on a read-only connection, which leaves the database and its WAL exactly as
   * found: closing the last read-write connection would checkpoint the WAL into a damaged file and delete
   * it, so what is moved aside would no longer be what was there.
   *
   * @returns false when the file could not be checked this way (absent, or refused for a reason other
   *   than damage); the caller then checks on its own connection.
   * @throws Error when the file is damaged or not a database.
   */
  static #checkReadOnly(path: string): boolean {
    if (!existsSync(path) || statSync(path).size === 0) return false;
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
    } catch (error) {
      if (isCorruption(error)) throw error;
      return false;
    }
    try {
      MessageStore.#quickCheck(db, MessageStore.#closedCleanly(db) ? 'messages' : undefined);
      return true;
    } catch (error) {
      if (isCorruption(error)) throw error;
      return false;
    } finally {
      db.close();
    }
  }

  /**
   * quick_check: every page and b-tree is sound (it skips only index-to-table consistency); about 0.2 s
   * for a million messages here, so it can run at every start.
   */
  /** Whether the last hub closed the store (the flag close() sets; a crash or kill leaves it unset). */
  static #closedCleanly(db: DatabaseSync): boolean {
    try {
      const row = db.prepare(`SELECT value FROM meta WHERE key = '${CLOSED_CLEANLY_KEY}'`).get() as { value: string } | undefined;
      return row?.value === '1';
    } catch {
      return false;
    }
  }

  /**
   * SQLite's quick_check: of the whole file, or of one table and its indexes. After a clean close only
   * the messages table is checked (0.3 s instead of 1.2 s at a million messages, so start-up stays
   * under a second); after a crash, a kill or a power loss, the whole file.
   */
  static #quickCheck(db: DatabaseSync, table?: 'messages'): void {
    const check = db.prepare(table === undefined ? 'PRAGMA quick_check(5)' : `PRAGMA quick_check(${table})`).all() as { quick_check: string }[];
    if (check.length !== 1 || check[0]?.quick_check !== 'ok') {
      throw new Error(`the message database is malformed: ${check.map((r) => r.quick_check).join('; ').slice(0, 300)}`);
    }
  }

  /**
   * Writes messages and data samples in one transaction; `receiptsFor` may queue a receipt (delivered)
   * for each new message in the same transaction.
   *
   * @returns the messages that were new; duplicates of stored ones are left out.
   */
  insertBatch(batch: readonly NewItem[], receiptsFor?: ReceiptFor): StoredMessage[] {
    const added: StoredMessage[] = [];
    this.#db.exec('BEGIN');
    try {
      // Messages are written in chunks, in batch order; data samples go to tables of their own, so
      // writing them first changes nothing another row depends on.
      const messages: NewMessage[] = [];
      for (const item of batch) {
        if ('kind' in item) {
          this.#insertLatest.run(item.connectionId, item.topic, item.channel, item.payload, item.value ?? null, item.receivedAtMs);
          this.#insertSample.run(item.connectionId, item.topic, item.payload, item.value ?? null, item.receivedAtMs);
        } else {
          messages.push(item);
        }
      }
      let at = 0;
      while (at < messages.length) {
        const left = messages.length - at;
        const size = left >= INSERT_CHUNK ? INSERT_CHUNK : 2 ** Math.floor(Math.log2(left));
        this.#insertChunk(messages, at, size, added, receiptsFor);
        at += size;
      }
      this.#countAdded(added);
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
    return added;
  }

  /**
   * Writes messages[at, at + size) with one INSERT, then for each new one, in order, marks the versions
   * it replaces and queues its receipt, exactly as writing them one by one would: a replacement only
   * touches rows with a smaller seq, which are all written by then.
   */
  #insertChunk(messages: readonly NewMessage[], at: number, size: number, added: StoredMessage[], receiptsFor: ReceiptFor | undefined): void {
    const ids: string[] = new Array<string>(size);
    const params: SQLInputValue[] = new Array<SQLInputValue>(size * INSERT_COLUMNS.length);
    let p = 0;
    for (let i = 0; i < size; i++) {
      const { message, origin } = messages[at + i] as NewMessage;
      const id = message.id ?? randomUUID();
      ids[i] = id;
      params[p++] = origin.connectionId;
      params[p++] = id;
      params[p++] = origin.channel;
      params[p++] = origin.topic;
      params[p++] = message.title;
      params[p++] = message.body;
      params[p++] = message.priority;
      params[p++] = message.tags.length === 0 ? '[]' : JSON.stringify(message.tags);
      params[p++] = message.click ?? null;
      params[p++] = origin.retained ? 1 : 0;
      params[p++] = message.sentAtMs ?? null;
      params[p++] = origin.receivedAtMs;
      params[p++] = message.sequenceId ?? null;
      params[p++] = origin.responseTopic ?? null;
      params[p++] = origin.correlationData ?? null;
      params[p++] = message.extra === undefined ? null : JSON.stringify(message.extra);
      params[p++] = message.receipts === undefined ? null : JSON.stringify(message.receipts);
      params[p++] = message.requiresAck ? 1 : 0;
    }
    // Every seq given before this INSERT is at most this (AUTOINCREMENT never gives one twice).
    const before = size === 1 ? 0 : this.#seqCeiling();
    // run() rather than RETURNING: measurably cheaper on this hot path.
    const result = this.#insertStatement(size).run(...params);
    const changes = Number(result.changes);
    if (changes === 0) return;
    const last = Number(result.lastInsertRowid);
    let seqs: (number | undefined)[];
    if (changes === size) {
      // Every row is new: one INSERT gives its rows consecutive seqs (nothing else writes messages inside
      // this transaction), the last one lastInsertRowid.
      seqs = ids.map((_, i) => last - size + 1 + i);
    } else {
      // Some were already stored (a redelivery), and a skipped row may still use up a seq: a row is new
      // when its stored seq is newer than `before`, and only its first occurrence in the chunk is.
      const taken = new Set<number>();
      seqs = ids.map((id, i) => {
        const row = this.#seqOf.get((messages[at + i] as NewMessage).origin.connectionId, id) as { seq: number } | undefined;
        if (row === undefined || row.seq <= before || taken.has(row.seq)) return undefined;
        taken.add(row.seq);
        return row.seq;
      });
    }
    for (let i = 0; i < size; i++) {
      const seq = seqs[i];
      if (seq === undefined) continue;
      const { message, origin } = messages[at + i] as NewMessage;
      let replacesSeqs: number[] = [];
      if (message.sequenceId !== undefined) {
        const superseded = this.#supersede.all(origin.receivedAtMs, origin.connectionId, message.sequenceId, seq);
        replacesSeqs = (superseded as unknown as { seq: number }[]).map((r) => r.seq);
      }
      // Built from what was written rather than read back (RETURNING * costs a third of the insert), with
      // the fields get() reads back, in its order: one object shape for every new message.
      const stored: StoredMessage = {
        seq,
        id: ids[i] as string,
        connectionId: origin.connectionId,
        channel: origin.channel,
        topic: origin.topic,
        title: message.title,
        body: message.body,
        priority: message.priority,
        tags: message.tags,
        click: message.click,
        retained: origin.retained,
        sentAtMs: message.sentAtMs,
        receivedAtMs: origin.receivedAtMs,
        readAtMs: undefined,
        sequenceId: message.sequenceId,
        responseTopic: origin.responseTopic,
        correlationData: origin.correlationData,
        extra: message.extra,
        receipts: message.receipts,
        // as get() reads it back: the column holds 1 or 0, and 0 reads as absent
        requiresAck: message.requiresAck ? true : undefined,
        displayedAtMs: undefined,
        acknowledgedAtMs: undefined,
        ...(replacesSeqs.length > 0 ? { replacesSeqs } : {}),
      };
      added.push(stored);
      const receipt = receiptsFor?.(stored);
      if (receipt) this.#queueReceipt(receipt, origin.receivedAtMs);
    }
  }

  /** The largest seq ever given (sqlite_sequence), 0 before the first message. */
  #seqCeiling(): number {
    const row = this.#lastSeq.get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  /** The INSERT of `rows` messages, which skips any already stored (unique per connection and id). */
  #insertStatement(rows: number): StatementSync {
    let statement = this.#insertRows.get(rows);
    if (statement === undefined) {
      const row = `(${INSERT_COLUMNS.map(() => '?').join(', ')})`;
      statement = this.#db.prepare(
        `INSERT INTO messages (${INSERT_COLUMNS.join(', ')}) VALUES ${Array<string>(rows).fill(row).join(', ')}
         ON CONFLICT (connection_id, id) DO NOTHING`,
      );
      this.#insertRows.set(rows, statement);
    }
    return statement;
  }

  /** Adds new messages to their channels' counts: one statement per channel, not per message. */
  #countAdded(added: readonly StoredMessage[]): void {
    if (added.length === 0) return;
    let channel = added[0]?.channel as string;
    let n = 0;
    const counts = new Map<string, number>();
    for (const message of added) {
      if (message.channel !== channel) {
        counts.set(channel, (counts.get(channel) ?? 0) + n);
        channel = message.channel;
        n = 0;
      }
      n++;
    }
    counts.set(channel, (counts.get(channel) ?? 0) + n);
    for (const [name, count] of counts) this.#countChannel.run(name, count, count);
  }

  #queueReceipt(receipt: NewReceipt, atMs: number): void {
    this.#insertReceipt.run(
      receipt.receiptId,
      receipt.connectionId,
      receipt.topic,
      receipt.payload,
      receipt.qos,
      receipt.correlationData ?? null,
      atMs,
      atMs,
    );
  }

  /**
   * Adds up to `limit` not yet indexed messages to the full-text index, oldest first, in one transaction.
   *
   * @returns how many were indexed (0 when the index is complete).
   */
  indexPending(limit = BACKGROUND_STEP_ROWS): number {
    const { upper } = this.#indexUpper.get(this.#ftsUpto, Math.max(1, Math.trunc(limit)) - 1) as { upper: number | null };
    if (upper === null) return 0;
    const from = this.#ftsUpto;
    let indexed = 0;
    this.#db.exec('BEGIN');
    try {
      indexed += Number(this.#ftsInsertPlain.run(from, upper).changes);
      const rows = this.#toIndex.all(from, upper) as unknown as { seq: number; title: string; body: string; tags: string }[];
      for (const row of rows) {
        this.#ftsInsert.run(row.seq, ftsText(row.title), ftsText(row.body), row.tags === '[]' ? '' : ftsTags(JSON.parse(row.tags) as string[]));
      }
      indexed += rows.length;
      this.setMeta(FTS_UPTO_KEY, String(upper));
      this.#db.exec('COMMIT');
      this.#ftsUpto = upper;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
    return indexed;
  }

  /** Every message with a seq at or below this is in the full-text index. */
  get indexedUpTo(): number {
    return this.#ftsUpto;
  }

  /** A page of history, newest first. */
  page(query: PageQuery): StoredMessage[] {
    const rows =
      query.beforeSeq === undefined ? this.#newest.all(query.limit) : this.#page.all(query.beforeSeq, query.limit);
    return (rows as unknown as MessageRow[]).map(toStored);
  }

  /**
   * History filtered by words, channel, priority, time and unread state, newest first, paged by seq.
   *
   * Words are looked up in the full-text index, walked newest first with the filters checked on each
   * candidate (the index drives, never a join that materialises every match); messages newer than the
   * index (at most a few seconds of ingest) are scanned directly. A time range becomes a seq range
   * first, by bisection over seq (received time grows with seq).
   */
  search(query: SearchQuery): SearchResult {
    const limit = Math.max(1, Math.min(query.limit, 1000));
    let upper = query.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    let lower = 0;
    if (query.untilMs !== undefined) upper = Math.min(upper, this.#firstSeqAtOrAfter(query.untilMs));
    if (query.sinceMs !== undefined) lower = this.#firstSeqAtOrAfter(query.sinceMs);
    const { filters, params } = filterConditions(query);
    const fts = query.text === undefined ? undefined : ftsQuery(query.text);
    let rows: MessageRow[];
    if (query.text !== undefined && query.text.trim() !== '' && fts === undefined) {
      rows = [];
    } else if (fts === undefined) {
      rows = this.#db
        .prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.seq < ? AND m.seq >= ? AND ${filters.join(' AND ')} ORDER BY m.seq DESC LIMIT ?`)
        .all(upper, lower, ...params, limit) as unknown as MessageRow[];
    } else {
      rows = [];
      // Newer than the index: a direct scan of at most the unindexed tail.
      if (upper > this.#ftsUpto + 1) {
        const likes = fts.terms.map(() => "(m.title LIKE ? ESCAPE '\\' OR m.body LIKE ? ESCAPE '\\' OR m.tags LIKE ? ESCAPE '\\')");
        const likeParams = fts.terms.flatMap((t) => {
          const pattern = `%${t.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
          return [pattern, pattern, pattern];
        });
        rows = this.#db
          .prepare(
            `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.seq < ? AND m.seq > ? AND ${[...filters, ...likes].join(' AND ')}
             ORDER BY m.seq DESC LIMIT ?`,
          )
          .all(upper, Math.max(lower - 1, this.#ftsUpto), ...params, ...likeParams, limit) as unknown as MessageRow[];
      }
      if (rows.length < limit) {
        const indexedUpper = Math.min(upper, this.#ftsUpto + 1);
        // Without a channel the index drives, newest match first, each checked against the filters. With
        // one, the channel's index drives and the matches are a set it is checked against: a common word
        // in a small channel no longer walks every match (measured 44 ms to 18 ms at a million rows).
        const sql =
          query.channel === undefined
            ? `SELECT ${MESSAGE_COLUMNS} FROM messages_fts f CROSS JOIN messages m ON m.seq = f.rowid
               WHERE messages_fts MATCH ? AND f.rowid < ? AND f.rowid >= ? AND ${filters.join(' AND ')}
               ORDER BY f.rowid DESC LIMIT ?`
            : `SELECT ${MESSAGE_COLUMNS} FROM messages m
               WHERE m.seq IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?) AND m.seq < ? AND m.seq >= ?
                 AND ${filters.join(' AND ')}
               ORDER BY m.seq DESC LIMIT ?`;
        const more = this.#db.prepare(sql).all(fts.match, indexedUpper, lower, ...params, limit - rows.length) as unknown as MessageRow[];
        rows = rows.concat(more);
      }
    }
    const messages = rows.map(toStored);
    return {
      messages,
      terms: fts?.terms ?? [],
      nextBeforeSeq: messages.length === limit ? messages[messages.length - 1]?.seq : undefined,
    };
  }

  /** The smallest seq received at or after `atMs` (one past the newest when none is), by bisection. */
  #firstSeqAtOrAfter(atMs: number): number {
    const bounds = this.#seqBounds.get() as { lo: number; hi: number };
    let lo = bounds.lo;
    let hi = bounds.hi + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = this.#receivedAtOf.get(mid) as { seq: number; received_at_ms: number } | undefined;
      if (row === undefined || row.received_at_ms >= atMs) hi = mid;
      else lo = row.seq + 1;
    }
    return lo;
  }

  /** Unread and total visible messages per channel, kept up to date with every change. */
  channelCounts(): ChannelCount[] {
    return this.#db.prepare('SELECT channel, unread, total FROM channel_counts WHERE total > 0 OR unread > 0 ORDER BY channel').all() as unknown as ChannelCount[];
  }

  /** One message by its local seq. */
  get(seq: number): StoredMessage | undefined {
    const row = this.#get.get(seq) as MessageRow | undefined;
    return row === undefined ? undefined : toStored(row);
  }

  /**
   * Marks a message read.
   *
   * @returns the message and whether this call changed it (false when it was already read).
   */
  markRead(seq: number, atMs: number): { message: StoredMessage; changed: boolean } | undefined {
    return this.#changed(seq, Number(this.#markRead.run(atMs, seq).changes) === 1);
  }

  /**
   * Marks a message unread again (the person wants to come back to it). A read receipt already sent
   * stays sent; reading it again later sends the same receipt id, which the receiver drops.
   *
   * @returns the message and whether this call changed it (false when it was unread or is deleted).
   */
  markUnread(seq: number): { message: StoredMessage; changed: boolean } | undefined {
    return this.#changed(seq, Number(this.#markUnread.run(seq).changes) === 1);
  }

  /** The message after a change of its state, and whether the change happened; undefined when there is no such message. */
  #changed(seq: number, changed: boolean): { message: StoredMessage; changed: boolean } | undefined {
    const message = this.get(seq);
    return message === undefined ? undefined : { message, changed };
  }

  /**
   * Marks a message read and, in the same transaction, puts the receipt `receiptFor` builds into the
   * outbox: a crash cannot leave a read message without its receipt, or a receipt for an unread one.
   */
  markReadWithReceipt(
    seq: number,
    atMs: number,
    receiptFor: ReceiptFor,
  ): { message: StoredMessage; changed: boolean; receipt: NewReceipt | undefined } | undefined {
    return this.#changeWithReceipt('UPDATE messages SET read_at_ms = ? WHERE seq = ? AND read_at_ms IS NULL', seq, atMs, receiptFor);
  }

  /** Records that the OS notification of a message was shown, with its receipt, in one transaction. */
  markDisplayedWithReceipt(
    seq: number,
    atMs: number,
    receiptFor: ReceiptFor,
  ): { message: StoredMessage; changed: boolean; receipt: NewReceipt | undefined } | undefined {
    return this.#changeWithReceipt('UPDATE messages SET displayed_at_ms = ? WHERE seq = ? AND displayed_at_ms IS NULL', seq, atMs, receiptFor);
  }

  /**
   * Records that the person acknowledged a message, with its receipt, in one transaction. An unread
   * message becomes read too, and `readReceiptFor` then queues its read receipt in the same transaction.
   */
  markAcknowledgedWithReceipt(
    seq: number,
    atMs: number,
    receiptFor: ReceiptFor,
    readReceiptFor?: ReceiptFor,
  ): { message: StoredMessage; changed: boolean; receipt: NewReceipt | undefined } | undefined {
    const wasUnread = this.get(seq)?.readAtMs === undefined;
    return this.#changeWithReceipt(
      'UPDATE messages SET acknowledged_at_ms = ?1, read_at_ms = coalesce(read_at_ms, ?1) WHERE seq = ?2 AND acknowledged_at_ms IS NULL',
      seq,
      atMs,
      (message) => {
        const read = wasUnread ? readReceiptFor?.(message) : undefined;
        if (read) this.#queueReceipt(read, atMs);
        return receiptFor(message);
      },
    );
  }

  /** Queues a receipt for a state change kept elsewhere (a notification action): outbox only. */
  queueReceipt(receipt: NewReceipt, atMs: number): void {
    this.#queueReceipt(receipt, atMs);
  }

  /** A statement prepared once per store: the state changes run for every read and shown notification. */
  #cachedStatement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #changeWithReceipt(
    sql: string,
    seq: number,
    atMs: number,
    receiptFor: ReceiptFor,
  ): { message: StoredMessage; changed: boolean; receipt: NewReceipt | undefined } | undefined {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const changed = Number(this.#cachedStatement(sql).run(atMs, seq).changes) === 1;
      const message = this.get(seq);
      const receipt = changed && message ? receiptFor(message) : undefined;
      if (receipt) this.#queueReceipt(receipt, atMs);
      this.#db.exec('COMMIT');
      return message === undefined ? undefined : { message, changed, receipt };
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * Marks every unread message of a channel read, queueing each one's receipt, in one transaction.
   *
   * @returns the messages that changed, and the receipts queued.
   */
  markChannelRead(channel: string, atMs: number, receiptFor: ReceiptFor): { messages: StoredMessage[]; receipts: NewReceipt[] } {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const rows = this.#db
        .prepare('UPDATE messages SET read_at_ms = ? WHERE channel = ? AND read_at_ms IS NULL AND deleted_at_ms IS NULL RETURNING *')
        .all(atMs, channel) as unknown as MessageRow[];
      const messages = rows.map(toStored);
      const receipts: NewReceipt[] = [];
      for (const message of messages) {
        const receipt = receiptFor(message);
        if (receipt) {
          this.#queueReceipt(receipt, atMs);
          receipts.push(receipt);
        }
      }
      this.#db.exec('COMMIT');
      return { messages, receipts };
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * One step of retention: removes at most `limit` rows, oldest first, in one transaction.
   *
   * Per channel (its rule, or the default): messages older than maxAge, then the oldest beyond maxCount;
   * then, while the database is over maxBytes, the oldest messages of any channel; then tombstones
   * (deleted or replaced versions) older than tombstoneMs, and data samples beyond their window. An
   * unread message of priority 4 or 5 is never removed by the count or size caps: only by its maximum
   * age.
   */
  retentionStep(settings: RetentionSettings, nowMs: number, limit = BACKGROUND_STEP_ROWS): RetentionStepResult {
    let budget = limit;
    let deletedMessages = 0;
    let deletedSamples = 0;
    const deleteSeqs = (sql: string, max: number, ...params: (string | number)[]): number => {
      const take = Math.min(max, budget);
      if (take <= 0) return 0;
      const n = Number(this.#db.prepare(`DELETE FROM messages WHERE seq IN (${sql} LIMIT ${take})`).run(...params).changes);
      budget -= n;
      deletedMessages += n;
      return n;
    };
    // Never removed by the count or size caps (only by their maximum age): unread high-priority
    // messages, and alerts still waiting for acknowledgement (their repeats need them).
    const protectedClause =
      'NOT (deleted_at_ms IS NULL AND ((read_at_ms IS NULL AND priority >= 4) OR (requires_ack = 1 AND acknowledged_at_ms IS NULL)))';
    let sizeCapUnreachable = false;
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const counts = this.#db.prepare('SELECT channel, total FROM channel_counts').all() as { channel: string; total: number }[];
      for (const { channel, total } of counts) {
        const rule = settings.channels.get(channel) ?? settings.defaults;
        if (rule.maxAgeMs !== undefined) {
          // Received time grows with seq: the cut-off becomes a seq, and the scan an index range. The time
          // is checked too, so a clock that went back can leave an old message, never remove a young one.
          const cutoffMs = nowMs - rule.maxAgeMs;
          const cutoff = this.#firstSeqAtOrAfter(cutoffMs);
          deleteSeqs(
            'SELECT seq FROM messages WHERE channel = ? AND seq < ? AND received_at_ms < ? ORDER BY channel, seq',
            budget,
            channel,
            cutoff,
            cutoffMs,
          );
        }
        if (rule.maxCount !== undefined && total > rule.maxCount && budget > 0) {
          const excess = Math.min(total - rule.maxCount, budget);
          // The oldest visible messages beyond the count, skipping protected ones; the count is of visible
          // messages, so the newest maxCount are found among those (tombstones do not take their place).
          const n = Number(
            this.#db
              .prepare(
                `DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE channel = ? AND deleted_at_ms IS NULL AND ${protectedClause}
                 AND seq < (SELECT seq FROM messages WHERE channel = ? AND deleted_at_ms IS NULL ORDER BY channel DESC, seq DESC LIMIT 1 OFFSET ?)
                 ORDER BY channel, seq LIMIT ?)`,
              )
              .run(channel, channel, rule.maxCount - 1, excess).changes,
          );
          budget -= n;
          deletedMessages += n;
        }
      }
      deleteSeqs('SELECT seq FROM messages WHERE deleted_at_ms IS NOT NULL AND deleted_at_ms < ? ORDER BY deleted_at_ms', budget, nowMs - settings.tombstoneMs);
      if (budget > 0) {
        const n = Number(
          this.#db
            .prepare('DELETE FROM data_samples WHERE id IN (SELECT id FROM data_samples ORDER BY id LIMIT ?) AND received_at_ms < ?')
            .run(budget, nowMs - settings.dataMaxAgeMs).changes,
        );
        deletedSamples += n;
        budget -= n;
      }
      if (budget > 0) {
        const busy = this.#db
          .prepare('SELECT connection_id, topic FROM data_latest')
          .all() as { connection_id: string; topic: string }[];
        const trim = this.#db.prepare(
          `DELETE FROM data_samples WHERE id IN (
             SELECT id FROM data_samples WHERE connection_id = ?1 AND topic = ?2 AND id < (
               SELECT id FROM data_samples WHERE connection_id = ?1 AND topic = ?2 ORDER BY id DESC LIMIT 1 OFFSET ?3)
             ORDER BY id LIMIT ?4)`,
        );
        const keep = Math.max(1, Math.trunc(settings.dataSamplesPerTopic));
        for (const { connection_id, topic } of busy) {
          if (budget <= 0) break;
          const n = Number(trim.run(connection_id, topic, keep - 1, budget).changes);
          deletedSamples += n;
          budget -= n;
        }
      }
      // The size cap last: tombstones and data samples beyond their window go first. Only the bytes that
      // messages take (their table, indexes and search index) can be freed by removing messages: when the
      // rest alone is over the cap, no message is removed for it and the step says so.
      if (settings.maxBytes !== undefined && budget > 0) {
        const usedBytes = this.usedBytes();
        if (usedBytes > settings.maxBytes) {
          const messageBytes = this.#messageBytes() ?? usedBytes;
          if (usedBytes - messageBytes >= settings.maxBytes) {
            sizeCapUnreachable = true;
          } else {
            const total = (this.#db.prepare('SELECT coalesce(sum(total), 0) AS n FROM channel_counts').get() as { n: number }).n;
            const share = Math.ceil((total * (usedBytes - settings.maxBytes)) / Math.max(messageBytes, 1));
            deleteSeqs(`SELECT seq FROM messages WHERE ${protectedClause} ORDER BY seq`, Math.max(share, 1));
          }
        }
      }
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
    return { deletedMessages, deletedSamples, more: budget <= 0, ...(sizeCapUnreachable ? { sizeCapUnreachable } : {}) };
  }

  /** Bytes the messages take: their table, its indexes and the search index (dbstat), if SQLite has dbstat. */
  #messageBytes(): number | undefined {
    try {
      const row = this.#db
        .prepare(
          `SELECT coalesce(sum(pgsize), 0) AS b FROM dbstat
           WHERE name = 'messages' OR name LIKE 'messages\\_%' ESCAPE '\\' OR name LIKE 'sqlite_autoindex_messages%'`,
        )
        .get() as { b: number };
      return row.b;
    } catch {
      return undefined;
    }
  }

  /** Bytes the database's pages hold (free pages left by deletions excluded). */
  usedBytes(): number {
    const pages = this.#db.prepare('PRAGMA page_count').get() as { page_count: number };
    const free = this.#db.prepare('PRAGMA freelist_count').get() as { freelist_count: number };
    const size = this.#db.prepare('PRAGMA page_size').get() as { page_size: number };
    return (pages.page_count - free.freelist_count) * size.page_size;
  }

  /** Every data topic's newest value. */
  dataLatest(): DataLatest[] {
    const rows = this.#db.prepare('SELECT * FROM data_latest ORDER BY connection_id, topic').all() as unknown as {
      connection_id: string;
      channel: string;
      topic: string;
      payload: string;
      value: number | null;
      received_at_ms: number;
      samples: number;
    }[];
    return rows.map((r) => ({
      connectionId: r.connection_id,
      channel: r.channel,
      topic: r.topic,
      payload: r.payload,
      value: r.value ?? undefined,
      receivedAtMs: r.received_at_ms,
      samples: r.samples,
    }));
  }

  /** The kept samples of a data topic, newest first. */
  dataSamples(connectionId: string, topic: string, limit = 1000): DataSample[] {
    const rows = this.#db
      .prepare('SELECT payload, value, received_at_ms FROM data_samples WHERE connection_id = ? AND topic = ? ORDER BY id DESC LIMIT ?')
      .all(connectionId, topic, limit) as unknown as { payload: string; value: number | null; received_at_ms: number }[];
    return rows.map((r) => ({ payload: r.payload, value: r.value ?? undefined, receivedAtMs: r.received_at_ms }));
  }

  /**
   * Visits stored messages oldest first (for export), optionally of one channel and since a time, without
   * holding them all in memory.
   */
  *iterate(filter: ExportFilter = {}): Generator<StoredMessage> {
    const lower = filter.sinceMs === undefined ? 0 : this.#firstSeqAtOrAfter(filter.sinceMs);
    const { filters, params } = filterConditions(filter);
    const statement = this.#db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.seq >= ? AND ${filters.join(' AND ')} ORDER BY m.seq`);
    for (const row of statement.iterate(lower, ...params)) yield toStored(row as unknown as MessageRow);
  }

  /** The messages with these seqs that are not deleted, oldest first (read in chunks). */
  *iterateSeqs(seqs: readonly number[]): Generator<StoredMessage> {
    const sorted = [...seqs].sort((a, b) => a - b);
    for (let at = 0; at < sorted.length; at += 500) {
      const chunk = sorted.slice(at, at + 500);
      const rows = this.#db
        .prepare(`SELECT * FROM messages WHERE seq IN (${chunk.map(() => '?').join(',')}) AND deleted_at_ms IS NULL ORDER BY seq`)
        .all(...chunk) as unknown as MessageRow[];
      for (const row of rows) yield toStored(row);
    }
  }

  /** The newest messages that ask for acknowledgement and have not had it, newest first. */
  unacknowledged(limit = 50): StoredMessage[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM messages WHERE requires_ack = 1 AND acknowledged_at_ms IS NULL AND deleted_at_ms IS NULL
         ORDER BY seq DESC LIMIT ?`,
      )
      .all(limit) as unknown as MessageRow[];
    return rows.map(toStored);
  }

  /** The schema version of the file (PRAGMA user_version). */
  schemaVersion(): number {
    return (this.#db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  }

  /** Full integrity check (slow on a large store: for diagnostics and tests). */
  integrityCheck(): string[] {
    return (this.#db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check);
  }
  /** Receipts of a connection that are due (next attempt not in the future), oldest first. */
  dueReceipts(connectionId: string, nowMs: number, limit = 100): OutboxReceipt[] {
    const rows = this.#db
      .prepare(
        `SELECT receipt_id, connection_id, topic, payload, qos, correlation_data, attempts FROM receipt_outbox
         WHERE connection_id = ? AND next_attempt_ms <= ? ORDER BY created_at_ms, rowid LIMIT ?`,
      )
      .all(connectionId, nowMs, limit) as unknown as {
      receipt_id: string;
      connection_id: string;
      topic: string;
      payload: string;
      qos: number;
      correlation_data: Uint8Array | null;
      attempts: number;
    }[];
    return rows.map((r) => ({
      receiptId: r.receipt_id,
      connectionId: r.connection_id,
      topic: r.topic,
      payload: r.payload,
      qos: r.qos as 0 | 1 | 2,
      correlationData: r.correlation_data ?? undefined,
      attempts: r.attempts,
    }));
  }

  /** The earliest next attempt of a connection's waiting receipts, if any wait. */
  nextReceiptAttempt(connectionId: string): number | undefined {
    const row = this.#db.prepare('SELECT min(next_attempt_ms) AS at FROM receipt_outbox WHERE connection_id = ?').get(connectionId) as { at: number | null };
    return row.at ?? undefined;
  }

  /** A receipt was confirmed: it leaves the outbox and is never sent again. */
  receiptConfirmed(receiptId: string): void {
    this.#db.prepare('DELETE FROM receipt_outbox WHERE receipt_id = ?').run(receiptId);
  }

  /** A receipt could not be sent: try again at `nextAttemptMs`. */
  receiptFailed(receiptId: string, nextAttemptMs: number, error: string): void {
    this.#db
      .prepare('UPDATE receipt_outbox SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ? WHERE receipt_id = ?')
      .run(nextAttemptMs, error.slice(0, 500), receiptId);
  }

  /** How many receipts wait in the outbox (all connections). */
  outboxSize(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM receipt_outbox').get() as { n: number }).n;
  }

  /**
   * Deletes every version of a message (matched by sequence id or id) on one connection.
   *
   * @returns the seqs of the rows that were visible and are now deleted.
   */
  deleteVersions(connectionId: string, sequenceIdOrId: string, atMs: number): number[] {
    const rows = this.#deleteVersions.all(atMs, connectionId, sequenceIdOrId, sequenceIdOrId) as unknown as { seq: number }[];
    return rows.map((r) => r.seq);
  }

  /**
   * Marks every unread version of a message (matched by sequence id or id) read, as ntfy's
   * message_clear asks.
   *
   * @returns the messages that changed.
   */
  markVersionsRead(connectionId: string, sequenceIdOrId: string, atMs: number): StoredMessage[] {
    const rows = this.#readVersions.all(atMs, connectionId, sequenceIdOrId, sequenceIdOrId) as unknown as MessageRow[];
    return rows.map(toStored);
  }

  /**
   * The newest visible message on a topic of a connection, among the last RECENT_WINDOW rows and the
   * retained messages (which are indexed), whichever is newer.
   */
  latestOnTopic(connectionId: string, topic: string): StoredMessage | undefined {
    const recent = this.recentOnTopic(connectionId, topic, 1)[0];
    const row = this.#latestRetained.get(connectionId, topic) as MessageRow | undefined;
    const retained = row === undefined ? undefined : toStored(row);
    if (!recent) return retained;
    if (!retained) return recent;
    return recent.seq > retained.seq ? recent : retained;
  }

  /**
   * The newest visible messages on a topic among the last RECENT_WINDOW rows, newest first.
   *
   * A bounded scan back from the newest row, so it needs no index over every message (which would cost
   * every insert): redeliveries and repeats are always recent.
   */
  recentOnTopic(connectionId: string, topic: string, limit: number): StoredMessage[] {
    return (this.#recentOnTopic.all(RECENT_WINDOW, connectionId, topic, limit) as unknown as MessageRow[]).map(toStored);
  }

  /** Reads a value kept in the meta table. */
  getMeta(key: string): string | undefined {
    const row = this.#db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  /** Writes a value to the meta table. */
  setMeta(key: string, value: string): void {
    this.#db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Total number of stored messages. */
  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
  }

  /** Closes the database; the store must not be used afterwards. */
  close(): void {
    if (!this.#db.isOpen) return;
    if (!this.#readOnly) {
      try {
        this.setMeta(CLOSED_CLEANLY_KEY, '1');
      } catch {
        // A store that cannot write its flag is checked in full at the next start: nothing lost.
      }
    }
    this.#db.close();
  }
}
