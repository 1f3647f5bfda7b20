import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file atomically with mode 0600: a reader sees the old file or the new one, never half of one,
 * and a crash leaves no readable temporary copy behind for longer than the write. The folder is created
 * (0700) when missing.
 *
 * The temporary file is created exclusively (never through an existing file or link) beside the target.
 */
export function writeFileAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    try {
      // Exactly 0600 whatever the umask (which could leave the owner unable to read it back).
      if (process.platform !== 'win32') fchmodSync(fd, 0o600);
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  // The rename is durable once the folder is synced; not every platform can open a folder for that.
  try {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Windows: folders cannot be synced; the rename is still atomic.
  }
}
