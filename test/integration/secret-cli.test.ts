import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubProcess } from '../helpers/hub-process.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { requireProgram } from '../helpers/programs.ts';

/**
 * `npm run hub -- secret ...` (the real CLI, as a child process) and a hub that takes its broker
 * password from the secrets file it wrote, against a mosquitto that requires the password.
 */

const CLI = fileURLToPath(new URL('../../electron/headless/cli.ts', import.meta.url));
const SECRET = 'Tr0ub4dor&3-secret-cli';

/** Runs the CLI to its end with `stdin` written to its standard input (then closed). */
function run(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe.skipIf(process.platform === 'win32')('npm run hub -- secret, and a hub using passwordSecret', () => {
  let dir: string;
  let dataDir: string;
  let broker: Mosquitto;
  let configPath: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-secret-cli-'));
    dataDir = join(dir, 'data');
    mkdirSync(join(dir, 'broker'));
    const passwords = join(dir, 'broker', 'passwords');
    writeFileSync(passwords, '');
    execFileSync(requireProgram('mosquitto_passwd', 'mosquitto'), ['-b', passwords, 'desk', SECRET]);
    execFileSync(requireProgram('mosquitto_passwd', 'mosquitto'), ['-b', passwords, 'publisher', 'pub']);
    broker = await startMosquitto(join(dir, 'broker'), { extraConfig: ['allow_anonymous false', `password_file ${passwords}`] });
    configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        deviceId: 'secret-desk',
        connections: [{ id: 'office', url: broker.url, username: 'desk', passwordSecret: 'office-mqtt', subscriptions: [{ topic: 'inbox/#', channel: 'Inbox' }] }],
      }),
    );
  });

  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('will not start while the referenced secret is missing, and says which connection, which secret and how to add it', async () => {
    const result = await run(['--config', configPath, '--data-dir', dataDir]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `pushdesk: invalid configuration in connection "office":\n  - passwordSecret: no secret named "office-mqtt" is stored; add it with: npm run hub -- secret set office-mqtt --data-dir ${dataDir} (the value is read from standard input)\n`,
    );
  });

  it('refuses a value given on the command line without storing or repeating it', async () => {
    const result = await run(['secret', 'set', 'office-mqtt', SECRET, '--data-dir', dataDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('secret set takes the value on standard input, not on the command line, where other users could see it (ps): nothing was stored');
    expect(result.stderr).not.toContain(SECRET);
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(false);
  });

  it('refuses an empty standard input', async () => {
    const result = await run(['secret', 'set', 'office-mqtt', '--data-dir', dataDir], '');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('pushdesk secret: the value on standard input is empty: nothing was stored\n');
  });

  it('stores the value read from standard input in an owner-only file, without printing it', async () => {
    const result = await run(['secret', 'set', 'office-mqtt', '--data-dir', dataDir], `${SECRET}\n`);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`pushdesk secret: stored "office-mqtt" in ${join(dataDir, 'secrets.json')} (readable only by this user)\n`);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    // One final line break (from echo or a here-string) is not part of the secret.
    expect(JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'))).toMatchObject({ secrets: { 'office-mqtt': SECRET } });
  });

  it('lists the names only', async () => {
    await run(['secret', 'set', 'spare', '--data-dir', dataDir], 'spare-value');
    const result = await run(['secret', 'list', '--data-dir', dataDir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('office-mqtt\nspare\n');
    expect(result.stdout + result.stderr).not.toContain(SECRET);
  });

  it('connects with the stored secret, and neither its log nor the diagnostics bundle shows it', async () => {
    // A retained message reaches the hub only if the broker accepted its user name and password.
    const publisher = await mqtt.connectAsync(broker.url, { username: 'publisher', password: 'pub' });
    await publisher.publishAsync('inbox/hello', JSON.stringify({ id: 'hello-1', title: 'Signed in' }), { qos: 1, retain: true });
    await publisher.endAsync();
    const hub = await startHubProcess({ configPath, dataDir });
    try {
      await expect.poll(async () => (await run(['export', '--data-dir', dataDir])).stdout, { timeout: 15_000, interval: 200 }).toContain('Signed in');
    } finally {
      await hub.stop();
    }
    expect(hub.output()).not.toContain(SECRET);
    const diagnostics = await run(['diagnostics', '--data-dir', dataDir, '--config', configPath]);
    expect(diagnostics.code).toBe(0);
    expect(diagnostics.stdout).not.toContain(SECRET);
    const bundle = JSON.parse(diagnostics.stdout) as { configuration: { connections: Record<string, unknown>[] } };
    expect(bundle.configuration.connections[0]).toMatchObject({ username: 'desk', passwordSecret: '(removed)' });
  });

  it('refuses to start when the secrets file became readable by others, naming the fix', async () => {
    const file = join(dataDir, 'secrets.json');
    chmodSync(file, 0o644);
    try {
      const result = await run(['--config', configPath, '--data-dir', dataDir]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('passwordSecret: cannot read the secret "office-mqtt"');
      expect(result.stderr).toContain(`may be read or changed by other users (mode 0644); make it private with: chmod 600 ${file}`);
      const list = await run(['secret', 'list', '--data-dir', dataDir]);
      expect(list.code).toBe(1);
      expect(list.stderr).toContain(`chmod 600 ${file}`);
    } finally {
      chmodSync(file, 0o600);
    }
  });

  it('deletes a secret, and says so when there is none to delete', async () => {
    const deleted = await run(['secret', 'delete', 'spare', '--data-dir', dataDir]);
    expect(deleted.code).toBe(0);
    expect((await run(['secret', 'list', '--data-dir', dataDir])).stdout).toBe('office-mqtt\n');
    const again = await run(['secret', 'delete', 'spare', '--data-dir', dataDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`pushdesk secret: no secret named "spare" in ${join(dataDir, 'secrets.json')}\n`);
  });

  it('names the rule for a secret name that cannot be used', async () => {
    const result = await run(['secret', 'set', '../x', '--data-dir', dataDir], 'value');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('pushdesk secret: the secret name "../x" must be 1 to 64 letters, digits, dot, dash or underscore, starting with a letter or digit\n');
  });
});
