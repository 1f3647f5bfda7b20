import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { MessageStore } from '../../electron/core/store/message-store.ts';

/** The store a test works on, fresh for each test. */
export interface TempStore {
  readonly store: MessageStore;
  /** Its data directory. */
  readonly dir: string;
}

/**
 * Registers hooks that open a new MessageStore in a new temporary directory before each test of the
 * enclosing describe, and close and delete it after; read `store` inside the tests.
 */
export function useTempStore(prefix: string): TempStore {
  let current: { store: MessageStore; dir: string } | undefined;
  beforeEach(() => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    current = { dir, store: MessageStore.open(dir) };
  });
  afterEach(() => {
    current?.store.close();
    if (current) rmSync(current.dir, { recursive: true, force: true });
    current = undefined;
  });
  const opened = (): { store: MessageStore; dir: string } => {
    if (!current) throw new Error('the temporary store exists only inside a test');
    return current;
  };
  return {
    get store() {
      return opened().store;
    },
    get dir() {
      return opened().dir;
    },
  };
}
