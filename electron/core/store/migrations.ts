import type { DatabaseSync } from 'node:sqlite';

/**
 * Schema migrations, in order. Entry N takes a database from user_version N to N + 1.
 *
 * Never edit a released entry: add a new one, and a test that upgrades a database made by the previous one.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (
     key   TEXT PRIMARY KEY,
     value TEXT NOT NULL
   ) STRICT;
   CREATE TABLE messages (
     seq            INTEGER PRIMARY KEY AUTOINCREMENT,
     connection_id  TEXT    NOT NULL,
     id             TEXT    NOT NULL,
     channel        TEXT    NOT NULL,
     topic          TEXT    NOT NULL,
     title          TEXT    NOT NULL,
     body           TEXT    NOT NULL,
     priority       INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 5),
     tags           TEXT    NOT NULL DEFAULT '[]',
     click          TEXT,
     retained       INTEGER NOT NULL DEFAULT 0,
     sent_at_ms     INTEGER,
     received_at_ms INTEGER NOT NULL,
     read_at_ms     INTEGER,
     UNIQUE (connection_id, id)
   ) STRICT;
   CREATE INDEX messages_unread ON messages (channel) WHERE read_at_ms IS NULL;`,
  // 2: versions of one message (ntfy sequence ids), deletion, MQTT 5 reply routing, ntfy extras.
  `ALTER TABLE messages ADD COLUMN sequence_id TEXT;
   ALTER TABLE messages ADD COLUMN deleted_at_ms INTEGER;
   ALTER TABLE messages ADD COLUMN response_topic TEXT;
   ALTER TABLE messages ADD COLUMN correlation_data BLOB;
   ALTER TABLE messages ADD COLUMN extra TEXT;
   CREATE INDEX messages_sequence ON messages (connection_id, sequence_id) WHERE sequence_id IS NOT NULL;`,
  // 3: the newest retained message of a topic. Only retained rows are indexed: an index over every row
  // cost a fifth of the ingest rate, and recent rows are found by scanning back from the newest.
  `CREATE INDEX messages_retained_topic ON messages (connection_id, topic, seq) WHERE retained = 1;`,
  // 4: receipts waiting to be confirmed by their broker or server (written with the state change).
  `CREATE TABLE receipt_outbox (
     receipt_id       TEXT    PRIMARY KEY,
     connection_id    TEXT    NOT NULL,
     topic            TEXT    NOT NULL,
     payload          TEXT    NOT NULL,
     qos              INTEGER NOT NULL,
     correlation_data BLOB,
     created_at_ms    INTEGER NOT NULL,
     attempts         INTEGER NOT NULL DEFAULT 0,
     next_attempt_ms  INTEGER NOT NULL,
     last_error       TEXT
   ) STRICT;
   CREATE INDEX receipt_outbox_due ON receipt_outbox (connection_id, next_attempt_ms);`,
  // 5: full-text search, unread counts per channel, receipt statuses, data messages, retention.
  //  - messages_fts is contentless (the store writes it in batches behind ingest, off the acknowledgement
  //    path) with contentless_delete, so a row removed from messages leaves the index too. The text is
  //    the store's own token stream: CJK characters are spaced apart so a phrase finds any substring.
  //  - channel_counts is kept by the store on insert and by triggers on every other change.
  //  - messages_channel serves history by channel, retention and export; messages_high the
  //    high-priority filter and messages_deleted the removal of tombstones (rare rows: cheap to keep).
  `CREATE VIRTUAL TABLE messages_fts USING fts5(title, body, tags, content = '', contentless_delete = 1,
     tokenize = 'unicode61 remove_diacritics 2');
   ALTER TABLE messages ADD COLUMN receipts TEXT;
   ALTER TABLE messages ADD COLUMN requires_ack INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE messages ADD COLUMN displayed_at_ms INTEGER;
   ALTER TABLE messages ADD COLUMN acknowledged_at_ms INTEGER;
   CREATE INDEX messages_channel ON messages (channel, seq);
   CREATE INDEX messages_high ON messages (seq) WHERE priority >= 4;
   CREATE INDEX messages_deleted ON messages (deleted_at_ms) WHERE deleted_at_ms IS NOT NULL;
   CREATE TABLE channel_counts (
     channel TEXT PRIMARY KEY,
     unread  INTEGER NOT NULL DEFAULT 0,
     total   INTEGER NOT NULL DEFAULT 0
   ) STRICT;
   INSERT INTO channel_counts (channel, unread, total)
     SELECT channel, sum(read_at_ms IS NULL), count(*) FROM messages WHERE deleted_at_ms IS NULL GROUP BY channel;
   -- Upserts, not updates: a version can replace one written earlier in the same batch, before the
   -- store has added that batch to a channel it has never counted (its row does not exist yet).
   CREATE TRIGGER messages_counts_update AFTER UPDATE OF read_at_ms, deleted_at_ms ON messages
   WHEN (old.read_at_ms IS NULL) IS NOT (new.read_at_ms IS NULL) OR (old.deleted_at_ms IS NULL) IS NOT (new.deleted_at_ms IS NULL)
   BEGIN
     INSERT INTO channel_counts (channel, unread, total)
     VALUES (new.channel,
             (new.read_at_ms IS NULL AND new.deleted_at_ms IS NULL) - (old.read_at_ms IS NULL AND old.deleted_at_ms IS NULL),
             (new.deleted_at_ms IS NULL) - (old.deleted_at_ms IS NULL))
     ON CONFLICT (channel) DO UPDATE SET unread = unread + excluded.unread, total = total + excluded.total;
   END;
   CREATE TRIGGER messages_counts_delete AFTER DELETE ON messages WHEN old.deleted_at_ms IS NULL
   BEGIN
     INSERT INTO channel_counts (channel, unread, total) VALUES (old.channel, -(old.read_at_ms IS NULL), -1)
     ON CONFLICT (channel) DO UPDATE SET unread = unread + excluded.unread, total = total + excluded.total;
   END;
   CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
   BEGIN
     DELETE FROM messages_fts WHERE rowid = old.seq;
   END;
   CREATE TABLE data_latest (
     connection_id  TEXT    NOT NULL,
     topic          TEXT    NOT NULL,
     channel        TEXT    NOT NULL,
     payload        TEXT    NOT NULL,
     value          REAL,
     received_at_ms INTEGER NOT NULL,
     samples        INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (connection_id, topic)
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE data_samples (
     id             INTEGER PRIMARY KEY,
     connection_id  TEXT    NOT NULL,
     topic          TEXT    NOT NULL,
     payload        TEXT    NOT NULL,
     value          REAL,
     received_at_ms INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX data_samples_topic ON data_samples (connection_id, topic, id);`,
  // 6: alerts still waiting for acknowledgement, found at start so their repeats survive a restart
  // (rare rows: cheap to keep).
  `CREATE INDEX messages_unacknowledged ON messages (seq) WHERE requires_ack = 1 AND acknowledged_at_ms IS NULL AND deleted_at_ms IS NULL;`,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings a database up to SCHEMA_VERSION, each step in its own transaction.
 *
 * @throws Error when the database is newer than this build understands.
 */
export function migrate(db: DatabaseSync): void {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  const from = row.user_version;
  if (from > SCHEMA_VERSION) {
    throw new Error(`the message store has schema version ${from}, newer than this build (${SCHEMA_VERSION}); update Pushdesk`);
  }
  for (let version = from; version < SCHEMA_VERSION; version++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(MIGRATIONS[version] as string);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
}
