import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDataDir } from '../../electron/core/store/data-dir-lock.ts';

describe('lockDataDir', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a data directory that a running process holds, naming it', async () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, LOCK_FILE), `${other.pid}\n`);
      expect(() => lockDataDir(dir)).toThrow(`another Pushdesk (process ${other.pid}) holds ${join(dir, LOCK_FILE)}`);
    } finally {
      other.kill();
    }
  });

  it('takes over a lock whose process id now belongs to another process (a reused pid)', () => {
    // This test process runs, but it did not start at the recorded time: the lock is someone else's leftover.
    writeFileSync(join(dir, LOCK_FILE), `${process.ppid} not-a-real-boot:1\n`);
    const release = lockDataDir(dir);
    release();
  });

  it('takes over a lock left by a process that no longer runs, and releases it', async () => {
    const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => gone.once('exit', resolve));
    writeFileSync(join(dir, LOCK_FILE), `${gone.pid}\n`);
    const release = lockDataDir(dir);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
