import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './net.ts';

const CLI = fileURLToPath(new URL('../../electron/headless/cli.ts', import.meta.url));

/** The headless hub (`npm run hub`) running as a child process. */
export interface HubProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
  /** SIGKILL: no chance to flush or close anything. */
  kill(): Promise<void>;
}

/** Starts the hub with the same Node that runs the tests, and waits for the UI address line. */
export async function startHubProcess(options: {
  configPath: string;
  dataDir: string;
  env?: Record<string, string>;
  /** More command-line arguments (--policy, --port). */
  extraArgs?: readonly string[];
}): Promise<HubProcess> {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', CLI, '--config', options.configPath, '--data-dir', options.dataDir, ...(options.extraArgs ?? [])],
    { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const url = await waitFor("the hub's UI address", () => {
    if (child.exitCode !== null) throw new Error(`the hub exited with ${child.exitCode}: ${err}`);
    return /Pushdesk UI: (\S+)/.exec(out)?.[1];
  }, 20_000).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; its stderr: ${err.slice(0, 1000)}`, { cause: error });
  });
  const end = (signal: NodeJS.Signals) => async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  };
  return { url, child, output: () => out + err, stop: end('SIGTERM'), kill: end('SIGKILL') };
}
