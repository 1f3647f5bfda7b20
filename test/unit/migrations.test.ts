import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE, MessageStore } from '../../electron/core/store/message-store.ts';
import { migrate, MIGRATIONS, SCHEMA_VERSION } from '../../electron/core/store/migrations.ts';

function userVersion(db: DatabaseSync): number {
  return (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
}

function tableNames(db: DatabaseSync): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map(
    (row) => row.name,
  );
}

describe('migrate', () => {
  let dir: string;
  let db: DatabaseSync;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-migrate-'));
    db = new DatabaseSync(join(dir, DATABASE_FILE));
  });

  afterEach(() => {
    if (db.isOpen) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has one migration per schema version', () => {
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(1);
  });

  it('upgrades an empty database at user_version 0 to the current schema', () => {
    expect(userVersion(db)).toBe(0);
    expect(tableNames(db)).toEqual([]);
    migrate(db);
    expect(userVersion(db)).toBe(SCHEMA_VERSION);
    expect(tableNames(db)).toEqual(['messages', 'meta', 'receipt_outbox']);
  });

  it('creates a messages table that enforces uniqueness per (connection, id) and the priority range', () => {
    migrate(db);
    const insert = db.prepare(
      'INSERT INTO messages (connection_id, id, channel, topic, title, body, priority, received_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    insert.run('c', 'm', 'ch', 't', 'ti', 'b', 3, 1);
    expect(() => insert.run('c', 'm', 'ch', 't', 'ti', 'b', 3, 1)).toThrow(/UNIQUE/);
    expect(() => insert.run('c', 'n', 'ch', 't', 'ti', 'b', 6, 1)).toThrow(/CHECK/);
    expect(() => insert.run('c', 'o', 'ch', 't', 'ti', 'b', 0, 1)).toThrow(/CHECK/);
  });

  it('does nothing on a database that is already current', () => {
    migrate(db);
    db.prepare("INSERT INTO meta (key, value) VALUES ('k', 'v')").run();
    migrate(db);
    expect(userVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT value FROM meta WHERE key = 'k'").get()).toEqual({ value: 'v' });
  });

  it('refuses a database with a newer user_version, saying to update Pushdesk', () => {
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    expect(() => migrate(db)).toThrow(
      `the message store has schema version ${SCHEMA_VERSION + 1}, newer than this build (${SCHEMA_VERSION}); update Pushdesk`,
    );
    expect(userVersion(db)).toBe(SCHEMA_VERSION + 1);
    expect(tableNames(db)).toEqual([]);
  });

  it('makes MessageStore.open fail on a newer database instead of touching it', () => {
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 5}`);
    db.close();
    expect(() => MessageStore.open(dir)).toThrow(/update Pushdesk/);
    const check = new DatabaseSync(join(dir, DATABASE_FILE), { readOnly: true });
    try {
      expect(userVersion(check)).toBe(SCHEMA_VERSION + 5);
      expect(tableNames(check)).toEqual([]);
    } finally {
      check.close();
    }
  });

  it('lets MessageStore.open upgrade a database left at user_version 0', () => {
    expect(userVersion(db)).toBe(0);
    db.close();
    const store = MessageStore.open(dir);
    try {
      expect(store.count()).toBe(0);
      expect(store.insertBatch([
        {
          message: { id: 'a', title: 't', body: 'b', priority: 3, tags: [], click: undefined, sentAtMs: undefined },
          origin: { connectionId: 'c', channel: 'ch', topic: 't', retained: false, receivedAtMs: 1 },
        },
      ])).toHaveLength(1);
    } finally {
      store.close();
    }
    const check = new DatabaseSync(join(dir, DATABASE_FILE), { readOnly: true });
    try {
      expect(userVersion(check)).toBe(SCHEMA_VERSION);
    } finally {
      check.close();
    }
  });

  it('rolls back a migration that fails and leaves user_version unchanged', () => {
    // A table named like one the first migration creates makes that migration fail half-way.
    db.exec('CREATE TABLE messages (x INTEGER)');
    expect(() => migrate(db)).toThrow(/already exists/);
    expect(userVersion(db)).toBe(0);
    expect(tableNames(db)).toEqual(['messages']);
  });
});
