import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretFile, SECRETS_FILE } from '../../electron/headless/secret-file.ts';
import { secretStoreContract } from './secrets-store-contract.ts';

/** The headless shell's secrets: `<dataDir>/secrets.json`, mode 0600, in a 0700 data directory. */

const mode = (path: string): number => statSync(path).mode & 0o777;

secretStoreContract('SecretFile (headless)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pushdesk-secret-file-'));
  return { open: () => new SecretFile(join(dir, 'data')), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
});

describe.skipIf(process.platform === 'win32')('SecretFile permissions and format', () => {
  let dir: string;
  let dataDir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-secret-file-'));
    dataDir = join(dir, 'data');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([0o000, 0o022, 0o277])('creates the data directory with mode 0700 and the file with mode 0600 under umask %o', (mask) => {
    const umask = process.umask(mask);
    try {
      new SecretFile(dataDir).set('office', 'pw');
    } finally {
      process.umask(umask);
    }
    expect(mode(join(dataDir, SECRETS_FILE))).toBe(0o600);
    expect(mode(dataDir)).toBe(0o700);
    expect(new SecretFile(dataDir).get('office')).toBe('pw');
  });

  it('narrows an existing data directory that others could enter to 0700 when a secret is set', () => {
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    new SecretFile(dataDir).set('office', 'pw');
    expect(mode(dataDir)).toBe(0o700);
  });

  it('writes a versioned JSON file and leaves no temporary copy behind', () => {
    const store = new SecretFile(dataDir);
    store.set('office', 'first');
    store.set('office', 'second');
    expect(readdirSync(dataDir)).toEqual([SECRETS_FILE]);
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toEqual({ version: 1, encryption: 'none', secrets: { office: 'second' } });
  });

  it.each([0o644, 0o640, 0o604, 0o620])('refuses to read a file with mode %o, naming the file and the fix', (fileMode) => {
    const store = new SecretFile(dataDir);
    store.set('office', 'pw');
    chmodSync(store.path, fileMode);
    const expected = `the secrets file ${store.path} may be read or changed by other users (mode 0${fileMode.toString(8)}); make it private with: chmod 600 ${store.path}`;
    expect(() => store.get('office')).toThrow(expected);
    expect(() => store.list()).toThrow(expected);
    // Nor is a new secret added to a file others could already read.
    expect(() => store.set('cloud', 'token')).toThrow(expected);
    chmodSync(store.path, 0o600);
    expect(store.get('office')).toBe('pw');
  });

  it('does not check modes on Windows, where they say nothing about access', () => {
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, SECRETS_FILE), JSON.stringify({ version: 1, encryption: 'none', secrets: { office: 'pw' } }), { mode: 0o644 });
    expect(new SecretFile(dataDir, { platform: 'win32' }).get('office')).toBe('pw');
  });

  it('says what is wrong with a damaged file without quoting its contents', () => {
    mkdirSync(dataDir);
    const path = join(dataDir, SECRETS_FILE);
    writeFileSync(path, '{"version":1,"encryption":"none","secrets":{"office":"hunter2"', { mode: 0o600 });
    let message = '';
    try {
      new SecretFile(dataDir).get('office');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(`the secrets file ${path} is not valid JSON: fix it, or move it aside and set the secrets again`);
    expect(message).not.toContain('hunter2');
  });

  it('refuses a file of another version or with encrypted values rather than misreading it', () => {
    mkdirSync(dataDir);
    const path = join(dataDir, SECRETS_FILE);
    writeFileSync(path, JSON.stringify({ version: 2, encryption: 'none', secrets: {} }), { mode: 0o600 });
    expect(() => new SecretFile(dataDir).list()).toThrow('is not of version 1');
    writeFileSync(path, JSON.stringify({ version: 1, encryption: 'safeStorage', secrets: { office: 'djEw' } }), { mode: 0o600 });
    expect(() => new SecretFile(dataDir).get('office')).toThrow('does not say "encryption": "none"');
  });

  it('tells how to add a missing secret with the command line, naming the data directory', () => {
    expect(new SecretFile(dataDir).howToSet('office')).toBe(
      `add it with: npm run hub -- secret set office --data-dir ${dataDir} (the value is read from standard input)`,
    );
  });
});
