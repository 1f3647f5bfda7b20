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
    expect(tableNames(db)).toEqual([
      'channel_counts',
      'data_latest',
      'data_samples',
      'messages',
      'messages_fts',
      'messages_fts_config',
      'messages_fts_data',
      'messages_fts_docsize',
      'messages_fts_idx',
      'meta',
      'receipt_outbox',
    ]);
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

/** One message row as a build of an earlier schema version wrote it. */
interface OldRow {
  readonly connectionId: string;
  readonly id: string;
  readonly channel: string;
  readonly topic: string;
  readonly title: string;
  readonly body: string;
  readonly priority: number;
  readonly tags: string;
  readonly click: string | null;
  readonly retained: number;
  readonly sentAtMs: number | null;
  readonly receivedAtMs: number;
  readonly readAtMs: number | null;
  /** Columns from version 2 on. */
  readonly v2?: {
    readonly sequenceId: string | null;
    readonly deletedAtMs: number | null;
    readonly responseTopic: string | null;
    readonly correlationData: Uint8Array | null;
    readonly extra: string | null;
  };
}

const V1_ROWS: readonly OldRow[] = [
  {
    connectionId: 'home',
    id: 'oven',
    channel: 'Kitchen',
    topic: 'home/kitchen/oven',
    title: 'Oven',
    body: 'The oven has preheated',
    priority: 3,
    tags: '["food","heat"]',
    click: 'https://example.com/oven',
    retained: 0,
    sentAtMs: 1_000,
    receivedAtMs: 2_000,
    readAtMs: null,
  },
  {
    connectionId: 'home',
    id: 'fridge',
    channel: 'Kitchen',
    topic: 'home/kitchen/fridge',
    title: 'Fridge',
    body: 'Door open too long',
    priority: 4,
    tags: '[]',
    click: null,
    retained: 0,
    sentAtMs: null,
    receivedAtMs: 3_000,
    readAtMs: 3_500,
  },
  {
    connectionId: 'home',
    id: 'gate',
    channel: 'Garage',
    topic: 'home/garage/gate',
    title: 'Gate',
    body: 'Gate left open',
    priority: 2,
    tags: '[]',
    click: null,
    retained: 1,
    sentAtMs: null,
    receivedAtMs: 4_000,
    readAtMs: null,
  },
];

const V2_ROWS: readonly OldRow[] = [
  {
    connectionId: 'ntfy',
    id: 'door-1',
    channel: 'Garage',
    topic: 'door',
    title: 'Door',
    body: 'Superseded draft about the door',
    priority: 3,
    tags: '[]',
    click: null,
    retained: 0,
    sentAtMs: null,
    receivedAtMs: 5_000,
    readAtMs: null,
    v2: { sequenceId: null, deletedAtMs: 5_100, responseTopic: null, correlationData: null, extra: null },
  },
  {
    connectionId: 'ntfy',
    id: 'door-2',
    channel: 'Garage',
    topic: 'door',
    title: 'Door',
    body: 'Door closed again',
    priority: 3,
    tags: '[]',
    click: null,
    retained: 0,
    sentAtMs: null,
    receivedAtMs: 5_100,
    readAtMs: null,
    v2: {
      sequenceId: 'door-1',
      deletedAtMs: null,
      responseTopic: 'replies/door',
      correlationData: new Uint8Array([1, 2, 3]),
      extra: '{"icon":"https://example.com/door.png"}',
    },
  },
];

/** Builds a database exactly as the build of schema `version` left it, filled with rows of that version. */
function buildVersion(path: string, version: number): void {
  const db = new DatabaseSync(path);
  try {
    db.exec('PRAGMA journal_mode = WAL');
    for (const sql of MIGRATIONS.slice(0, version)) db.exec(sql);
    db.exec(`PRAGMA user_version = ${version}`);
    const v1 = db.prepare(
      `INSERT INTO messages (connection_id, id, channel, topic, title, body, priority, tags, click, retained, sent_at_ms,
                             received_at_ms, read_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const r of V1_ROWS) {
      v1.run(r.connectionId, r.id, r.channel, r.topic, r.title, r.body, r.priority, r.tags, r.click, r.retained, r.sentAtMs, r.receivedAtMs, r.readAtMs);
    }
    if (version >= 2) {
      const v2 = db.prepare(
        `INSERT INTO messages (connection_id, id, channel, topic, title, body, priority, tags, click, retained, sent_at_ms,
                               received_at_ms, read_at_ms, sequence_id, deleted_at_ms, response_topic, correlation_data, extra)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const r of V2_ROWS) {
        const x = r.v2 as NonNullable<OldRow['v2']>;
        v2.run(r.connectionId, r.id, r.channel, r.topic, r.title, r.body, r.priority, r.tags, r.click, r.retained, r.sentAtMs,
          r.receivedAtMs, r.readAtMs, x.sequenceId, x.deletedAtMs, x.responseTopic, x.correlationData, x.extra);
      }
    }
    if (version >= 5) {
      // From version 5 the store keeps channel_counts itself as it inserts (raw inserts here do not).
      db.exec(`INSERT INTO channel_counts (channel, unread, total)
               SELECT channel, sum(read_at_ms IS NULL AND deleted_at_ms IS NULL), sum(deleted_at_ms IS NULL) FROM messages GROUP BY channel`);
    }
    if (version >= 4) {
      db.prepare(
        `INSERT INTO receipt_outbox (receipt_id, connection_id, topic, payload, qos, correlation_data, created_at_ms, attempts, next_attempt_ms, last_error)
         VALUES ('r-1', 'home', 'receipts/home', '{"status":"read"}', 1, x'0a0b', 6000, 2, 7000, 'broker away')`,
      ).run();
    }
    db.prepare("INSERT INTO meta (key, value) VALUES ('device_id', 'desk-7')").run();
  } finally {
    db.close();
  }
}

describe('upgrading a store written by an earlier build', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-upgrade-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (let version = 1; version < SCHEMA_VERSION; version++) {
    describe(`from schema version ${version}`, () => {
      it('brings the schema to the current version and keeps every message with its fields and read state', () => {
        buildVersion(join(dir, DATABASE_FILE), version);
        const store = MessageStore.open(dir);
        try {
          expect(store.recovered).toBeUndefined();
          const all = [...store.iterate()];
          const expected = version >= 2 ? [...V1_ROWS, V2_ROWS[1] as OldRow] : V1_ROWS;
          expect(all.map((m) => m.id)).toEqual(expected.map((r) => r.id));
          for (const [i, r] of expected.entries()) {
            expect(all[i]).toEqual({
              seq: expect.any(Number),
              id: r.id,
              connectionId: r.connectionId,
              channel: r.channel,
              topic: r.topic,
              title: r.title,
              body: r.body,
              priority: r.priority,
              tags: JSON.parse(r.tags),
              click: r.click ?? undefined,
              retained: r.retained === 1,
              sentAtMs: r.sentAtMs ?? undefined,
              receivedAtMs: r.receivedAtMs,
              readAtMs: r.readAtMs ?? undefined,
              sequenceId: r.v2?.sequenceId ?? undefined,
              responseTopic: r.v2?.responseTopic ?? undefined,
              correlationData: r.v2?.correlationData ?? undefined,
              extra: r.v2?.extra ? JSON.parse(r.v2.extra) : undefined,
              receipts: undefined,
              requiresAck: undefined,
              displayedAtMs: undefined,
              acknowledgedAtMs: undefined,
            });
          }
          // the replaced version is kept as a tombstone, not shown
          expect(store.count()).toBe(version >= 2 ? 5 : 3);
        } finally {
          store.close();
        }
        const check = new DatabaseSync(join(dir, DATABASE_FILE), { readOnly: true });
        try {
          expect(userVersion(check)).toBe(SCHEMA_VERSION);
          expect(tableNames(check)).toContain('messages_fts');
        } finally {
          check.close();
        }
      });

      it('counts unread and total visible messages per channel, leaving deleted ones out', () => {
        buildVersion(join(dir, DATABASE_FILE), version);
        const store = MessageStore.open(dir);
        try {
          expect(store.channelCounts()).toEqual([
            { channel: 'Garage', unread: version >= 2 ? 2 : 1, total: version >= 2 ? 2 : 1 },
            { channel: 'Kitchen', unread: 1, total: 2 },
          ]);
          // and the counts keep working on the old rows
          const oven = [...store.iterate()].find((m) => m.id === 'oven');
          store.markRead(oven?.seq ?? -1, 9_000);
          expect(store.channelCounts()).toContainEqual({ channel: 'Kitchen', unread: 0, total: 2 });
        } finally {
          store.close();
        }
      });

      it('finds old messages by a word once the background indexer has caught up, but not deleted ones', () => {
        buildVersion(join(dir, DATABASE_FILE), version);
        const store = MessageStore.open(dir);
        try {
          expect(store.indexedUpTo).toBe(0);
          let indexed = 0;
          for (let n = store.indexPending(); n > 0; n = store.indexPending()) indexed += n;
          expect(indexed).toBe(store.count());
          expect(store.indexPending()).toBe(0);
          expect(store.search({ text: 'PREHEAT', limit: 10 }).messages.map((m) => m.id)).toEqual(['oven']);
          expect(store.search({ text: 'food', limit: 10 }).messages.map((m) => m.id)).toEqual(['oven']);
          expect(store.search({ text: 'open', limit: 10 }).messages.map((m) => m.id)).toEqual(['gate', 'fridge']);
          expect(store.search({ text: 'door', limit: 10 }).messages.map((m) => m.id)).toEqual(version >= 2 ? ['door-2', 'fridge'] : ['fridge']);
          expect(store.search({ text: 'superseded', limit: 10 }).messages).toEqual([]);
        } finally {
          store.close();
        }
      });

      it('keeps meta values and the receipts waiting in the outbox', () => {
        buildVersion(join(dir, DATABASE_FILE), version);
        const store = MessageStore.open(dir);
        try {
          expect(store.getMeta('device_id')).toBe('desk-7');
          if (version >= 4) {
            expect(store.outboxSize()).toBe(1);
            expect(store.dueReceipts('home', 7_000)).toEqual([
              {
                receiptId: 'r-1',
                connectionId: 'home',
                topic: 'receipts/home',
                payload: '{"status":"read"}',
                qos: 1,
                correlationData: new Uint8Array([0x0a, 0x0b]),
                attempts: 2,
              },
            ]);
            expect(store.dueReceipts('home', 6_999)).toEqual([]);
          } else {
            expect(store.outboxSize()).toBe(0);
          }
        } finally {
          store.close();
        }
      });

      it('goes on storing new messages after the upgrade, unique per (connection, id) as before', () => {
        buildVersion(join(dir, DATABASE_FILE), version);
        const store = MessageStore.open(dir);
        try {
          const message = { title: 'Oven', body: 'again', priority: 3 as const, tags: [], click: undefined, sentAtMs: undefined };
          const origin = { connectionId: 'home', channel: 'Kitchen', topic: 'home/kitchen/oven', retained: false, receivedAtMs: 10_000 };
          expect(store.insertBatch([{ message: { ...message, id: 'oven' }, origin }])).toEqual([]);
          const [added] = store.insertBatch([{ message: { ...message, id: 'oven-2' }, origin }]);
          expect(added?.seq).toBeGreaterThan(Math.max(...[...store.iterate()].filter((m) => m.id !== 'oven-2').map((m) => m.seq)));
          expect(store.channelCounts()).toContainEqual({ channel: 'Kitchen', unread: 2, total: 3 });
        } finally {
          store.close();
        }
      });
    });
  }
});
