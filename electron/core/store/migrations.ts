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
