import { chromium, type Browser } from 'playwright-core';
import { requireProgram } from './programs.ts';

/** Flags for Debian's Chromium on a machine with no network but loopback. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Launches Debian's Chromium through playwright-core (Playwright cannot download browsers here). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = requireProgram('chromium', 'chromium');
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}
