import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../electron/core/config/config-schema.ts';
import { ConfigError, parseConfig, resolvePassword } from '../../electron/core/config/load-config.ts';
import { buildDiagnostics, problemRecorder, redact, SNAPSHOT_FILE } from '../../electron/core/diagnostics.ts';
import { Hub } from '../../electron/core/hub.ts';
import { createJsonLogger } from '../../electron/core/logger.ts';
import { MemorySecretStore, type SecretStore } from '../../electron/core/secrets.ts';
import { secretStoreContract } from './secrets-store-contract.ts';

/**
 * `passwordSecret`: a connection's secret named in the configuration and kept by the shell's
 * SecretStore, resolved at start, and kept out of logs and the diagnostics bundle.
 */

const VALUE = 'Corr3ct-H0rse-Battery';

function mqttConnection(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'office', url: 'mqtt://127.0.0.1:1', subscriptions: [{ topic: 'alerts/#', channel: 'Alerts' }], ...overrides };
}

function ntfyConnection(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'phone', kind: 'ntfy', url: 'https://ntfy.example.com', subscriptions: [{ topic: 'alerts', channel: 'Alerts' }], ...overrides };
}

function problemsOf(value: unknown): readonly string[] {
  try {
    parseConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('parseConfig accepted the configuration');
}

function only(overrides: Record<string, unknown>): ConnectionConfig {
  const [first] = parseConfig({ connections: [mqttConnection(overrides)] }).connections;
  if (!first) throw new Error('no connection');
  return first;
}

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('no ConfigError was thrown');
}

secretStoreContract('MemorySecretStore', () => {
  const store = new MemorySecretStore();
  return { open: () => store };
});

describe('passwordSecret in the configuration', () => {
  it('is accepted for MQTT and ntfy connections, and gives ntfy a username its password', () => {
    const config = parseConfig({
      connections: [mqttConnection({ username: 'desk', passwordSecret: 'office-mqtt' }), ntfyConnection({ username: 'me', passwordSecret: 'ntfy.password' })],
    });
    expect(config.connections.map((c) => c.passwordSecret)).toEqual(['office-mqtt', 'ntfy.password']);
  });

  it.each([
    ['password', { password: 'p' }],
    ['passwordFile', { passwordFile: '/run/secret' }],
    ['passwordEnv', { passwordEnv: 'MQTT_PASSWORD' }],
  ])('may not be given together with %s', (_label, fields) => {
    expect(problemsOf({ connections: [mqttConnection({ passwordSecret: 'office', ...fields })] })).toEqual([
      'connections[0].password: give at most one of password, passwordFile, passwordEnv and passwordSecret',
    ]);
  });

  it('must be a name, not a path or the secret itself', () => {
    expect(problemsOf({ connections: [mqttConnection({ passwordSecret: '../etc/shadow' })] })).toEqual([
      'connections[0].passwordSecret: must be 1 to 64 letters, digits, dot, dash or underscore, starting with a letter or digit',
    ]);
  });

  it('counts as the password an ntfy username needs, and the message lists it', () => {
    expect(problemsOf({ connections: [ntfyConnection({ username: 'me' })] })).toEqual([
      'connections[0].username: a username needs a password (password, passwordFile, passwordEnv or passwordSecret)',
    ]);
  });
});

describe('resolvePassword with passwordSecret', () => {
  it('returns the value the store keeps under the name', () => {
    const secrets = new MemorySecretStore({ 'office-mqtt': VALUE });
    expect(resolvePassword(only({ passwordSecret: 'office-mqtt' }), {}, secrets)).toBe(VALUE);
  });

  it('names the connection and the secret when the store has no such secret, and says how to add it', () => {
    const secrets: SecretStore = { ...methodsOf(new MemorySecretStore()), howToSet: (name) => `add it with: set ${name}` };
    const error = configErrorOf(() => resolvePassword(only({ passwordSecret: 'office-mqtt' }), {}, secrets));
    expect(error.message).toBe(
      'invalid configuration in connection "office":\n  - passwordSecret: no secret named "office-mqtt" is stored; add it with: set office-mqtt',
    );
  });

  it('passes on why the store could not be read, naming connection and secret', () => {
    const secrets: SecretStore = {
      ...methodsOf(new MemorySecretStore()),
      get: () => {
        throw new Error('the secrets file /d/secrets.json may be read or changed by other users (mode 0644); make it private with: chmod 600 /d/secrets.json');
      },
    };
    const error = configErrorOf(() => resolvePassword(only({ passwordSecret: 'office-mqtt' }), {}, secrets));
    expect(error.problems).toEqual([
      'passwordSecret: cannot read the secret "office-mqtt": the secrets file /d/secrets.json may be read or changed by other users (mode 0644); make it private with: chmod 600 /d/secrets.json',
    ]);
  });

  it('is a clear error in a shell that has no secret store', () => {
    const error = configErrorOf(() => resolvePassword(only({ passwordSecret: 'office-mqtt' }), {}));
    expect(error.problems).toEqual(['passwordSecret: the secret "office-mqtt" cannot be looked up: this shell was started without a secret store']);
  });
});

/** A store's methods as plain properties, so a test can replace one. */
function methodsOf(store: SecretStore): SecretStore {
  return { get: (n) => store.get(n), set: (n, v) => store.set(n, v), delete: (n) => store.delete(n), list: () => store.list() };
}

describe('the hub and passwordSecret', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to start, before opening its data directory, when a referenced secret is missing', () => {
    const dataDir = join(dir, 'data');
    const error = configErrorOf(
      () =>
        new Hub({
          config: parseConfig({ connections: [mqttConnection({ passwordSecret: 'office-mqtt' })] }),
          dataDir,
          notifier: { show() {} },
          logger: createJsonLogger(() => {}),
          secrets: new MemorySecretStore({ other: 'x' }),
        }),
    );
    expect(error.message).toContain('connection "office"');
    expect(error.message).toContain('no secret named "office-mqtt"');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('keeps a stored secret out of the log, the snapshot and the diagnostics bundle', async () => {
    const dataDir = join(dir, 'data');
    const lines: string[] = [];
    const secrets = new MemorySecretStore({ 'office-mqtt': VALUE });
    const config = parseConfig({
      deviceId: 'secret-desk',
      connections: [mqttConnection({ username: 'desk', passwordSecret: 'office-mqtt', reconnect: { baseMs: 20, capMs: 100 } })],
    });
    const hub = new Hub({ config, dataDir, notifier: { show() {} }, logger: createJsonLogger((line) => lines.push(line)), secrets });
    hub.start();
    // Nothing listens on port 1: the connection fails and the failure is logged and kept for diagnostics.
    await expect.poll(() => lines.some((l) => l.includes('"connection":"office"')), { timeout: 10_000 }).toBe(true);
    await hub.stop();
    // A secrets file of either shell sitting in the data directory must not be picked up either.
    writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify({ version: 1, encryption: 'none', secrets: { 'office-mqtt': VALUE } }), { mode: 0o600 });
    const bundle = JSON.stringify(buildDiagnostics({ dataDir, config, appVersion: 'test' }));
    expect(lines.join('')).not.toContain(VALUE);
    expect(readFileSync(join(dataDir, SNAPSHOT_FILE), 'utf8')).not.toContain(VALUE);
    expect(bundle).not.toContain(VALUE);
    expect(bundle).not.toContain('secrets.json');
    // The bundle still shows that the connection takes its password from a stored secret.
    expect((JSON.parse(bundle) as { configuration: { connections: Record<string, unknown>[] } }).configuration.connections[0]).toMatchObject({
      username: 'desk',
      passwordSecret: '(removed)',
    });
  });
});

describe('redact and the recorded problems', () => {
  it('removes passwordSecret and every inline secret, and keeps file and variable names', () => {
    const redacted = redact({ password: VALUE, passwordSecret: 'office-mqtt', passwordFile: '/etc/pw', passwordEnv: 'PW', tls: { keyPassphraseEnv: 'KP' } });
    expect(redacted).toEqual({ password: '(removed)', passwordSecret: '(removed)', passwordFile: '/etc/pw', passwordEnv: 'PW', tls: { keyPassphraseEnv: 'KP' } });
  });

  it('keeps a secret logged by mistake under a secret-like field out of the problems kept for diagnostics', () => {
    const { logger, problems } = problemRecorder(createJsonLogger(() => {}));
    logger.warn('oops', { secret: VALUE, passwordSecret: VALUE, token: VALUE });
    expect(JSON.stringify(problems())).not.toContain(VALUE);
  });
});

describe('the data directory', () => {
  it('holds no secret after a hub with a stored secret ran in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushdesk-secrets-dir-'));
    try {
      const dataDir = join(dir, 'data');
      mkdirSync(dataDir, { mode: 0o700 });
      const hub = new Hub({
        config: parseConfig({ deviceId: 'd', connections: [mqttConnection({ passwordSecret: 'office-mqtt', reconnect: { baseMs: 60_000, capMs: 60_000 } })] }),
        dataDir,
        notifier: { show() {} },
        logger: createJsonLogger(() => {}),
        secrets: new MemorySecretStore({ 'office-mqtt': VALUE }),
      });
      hub.start();
      await hub.stop();
      for (const file of readdirSync(dataDir)) expect(readFileSync(join(dataDir, file)).includes(VALUE), file).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('redact: credentials in URLs', () => {
  it.each([
    ['mqtt://operator:s3cret@127.0.0.1:1', 'mqtt://operator:(removed)@127.0.0.1:1'],
    ['https://:tk_secret@ntfy.example/x', 'https://:(removed)@ntfy.example/x'],
    ['mqtt://bob:p@ss@broker:1883', 'mqtt://bob:(removed)@broker:1883'],
    ['wss://ntfy.example/ws?auth=QmFzaWM&x=1', 'wss://ntfy.example/ws?auth=(removed)&x=1'],
    ['https://tok123@host/', 'https://(removed)@host/'],
    ['in a sentence mqtt://u:pw@h:1 too', 'in a sentence mqtt://u:(removed)@h:1 too'],
    ['mqtt://broker.local:1883', 'mqtt://broker.local:1883'],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });
});
