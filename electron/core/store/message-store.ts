import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { DecodedMessage, MessageOrigin, Priority, StoredMessage } from '../message/message.ts';
import { migrate } from './migrations.ts';

/** A message ready to be written: decoded content plus where it came from. */
export interface NewMessage {
  readonly message: DecodedMessage;
  readonly origin: MessageOrigin;
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

/** One page of history, newest first. */
export interface PageQuery {
  /** Only messages with a smaller seq (keyset paging); omit for the newest page. */
  readonly beforeSeq?: number | undefined;
  readonly limit: number;
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
  };
}

/** How many of the newest rows recentOnTopic looks through. */
const RECENT_WINDOW = 5000;

/** File name of the message database inside the data directory. */
export const DATABASE_FILE = 'messages.sqlite';

/**
 * The local message history on node:sqlite (WAL, synchronous=NORMAL).
 *
 * Every call is synchronous: a write has committed when it returns. Messages are unique per
 * (connection, id), so a redelivered message is not stored or reported twice.
 */
export class MessageStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #page: StatementSync;
  readonly #newest: StatementSync;
  readonly #get: StatementSync;
  readonly #markRead: StatementSync;
  readonly #supersede: StatementSync;
  readonly #recentOnTopic: StatementSync;
  readonly #latestRetained: StatementSync;
  readonly #deleteVersions: StatementSync;
  readonly #readVersions: StatementSync;

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO messages (connection_id, id, channel, topic, title, body, priority, tags, click, retained,
                             sent_at_ms, received_at_ms, sequence_id, response_topic, correlation_data, extra)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (connection_id, id) DO NOTHING
       RETURNING seq`,
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
  }

  /**
   * Opens (creating if needed) the store in `dataDir` and migrates it to the current schema.
   *
   * A new data directory is made readable by its owner only (0700).
   */
  static open(dataDir: string): MessageStore {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, DATABASE_FILE);
    const db = new DatabaseSync(path);
    try {
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
      migrate(db);
      return new MessageStore(path, db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Writes messages in one transaction.
   *
   * @returns the messages that were new; duplicates of stored ones are left out.
   */
  insertBatch(batch: readonly NewMessage[]): StoredMessage[] {
    const added: StoredMessage[] = [];
    this.#db.exec('BEGIN');
    try {
      for (const { message, origin } of batch) {
        const id = message.id ?? randomUUID();
        // Positional parameters: measurably cheaper than named ones on this hot path.
        const row = this.#insert.get(
          origin.connectionId,
          id,
          origin.channel,
          origin.topic,
          message.title,
          message.body,
          message.priority,
          message.tags.length === 0 ? '[]' : JSON.stringify(message.tags),
          message.click ?? null,
          origin.retained ? 1 : 0,
          message.sentAtMs ?? null,
          origin.receivedAtMs,
          message.sequenceId ?? null,
          origin.responseTopic ?? null,
          origin.correlationData ?? null,
          message.extra === undefined ? null : JSON.stringify(message.extra),
        ) as { seq: number } | undefined;
        if (row === undefined) continue;
        let replacesSeqs: number[] = [];
        if (message.sequenceId !== undefined) {
          const superseded = this.#supersede.all(origin.receivedAtMs, origin.connectionId, message.sequenceId, row.seq);
          replacesSeqs = (superseded as unknown as { seq: number }[]).map((r) => r.seq);
        }
        // Built from what was written rather than read back: RETURNING * costs a third of the insert.
        added.push({ ...message, ...origin, id, seq: row.seq, readAtMs: undefined, ...(replacesSeqs.length > 0 ? { replacesSeqs } : {}) });
      }
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
    return added;
  }

  /** A page of history, newest first. */
  page(query: PageQuery): StoredMessage[] {
    const rows =
      query.beforeSeq === undefined ? this.#newest.all(query.limit) : this.#page.all(query.beforeSeq, query.limit);
    return (rows as unknown as MessageRow[]).map(toStored);
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
    const changed = Number(this.#markRead.run(atMs, seq).changes) === 1;
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
    receiptFor: (message: StoredMessage) => Omit<OutboxReceipt, 'attempts'> | undefined,
  ): { message: StoredMessage; changed: boolean; receipt: Omit<OutboxReceipt, 'attempts'> | undefined } | undefined {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const changed = Number(this.#markRead.run(atMs, seq).changes) === 1;
      const message = this.get(seq);
      const receipt = changed && message ? receiptFor(message) : undefined;
      if (receipt) {
        this.#db
          .prepare(
            `INSERT INTO receipt_outbox (receipt_id, connection_id, topic, payload, qos, correlation_data, created_at_ms, next_attempt_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(receipt.receiptId, receipt.connectionId, receipt.topic, receipt.payload, receipt.qos, receipt.correlationData ?? null, atMs, atMs);
      }
      this.#db.exec('COMMIT');
      return message === undefined ? undefined : { message, changed, receipt };
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
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
    if (this.#db.isOpen) this.#db.close();
  }
}
