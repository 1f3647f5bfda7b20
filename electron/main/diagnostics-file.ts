import { writeFile } from 'node:fs/promises';
import type { DiagnosticsBundle } from '../core/diagnostics.ts';

/**
 * Writes the diagnostics bundle (docs/diagnostics.md: the same JSON document as
 * `npm run hub -- diagnostics`, nothing secret in it) to a file the person chooses in the desktop
 * shell's save dialog, injected so this runs without Electron in tests.
 *
 * The bundle is built only once the person has chosen the file, so it describes the hub as it is then.
 *
 * @returns the file, or nulls when the person cancelled the dialog; `href` is always null (the
 *   headless hub's download address).
 */
export async function diagnosticsToChosenFile(ports: {
  choose: (defaultName: string) => Promise<string | undefined>;
  build: () => DiagnosticsBundle;
  now?: () => number;
}): Promise<{ href: null; path: string | null }> {
  const stamp = new Date((ports.now ?? Date.now)()).toISOString().slice(0, 19).replace(/[:T]/g, '-');
  const path = await ports.choose(`pushdesk-diagnostics-${stamp}.json`);
  if (path === undefined) return { href: null, path: null };
  // The bundle names the machine's connections, channels and problems: readable by its owner only.
  await writeFile(path, `${JSON.stringify(ports.build(), null, 2)}\n`, { mode: 0o600 });
  return { href: null, path };
}
