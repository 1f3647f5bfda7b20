import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForPort } from './net.ts';
import { requireProgram } from './programs.ts';

/** A mosquitto broker started by a test on a free loopback port. */
export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  /** Stops with SIGTERM (the broker saves its persistent state). */
  stop(): Promise<void>;
  /** Starts again on the same port with the same persistence. */
  restart(): Promise<void>;
  /** Starts a stopped broker again (same port, same persistence). */
  start(): Promise<void>;
}

/**
 * Starts mosquitto with persistence in `dir`; `extraConfig` lines are appended to its configuration.
 *
 * The configuration says `user root`: without it mosquitto, started as root, switches users and then
 * silently fails to write its persistence file in a folder only root can write.
 */
export async function startMosquitto(dir: string, options: { extraConfig?: readonly string[] } = {}): Promise<Mosquitto> {
  const binary = requireProgram('mosquitto', 'mosquitto');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir}/`,
      'autosave_interval 1',
      'max_queued_messages 100000',
      'user root',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn(binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => {
      if (code && code !== 0) process.stderr.write(`mosquitto exited with ${code}: ${stderr}\n`);
    });
    await waitForPort(port);
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  };
  await launch();
  return { port, url: `mqtt://127.0.0.1:${port}`, stop, start: launch, restart: async () => (await stop(), launch()) };
}
