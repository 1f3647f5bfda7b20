import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { safeStorage as electronSafeStorage } from 'electron';
import { checkSecretName, readSecretsFile, writeSecretsFile, type SecretStore } from '../core/secrets.ts';

/** The desktop app's secrets, encrypted, in the user-data folder. */
export const SAFE_STORAGE_SECRETS_FILE = 'secrets.encrypted.json';

/** The part of Electron's safeStorage the store uses (tests pass a stand-in). */
export type SafeStorageLike = Pick<Electron.SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'>;

/**
 * The Electron shell's SecretStore: each value encrypted with safeStorage (Keychain on macOS, DPAPI on
 * Windows, the Secret Service or KWallet on Linux), kept as base64 in `<userData>/secrets.encrypted.json`
 * (mode 0600, written atomically).
 *
 * A secret is never kept in plain text: when encryption is not available, or on Linux when Electron
 * fell back to its `basic_text` backend (a fixed key, no keychain), `set` refuses and says why. Use it
 * after the app's `ready` event: before it, Linux has no keychain yet. It uses safeStorage's synchronous
 * calls because the port is synchronous (the hub resolves passwords in its constructor).
 */
export class SafeStorageSecretStore implements SecretStore {
  /** The encrypted secrets file's full path. */
  readonly path: string;
  readonly #dir: string;
  readonly #injected: SafeStorageLike | undefined;
  readonly #platform: NodeJS.Platform;

  constructor(userDataDir: string, options: { safeStorage?: SafeStorageLike; platform?: NodeJS.Platform } = {}) {
    this.#dir = userDataDir;
    this.path = join(userDataDir, SAFE_STORAGE_SECRETS_FILE);
    this.#injected = options.safeStorage;
    this.#platform = options.platform ?? process.platform;
  }

  get(name: string): string | undefined {
    const secrets = this.#read();
    if (!Object.hasOwn(secrets, name)) return undefined;
    const stored = secrets[name] as string;
    this.#requireEncryption(`the secret "${name}" cannot be decrypted`);
    try {
      return this.#safeStorage.decryptString(Buffer.from(stored, 'base64'));
    } catch (error) {
      throw new Error(
        `the secret "${name}" cannot be decrypted (${(error as Error).message}): the system keychain's key may have changed (a new user profile, a reset keychain or another Linux keyring); set the secret again`,
        { cause: error },
      );
    }
  }

  set(name: string, value: string): void {
    checkSecretName(name);
    this.#requireEncryption(`the secret "${name}" was not stored`);
    const encrypted = this.#safeStorage.encryptString(value).toString('base64');
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    writeSecretsFile(this.path, { encryption: 'safeStorage', secrets: { ...this.#read(), [name]: encrypted } });
  }

  delete(name: string): void {
    const secrets = this.#read();
    if (!Object.hasOwn(secrets, name)) return;
    delete secrets[name];
    writeSecretsFile(this.path, { encryption: 'safeStorage', secrets });
  }

  list(): string[] {
    return Object.keys(this.#read()).sort();
  }

  /** Electron's safeStorage is reached only when a secret is encrypted or decrypted, not at construction. */
  get #safeStorage(): SafeStorageLike {
    return this.#injected ?? electronSafeStorage;
  }

  #read(): Record<string, string> {
    // The values are ciphertext: the keychain, not the file mode, protects them.
    return { ...readSecretsFile(this.path, 'safeStorage', { ownerOnly: false })?.secrets };
  }

  /** Throws, saying what to do, unless safeStorage really encrypts. */
  #requireEncryption(consequence: string): void {
    if (this.#platform === 'linux') {
      const backend = this.#safeStorage.getSelectedStorageBackend();
      if (backend === 'basic_text') {
        throw new Error(
          `${consequence}: no system keychain was found (Electron's safeStorage fell back to "basic_text", which encrypts with a fixed key), and Pushdesk does not keep secrets in plain text. Install and unlock a Secret Service keyring (GNOME Keyring, KeePassXC) or KWallet, or start Pushdesk with --password-store=gnome-libsecret or --password-store=kwallet5; or use passwordFile or passwordEnv instead`,
        );
      }
      if (backend === 'unknown') throw new Error(`${consequence}: safeStorage was used before the app was ready`);
    }
    if (!this.#safeStorage.isEncryptionAvailable()) {
      throw new Error(
        `${consequence}: the system keychain is not available to Pushdesk (safeStorage reports no encryption), and Pushdesk does not keep secrets in plain text; use passwordFile or passwordEnv instead`,
      );
    }
  }
}
