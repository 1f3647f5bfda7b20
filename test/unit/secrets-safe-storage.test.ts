import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SAFE_STORAGE_SECRETS_FILE, SafeStorageSecretStore } from '../../electron/main/secret-store.ts';
import { secretStoreContract } from './secrets-store-contract.ts';

/**
 * The Electron shell's secrets, against a stand-in for safeStorage (this machine has no Electron
 * binary and no keychain). The stand-in "encrypts" by reversing and prefixing the bytes, so a test can
 * tell ciphertext from the value; it can be switched to report no encryption, or Linux's basic_text.
 */
const keychain = vi.hoisted(() => ({
  available: true,
  backend: 'gnome_libsecret' as 'basic_text' | 'gnome_libsecret' | 'kwallet5' | 'unknown',
  encrypted: 0,
  brokenKey: false,
}));

vi.mock('electron', () => ({
  safeStorage: {
    isEncryptionAvailable: () => keychain.available,
    getSelectedStorageBackend: () => keychain.backend,
    encryptString: (plain: string): Buffer => {
      if (!keychain.available) throw new Error('Error while encrypting the text provided to safeStorage.encryptString. Encryption is not available.');
      keychain.encrypted++;
      return Buffer.concat([Buffer.from('v11'), Buffer.from(plain, 'utf8').reverse()]);
    },
    decryptString: (encrypted: Buffer): string => {
      if (keychain.brokenKey || encrypted.subarray(0, 3).toString() !== 'v11') {
        throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      }
      return Buffer.from(encrypted.subarray(3)).reverse().toString('utf8');
    },
  },
}));

const VALUE = 'tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2';

function reset(): void {
  Object.assign(keychain, { available: true, backend: 'gnome_libsecret', encrypted: 0, brokenKey: false });
}

secretStoreContract('SafeStorageSecretStore (Electron)', () => {
  reset();
  const dir = mkdtempSync(join(tmpdir(), 'pushdesk-safe-storage-'));
  return { open: () => new SafeStorageSecretStore(join(dir, 'user-data'), { platform: 'linux' }), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
});

describe('SafeStorageSecretStore', () => {
  let dir: string;
  beforeEach(() => {
    reset();
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-safe-storage-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps only safeStorage ciphertext, base64, in the user-data folder, never the value', () => {
    const store = new SafeStorageSecretStore(dir, { platform: 'linux' });
    store.set('ntfy-token', VALUE);
    const text = readFileSync(join(dir, SAFE_STORAGE_SECRETS_FILE), 'utf8');
    expect(keychain.encrypted).toBe(1);
    expect(text).not.toContain(VALUE);
    const file = JSON.parse(text) as { version: number; encryption: string; secrets: Record<string, string> };
    expect(file).toMatchObject({ version: 1, encryption: 'safeStorage' });
    expect(Buffer.from(file.secrets['ntfy-token'] ?? '', 'base64').subarray(0, 3).toString()).toBe('v11');
    expect(store.get('ntfy-token')).toBe(VALUE);
  });

  it.skipIf(process.platform === 'win32')('writes the file with mode 0600', () => {
    new SafeStorageSecretStore(dir, { platform: 'darwin' }).set('office', 'pw');
    expect(statSync(join(dir, SAFE_STORAGE_SECRETS_FILE)).mode & 0o777).toBe(0o600);
  });

  it('refuses to store when encryption is not available, rather than keeping plain text', () => {
    keychain.available = false;
    const store = new SafeStorageSecretStore(dir, { platform: 'win32' });
    expect(() => store.set('office', VALUE)).toThrow(
      'the secret "office" was not stored: the system keychain is not available to Pushdesk (safeStorage reports no encryption), and Pushdesk does not keep secrets in plain text; use passwordFile or passwordEnv instead',
    );
    expect(existsSync(join(dir, SAFE_STORAGE_SECRETS_FILE))).toBe(false);
  });

  it('refuses to store on Linux when Electron fell back to basic_text, and says how to get a keychain', () => {
    keychain.backend = 'basic_text';
    const store = new SafeStorageSecretStore(dir, { platform: 'linux' });
    let message = '';
    try {
      store.set('office', VALUE);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^the secret "office" was not stored: no system keychain was found \(Electron's safeStorage fell back to "basic_text"/);
    expect(message).toContain('--password-store=gnome-libsecret');
    expect(keychain.encrypted).toBe(0);
    expect(existsSync(join(dir, SAFE_STORAGE_SECRETS_FILE))).toBe(false);
  });

  it('ignores the Linux backend on other systems', () => {
    keychain.backend = 'unknown';
    const store = new SafeStorageSecretStore(dir, { platform: 'darwin' });
    store.set('office', 'pw');
    expect(store.get('office')).toBe('pw');
  });

  it('refuses to use safeStorage on Linux before the app is ready', () => {
    keychain.backend = 'unknown';
    expect(() => new SafeStorageSecretStore(dir, { platform: 'linux' }).set('office', 'pw')).toThrow('safeStorage was used before the app was ready');
  });

  it('says to set the secret again when the keychain can no longer decrypt it, without the value', () => {
    const store = new SafeStorageSecretStore(dir, { platform: 'linux' });
    store.set('office', VALUE);
    keychain.brokenKey = true;
    let message = '';
    try {
      store.get('office');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^the secret "office" cannot be decrypted \(Error while decrypting.*\): the system keychain's key may have changed.*set the secret again$/);
    expect(message).not.toContain(VALUE);
  });

  it('lists and deletes without the keychain: names are not secret', () => {
    const store = new SafeStorageSecretStore(dir, { platform: 'linux' });
    store.set('office', 'pw');
    keychain.available = false;
    expect(store.list()).toEqual(['office']);
    store.delete('office');
    expect(store.list()).toEqual([]);
  });

  it('keeps its file apart from the headless shell\'s plain secrets.json, which may share the folder', () => {
    expect(new SafeStorageSecretStore(dir, { platform: 'linux' }).path).toBe(join(dir, 'secrets.encrypted.json'));
  });
});
