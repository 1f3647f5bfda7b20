import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE, MessageStore, type NewMessage } from '../../electron/core/store/message-store.ts';

function message(i: number): NewMessage {
  return {
    message: { id: `m${i}`, title: `Reading ${i}`, body: `pump pressure ${i} lorem ipsum dolor sit amet`, priority: 3, tags: [], click: undefined, sentAtMs: undefined },
    origin: { connectionId: 'home', channel: i % 2 === 0 ? 'Even' : 'Odd', topic: 'home/pump', retained: false, receivedAtMs: 1_000 + i },
  };
}

const OPENED_AT = Date.UTC(2025, 0, 2, 3, 4, 5, 6);
const MOVED_NAME = `${DATABASE_FILE}.corrupt-2025-01-02T03-04-05-006Z`;

describe('opening a damaged store', () => {
  let dir: string;
  let path: string;
  let store: MessageStore | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-recovery-'));
    path = join(dir, DATABASE_FILE);
  });

  afterEach(() => {
    store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A closed store with `n` messages, all indexed. */
  function writeStore(n: number): void {
    const s = MessageStore.open(dir);
    for (let i = 0; i < n; i += 500) s.insertBatch(Array.from({ length: Math.min(500, n - i) }, (_, k) => message(i + k)));
    while (s.indexPending() > 0);
    s.close();
  }

  function expectFreshStore(opened: MessageStore): void {
    expect(opened.count()).toBe(0);
    expect(opened.channelCounts()).toEqual([]);
    expect(opened.integrityCheck()).toEqual(['ok']);
    const [added] = opened.insertBatch([message(1)]);
    expect(added?.seq).toBe(1);
    expect(opened.channelCounts()).toEqual([{ channel: 'Odd', unread: 1, total: 1 }]);
  }

  it('moves a file of random bytes aside, keeping its bytes, and starts an empty store', () => {
    const garbage = randomBytes(64 * 1024);
    writeFileSync(path, garbage);
    store = MessageStore.open(dir, { now: () => OPENED_AT });
    expect(store.recovered).toEqual({ movedTo: join(dir, MOVED_NAME), reason: expect.stringMatching(/not a database/) });
    expect(store.recovered?.reason).toMatch(/^the message database/);
    expect(readFileSync(join(dir, MOVED_NAME))).toEqual(garbage);
    expectFreshStore(store);
  });

  it('moves a short text file aside', () => {
    writeFileSync(path, 'hello, I am not SQLite\n');
    store = MessageStore.open(dir, { now: () => OPENED_AT });
    expect(store.recovered?.movedTo).toBe(join(dir, MOVED_NAME));
    expect(readFileSync(join(dir, MOVED_NAME), 'utf8')).toBe('hello, I am not SQLite\n');
    expectFreshStore(store);
  });

  it('moves a real store whose pages were overwritten in the middle aside, with its bytes', () => {
    writeStore(3000);
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, randomBytes(4096), 0, 4096, 4096);
    } finally {
      closeSync(fd);
    }
    const damaged = readFileSync(path);
    store = MessageStore.open(dir, { now: () => OPENED_AT });
    expect(store.recovered?.movedTo).toBe(join(dir, MOVED_NAME));
    expect(store.recovered?.reason).toMatch(/^the message database/);
    expect(store.recovered?.reason).toMatch(/malformed|corrupt|not a database/);
    expect(readFileSync(join(dir, MOVED_NAME))).toEqual(damaged);
    expectFreshStore(store);
  });

  it('finds damage deeper in the file too', () => {
    writeStore(3000);
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, Buffer.alloc(8192, 0x5a), 0, 8192, 40 * 4096);
    } finally {
      closeSync(fd);
    }
    const damaged = readFileSync(path);
    store = MessageStore.open(dir, { now: () => OPENED_AT });
    expect(store.recovered?.reason).toMatch(/malformed/);
    expect(readFileSync(join(dir, MOVED_NAME))).toEqual(damaged);
    expect(store.count()).toBe(0);
  });

  it('moves the WAL and shared-memory files with the database', () => {
    const wal = randomBytes(5000);
    const shm = randomBytes(1000);
    writeFileSync(path, randomBytes(8192));
    writeFileSync(`${path}-wal`, wal);
    writeFileSync(`${path}-shm`, shm);
    store = MessageStore.open(dir, { now: () => OPENED_AT });
    expect(readFileSync(join(dir, `${MOVED_NAME}-wal`))).toEqual(wal);
    // the shared-memory file is only an index of the WAL, which SQLite may rebuild: it goes along
    expect(existsSync(join(dir, `${MOVED_NAME}-shm`))).toBe(true);
    expectFreshStore(store);
  });

  it('moves a damaged store that a crash left with a WAL aside exactly as found, the WAL not merged into it', () => {
    writeStore(3000);
    // Another process writes and dies without closing: its last transactions are only in the WAL.
    execFileSync(process.execPath, [
      '--disable-warning=ExperimentalWarning',
      '-e',
      `const { DatabaseSync } = require('node:sqlite');
       const db = new DatabaseSync(${JSON.stringify(path)});
       db.exec("UPDATE messages SET body = 'rewritten' WHERE seq <= 200; INSERT INTO meta (key, value) VALUES ('late', 'x');");
       process.exit(0);`,
    ]);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, randomBytes(4096), 0, 4096, 40 * 4096);
    } finally {
      closeSync(fd);
    }
    const damaged = readFileSync(path);
    const wal = readFileSync(`${path}-wal`);
    store = MessageStore.open(dir, { now: () => OPENED_AT });
    expect(store.recovered?.movedTo).toBe(join(dir, MOVED_NAME));
    expect(readFileSync(join(dir, MOVED_NAME))).toEqual(damaged);
    expect(readFileSync(join(dir, `${MOVED_NAME}-wal`))).toEqual(wal);
    expectFreshStore(store);
  });

  it('opens a healthy store that a crash left with a WAL, with the transactions only the WAL held', () => {
    writeStore(1000);
    execFileSync(process.execPath, [
      '--disable-warning=ExperimentalWarning',
      '-e',
      `const { DatabaseSync } = require('node:sqlite');
       const db = new DatabaseSync(${JSON.stringify(path)});
       db.exec("UPDATE messages SET read_at_ms = 5 WHERE seq <= 10; INSERT INTO meta (key, value) VALUES ('late', 'x');");
       process.exit(0);`,
    ]);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    store = MessageStore.open(dir, { now: () => OPENED_AT });
    expect(store.recovered).toBeUndefined();
    expect(store.getMeta('late')).toBe('x');
    expect(store.get(10)?.readAtMs).toBe(5);
    expect(store.count()).toBe(1000);
    expect(readdirSync(dir).filter((f) => f.includes('corrupt'))).toEqual([]);
  });

  it('does not move a healthy store, and opens the recovered one again without moving it', () => {
    writeStore(1200);
    store = MessageStore.open(dir, { now: () => OPENED_AT });
    expect(store.recovered).toBeUndefined();
    expect(store.count()).toBe(1200);
    expect(store.search({ text: 'pump', limit: 5 }).messages.map((m) => m.id)).toEqual(['m1199', 'm1198', 'm1197', 'm1196', 'm1195']);
    expect(store.channelCounts()).toEqual([
      { channel: 'Even', unread: 600, total: 600 },
      { channel: 'Odd', unread: 600, total: 600 },
    ]);
    expect(readdirSync(dir).filter((f) => f.includes('corrupt'))).toEqual([]);
    store.close();

    writeFileSync(path, randomBytes(4096));
    store = MessageStore.open(dir, { now: () => OPENED_AT });
    expect(store.recovered).toBeDefined();
    store.insertBatch([message(7)]);
    store.close();
    store = MessageStore.open(dir, { now: () => OPENED_AT + 1 });
    expect(store.recovered).toBeUndefined();
    expect(store.count()).toBe(1);
    expect(readdirSync(dir).filter((f) => f.includes('corrupt'))).toEqual([MOVED_NAME]);
  });

  it('treats an empty file as a new store', () => {
    writeFileSync(path, '');
    store = MessageStore.open(dir);
    expect(store.recovered).toBeUndefined();
    expect(store.count()).toBe(0);
    expect(existsSync(path)).toBe(true);
  });
});
