import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** File name of the lock inside the data directory. */
export const LOCK_FILE = 'pushdesk.lock';

/**
 * When a process started, in clock ticks since boot (Linux /proc/<pid>/stat field 22), with the boot
 * it belongs to; undefined elsewhere. A pid reused after a crash or a reboot has another start.
 */
function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${boot}:${fields[19]}`;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims a data directory for this process.
 *
 * Two hubs on one data directory would share a device id and so an MQTT client id, and take the broker
 * session from each other in turn. A lock left by a process that no longer runs (killed, crashed) is
 * taken over.
 *
 * @throws Error naming the other process when it still runs.
 * @returns a function that releases the lock.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid} ${startOf(process.pid) ?? ''}\n`, { flag: 'wx', mode: 0o600 });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const [pidText, start] = readFileSync(path, 'utf8').trim().split(' ');
    const pid = Number.parseInt(pidText ?? '', 10);
    // The same process only if it runs and, where the system tells, started when the lock was taken.
    const same = Number.isInteger(pid) && pid !== process.pid && alive(pid) && (!start || startOf(pid) === undefined || startOf(pid) === start);
    if (same) {
      throw new Error(
        `another Pushdesk (process ${pid}) holds ${path}: stop it first, or give this one its own data directory`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new Error(`could not lock the data directory ${dataDir}`);
}
