import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ELECTRON_DIR = fileURLToPath(new URL('../../node_modules/electron', import.meta.url));

/**
 * The Electron binary if this machine has one, found without `require('electron')` (which would try
 * to download it); otherwise the reason it is missing, in one line.
 */
export function findElectronBinary(): { path: string } | { missing: string } {
  const pathFile = join(ELECTRON_DIR, 'path.txt');
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : 'electron';
  const candidate = override ? join(override, relative) : join(ELECTRON_DIR, 'dist', relative);
  if (existsSync(candidate)) return { path: candidate };
  return { missing: `no Electron binary at ${candidate} (npm could not download it here; set ELECTRON_OVERRIDE_DIST_PATH to use one)` };
}
