import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/net.ts';

const CLI = fileURLToPath(new URL('../../electron/headless/cli.ts', import.meta.url));
const SECRET = 's3cret-Pa55word';

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the diagnostics bundle and the managed policy, with the real hub process', () => {
  let dir: string;
  let broker: Mosquitto;
  let hub: HubProcess;
  let configPath: string;
  let policyPath: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-diag-'));
    broker = await startMosquitto(join(dir, 'broker'));
    configPath = join(dir, 'config.json');
    policyPath = join(dir, 'policy.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        deviceId: 'diag-desk',
        heartbeat: { acIntervalSec: 45 },
        connections: [
          { id: 'plant', url: broker.url, subscriptions: [{ topic: 'alerts/#', channel: 'Alerts' }] },
          // A broker that is not there, with a password: a problem to report and a secret to keep out.
          { id: 'away', url: `mqtt://operator:${SECRET}@127.0.0.1:1`, password: SECRET, subscriptions: [{ topic: 'x', channel: 'X' }] },
        ],
      }),
    );
    writeFileSync(policyPath, JSON.stringify({ heartbeat: { acIntervalSec: 20 }, lock: ['heartbeat.acIntervalSec'] }));
    hub = await startHubProcess({ configPath, dataDir: join(dir, 'data'), extraArgs: ['--policy', policyPath] });
    const publisher = await mqtt.connectAsync(broker.url);
    await publisher.publishAsync('alerts/a', JSON.stringify({ id: 'd-1', title: 'Pump 1' }), { qos: 1 });
    await publisher.endAsync();
  }, 30_000);

  afterAll(async () => {
    await hub?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the locked heartbeat interval over the configuration and logs which value it replaced', async () => {
    const line = await waitFor('the policy warning', () => hub.output().split('\n').find((l) => l.includes('locked by the managed policy')), 10_000);
    expect(JSON.parse(line)).toMatchObject({ level: 'warn', setting: 'heartbeat.acIntervalSec', configured: '45', policy: '20' });
  });

  it('prints versions, the configuration without secrets, the policy, store figures, and the hub’s connections and problems', async () => {
    // The snapshot is written at start; wait for the one that shows the missing broker's failure.
    await waitFor('a failed connect attempt', () => (hub.output().includes('"connection":"away"') ? true : undefined), 10_000);
    await hub.stop();
    const result = await run(['diagnostics', '--data-dir', join(dir, 'data'), '--config', configPath, '--policy', policyPath]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(SECRET);
    const bundle = JSON.parse(result.stdout) as {
      versions: Record<string, string>;
      configuration: { heartbeat: { acIntervalSec: number }; connections: { url: string; password?: string }[] };
      policy: { source: string; locked: string[] };
      store: { messages: number; schemaVersion: number; channels: { channel: string }[] };
      hub: { deviceId: string; connections: { id: string; heartbeat: { reason: string; intervalSec: number } }[]; recentProblems: { level: string; message: string }[] };
    };
    expect(bundle.versions.node).toBe(process.versions.node);
    expect(bundle.versions.pushdesk).toMatch(/^\d+\.\d+\.\d+/);
    expect(bundle.configuration.heartbeat.acIntervalSec).toBe(20);
    expect(bundle.configuration.connections[1]?.password).toBe('(removed)');
    expect(bundle.configuration.connections[1]?.url).toBe('mqtt://operator:(removed)@127.0.0.1:1');
    expect(bundle.policy).toMatchObject({ source: policyPath, locked: ['heartbeat.acIntervalSec'] });
    expect(bundle.store).toMatchObject({ messages: 1, channels: [{ channel: 'Alerts', unread: 1, total: 1 }] });
    expect(bundle.hub.deviceId).toBe('diag-desk');
    const plant = bundle.hub.connections.find((c) => c.id === 'plant');
    expect(plant?.heartbeat).toMatchObject({ intervalSec: 20, reason: 'AC power, 20 s' });
    expect(bundle.hub.recentProblems.some((p) => p.level === 'warn' && /mqtt connection error/.test(p.message))).toBe(true);
  });

  it('still gives a bundle when the configuration is broken, saying what is wrong', async () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"connections": [');
    const result = await run(['diagnostics', '--data-dir', join(dir, 'data'), '--config', broken]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('not valid JSON');
    expect((JSON.parse(result.stdout) as { configuration: unknown }).configuration).toEqual({ missing: 'no configuration given (--config)' });
  });

  it('starts with the configuration alone when the policy is invalid, and says why with the field', async () => {
    const bad = join(dir, 'bad-policy.json');
    writeFileSync(bad, JSON.stringify({ heartbeat: { acIntervalSec: 'fast' }, lock: ['heartbeat'] }));
    const second = await startHubProcess({ configPath, dataDir: join(dir, 'data2'), extraArgs: ['--policy', bad] });
    try {
      const line = await waitFor('the policy error', () => second.output().split('\n').find((l) => l.includes('managed policy was not applied')), 10_000);
      expect(JSON.parse(line)).toMatchObject({ level: 'error' });
      expect(line).toContain('heartbeat.acIntervalSec');
    } finally {
      await second.stop();
    }
  });
});
