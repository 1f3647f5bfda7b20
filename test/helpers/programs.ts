import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Finds a program on PATH. */
export function findProgram(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/**
 * Returns the path of a system program the tests need.
 *
 * @throws Error naming the Debian package to install: a missing program fails the test, never skips it.
 */
export function requireProgram(name: string, debianPackage: string): string {
  const found = findProgram(name);
  if (!found) {
    throw new Error(`${name} is not installed: run "apt-get install -y ${debianPackage}" (see README.md)`);
  }
  return found;
}
