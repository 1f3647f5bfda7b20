import { writeFileAtomically } from './atomic-file.ts';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';

/**
 * Where a shell keeps secrets (passwords, access tokens) by name, outside the configuration file.
 *
 * A connection refers to one with `passwordSecret: "<name>"`. The Electron shell encrypts them with the
 * operating system's keychain (safeStorage); the headless shell keeps them in a file only its user may
 * read. Every method throws an Error a person can act on when the store cannot be used (no keychain, a
 * file other users can read); no message, error or log line ever carries a secret's value.
 */
export interface SecretStore {
  /** The value kept under `name`, or undefined when there is none. */
  get(name: string): string | undefined;
  /** Keeps `value` under `name`, replacing any earlier value; durable when it returns. */
  set(name: string, value: string): void;
  /** Forgets `name`; nothing happens when there is no such secret. */
  delete(name: string): void;
  /** The names kept, sorted; never the values. */
  list(): string[];
  /** How a person adds the secret `name` to this store: ends the error a missing secret gives. */
  howToSet?(name: string): string;
}

/** What a secret's name may be: the same shape as a connection id. */
export const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Why a name was refused, in the words of the configuration errors. */
export const SECRET_NAME_RULE = 'must be 1 to 64 letters, digits, dot, dash or underscore, starting with a letter or digit';

/**
 * Throws unless `name` can name a secret.
 *
 * @throws Error naming the rule.
 */
export function checkSecretName(name: string): void {
  if (!SECRET_NAME.test(name)) throw new Error(`the secret name "${name}" ${SECRET_NAME_RULE}`);
}

/**
 * Secrets in memory only: for tests, and for a shell that must not keep anything on disk.
 */
export class MemorySecretStore implements SecretStore {
  readonly #values = new Map<string, string>();

  constructor(initial: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(initial)) this.set(name, value);
  }

  get(name: string): string | undefined {
    return this.#values.get(name);
  }

  set(name: string, value: string): void {
    checkSecretName(name);
    this.#values.set(name, value);
  }

  delete(name: string): void {
    this.#values.delete(name);
  }

  list(): string[] {
    return [...this.#values.keys()].sort();
  }
}

/** The version written in a secrets file; a file of another version is refused, not overwritten. */
const SECRETS_FILE_VERSION = 1;

/**
 * The contents of a secrets file: `{ "version": 1, "encryption": ..., "secrets": { name: value } }`.
 *
 * `encryption` says what the values are: "none" (the headless file, values as they are) or
 * "safeStorage" (the Electron file, base64 of the keychain-encrypted bytes).
 */
export interface SecretsFileContents {
  readonly encryption: 'none' | 'safeStorage';
  readonly secrets: Readonly<Record<string, string>>;
}

/**
 * Reads a secrets file; undefined when it does not exist.
 *
 * With `ownerOnly`, a file that group or other users may read or change is refused before a byte is
 * read: the error names the fix (chmod 600). The mode is checked on the open file, so the file cannot
 * be swapped between the check and the read. Errors never quote the file's contents (a JSON parser's
 * message would).
 *
 * @throws Error when the file cannot be read, is not private enough, or is not a secrets file of `encryption`.
 */
export function readSecretsFile(
  path: string,
  encryption: SecretsFileContents['encryption'],
  options: { ownerOnly: boolean },
): SecretsFileContents | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the secrets file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  let text: string;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`the secrets file ${path} is not a regular file`);
    if (options.ownerOnly && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new Error(`the secrets file ${path} may be read or changed by other users (mode ${mode}); make it private with: chmod 600 ${path}`);
    }
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const broken = (why: string): Error =>
    new Error(`the secrets file ${path} ${why}: fix it, or move it aside and set the secrets again`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw broken('is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw broken('does not hold a JSON object');
  const { version, encryption: found, secrets } = value as Record<string, unknown>;
  if (version !== SECRETS_FILE_VERSION) throw broken(`is not of version ${SECRETS_FILE_VERSION}, the one this Pushdesk reads`);
  if (found !== encryption) throw broken(`does not say "encryption": "${encryption}"`);
  if (secrets === null || typeof secrets !== 'object' || Array.isArray(secrets)) throw broken('has no "secrets" object');
  const out: Record<string, string> = {};
  for (const [name, item] of Object.entries(secrets)) {
    if (typeof item !== 'string') throw broken(`holds a value for "${name}" that is not a string`);
    out[name] = item;
  }
  return { encryption, secrets: out };
}

/**
 * Writes a secrets file atomically with mode 0600: a reader sees the old file or the new one, never half
 * of one, and a crash leaves no readable temporary copy behind for longer than the write.
 *
 * The temporary file is created exclusively (never through an existing file or link) beside the target.
 */
export function writeSecretsFile(path: string, contents: SecretsFileContents): void {
  const sorted = Object.fromEntries(Object.entries(contents.secrets).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  writeFileAtomically(path, `${JSON.stringify({ version: SECRETS_FILE_VERSION, encryption: contents.encryption, secrets: sorted }, null, 2)}\n`);
}
