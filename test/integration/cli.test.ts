import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../helpers/net.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a script of the headless shell to its end; returns exit code and output. */
function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run hub: the command line', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops on an invalid configuration with a message naming each bad field, and prints no address', async () => {
    const config = join(dir, 'bad.json');
    writeFileSync(
      config,
      JSON.stringify({ connections: [{ id: 'x', url: 'http://broker', subscriptions: [{ topic: 'a', qos: 3, channel: 'A' }], colour: 'red' }] }),
    );
    const result = await run('electron/headless/cli.ts', ['--config', config, '--data-dir', join(dir, 'data')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`invalid configuration in ${config}`);
    expect(result.stderr).toContain('connections[0].url: must be a URL starting with mqtt://, mqtts://, ws:// or wss://');
    expect(result.stderr).toContain('connections[0].subscriptions[0].qos: must be 0, 1 or 2');
    expect(result.stderr).toContain('connections[0]: unknown field(s) "colour"');
  });

  it('says which option is missing', async () => {
    const result = await run('electron/headless/cli.ts', ['--config', join(dir, 'nothing.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--config and --data-dir are required');
  });

  it('names a configuration file that is not JSON', async () => {
    const config = join(dir, 'broken.json');
    writeFileSync(config, '{ "connections": [ }');
    const result = await run('electron/headless/cli.ts', ['--config', config, '--data-dir', join(dir, 'data')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not valid JSON/);
  });
});

describe('npm run demo', () => {
  it('starts a broker, a publisher and the hub, and the UI address serves messages that arrive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushdesk-demo-'));
    const child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(ROOT, 'electron/headless/demo.ts'), '--interval-ms', '200', '--data-dir', join(dir, 'data')],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'disabled:' } },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const url = new URL(await waitFor('the demo UI address', () => /Pushdesk UI: (\S+)/.exec(out)?.[1], 20_000));
      const cookie = `pushdesk_${url.port}=${url.searchParams.get('token') ?? ''}`;
      const ws = new WebSocket(`ws://${url.host}/ws`, { headers: { Origin: url.origin, Cookie: cookie } });
      const replies: { id: number; value?: { messages: { title: string }[] } }[] = [];
      ws.on('message', (data) => replies.push(JSON.parse(data.toString())));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      let id = 0;
      const titles = await waitFor(
        'demo messages in history',
        () => {
          ws.send(JSON.stringify({ type: 'call', id: ++id, method: 'listMessages', args: { limit: 10 } }));
          const last = replies.filter((r) => r.value?.messages).at(-1);
          return last && (last.value?.messages.length ?? 0) >= 3 ? last.value?.messages.map((m) => m.title) : undefined;
        },
        15_000,
        200,
      );
      ws.close();
      expect(titles.length).toBeGreaterThanOrEqual(3);
      expect(titles.some((t) => /Build failed|Disk almost full|Pump P-104/.test(t))).toBe(true);
    } finally {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
    }
    expect(child.exitCode).toBe(0); // SIGTERM shuts the broker, publisher and hub down cleanly
  });
});
