import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startDesktopSession } from '../helpers/desktop-session.ts';
import { findElectronBinary } from '../helpers/electron-binary.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { requireProgram } from '../helpers/programs.ts';

const binary = findElectronBinary();
const MAIN = fileURLToPath(new URL('../../out/main/index.js', import.meta.url));

describe('the Electron app', () => {
  it.skipIf('missing' in binary)(
    `opens its window, shows an alert from mosquitto, and keeps Node out of the page${'missing' in binary ? ` (skipped: ${binary.missing})` : ''}`,
    async () => {
      if (!('path' in binary)) return;
      const dir = mkdtempSync(join(tmpdir(), 'pushdesk-electron-'));
      const [broker, desktop] = await Promise.all([startMosquitto(join(dir, 'broker')), startDesktopSession()]);
      const configPath = join(dir, 'config.json');
      writeFileSync(
        configPath,
        JSON.stringify({ connections: [{ id: 'c', url: broker.url, subscriptions: [{ topic: 'alerts/#', channel: 'Alerts' }] }] }),
      );
      const app = await electron.launch({
        executablePath: binary.path,
        args: [MAIN, '--config', configPath, '--data-dir', join(dir, 'user-data')],
        env: { ...process.env, ...desktop.env },
      });
      try {
        const page = await app.firstWindow();
        await page.locator('.connection-connected').waitFor({ timeout: 15_000 });
        expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
        expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
        execFileSync(requireProgram('mosquitto_pub', 'mosquitto-clients'), ['-p', String(broker.port), '-q', '1', '-t', 'alerts/x', '-m', 'Electron sees it']);
        await page.getByTestId('message').filter({ hasText: 'Electron sees it' }).waitFor({ timeout: 5000 });
      } finally {
        await app.close();
        await desktop.stop();
        await broker.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
