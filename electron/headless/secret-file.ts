import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkSecretName, readSecretsFile, writeSecretsFile, type SecretStore } from '../core/secrets.ts';

/** The headless shell's secrets, in the data directory. */
export const SECRETS_FILE = 'secrets.json';

/**
 * The headless shell's SecretStore: `<dataDir>/secrets.json`, readable only by the user running the hub.
 *
 * There is no keychain to encrypt with under plain Node, so the values are kept as they are and the file
 * is protected by its permissions: written atomically with mode 0600 in a data directory of mode 0700,
 * and refused at read when group or other users may read or change it (the error says: chmod 600).
 * The file is read at each call, so a `secret set` from the command line is seen by the next start.
 * On Windows, modes say nothing about access and are not checked.
 */
export class SecretFile implements SecretStore {
  /** The secrets file's full path. */
  readonly path: string;
  readonly #dataDir: string;
  readonly #ownerOnly: boolean;

  constructor(dataDir: string, options: { platform?: NodeJS.Platform } = {}) {
    this.#dataDir = dataDir;
    this.path = join(dataDir, SECRETS_FILE);
    this.#ownerOnly = (options.platform ?? process.platform) !== 'win32';
  }

  get(name: string): string | undefined {
    const secrets = this.#read();
    return Object.hasOwn(secrets, name) ? secrets[name] : undefined;
  }

  set(name: string, value: string): void {
    checkSecretName(name);
    this.#prepareDir();
    this.#write({ ...this.#read(), [name]: value });
  }

  delete(name: string): void {
    const secrets = this.#read();
    if (!Object.hasOwn(secrets, name)) return;
    delete secrets[name];
    this.#write(secrets);
  }

  list(): string[] {
    return Object.keys(this.#read()).sort();
  }

  howToSet(name: string): string {
    return `add it with: npm run hub -- secret set ${name} --data-dir ${this.#dataDir} (the value is read from standard input)`;
  }

  #read(): Record<string, string> {
    return { ...readSecretsFile(this.path, 'none', { ownerOnly: this.#ownerOnly })?.secrets };
  }

  #write(secrets: Record<string, string>): void {
    writeSecretsFile(this.path, { encryption: 'none', secrets });
  }

  /** Creates the data directory with mode 0700, or narrows an existing one of ours to 0700. */
  #prepareDir(): void {
    const created = mkdirSync(this.#dataDir, { recursive: true, mode: 0o700 }) !== undefined;
    if (!this.#ownerOnly) return;
    const stat = statSync(this.#dataDir);
    // A new folder is exactly 0700 whatever the umask; in an existing looser one others could list or
    // replace files, so it is narrowed, unless it belongs to someone else.
    if (created || ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.())) chmodSync(this.#dataDir, 0o700);
  }
}
