import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDiagnostics } from '../../electron/core/diagnostics.ts';
import { diagnosticsToChosenFile } from '../../electron/main/diagnostics-file.ts';

describe('saving the diagnostics bundle on the desktop', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-diagnostics-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('offers a dated file name, writes the bundle as JSON readable by its owner only, and says where', async () => {
    const offered: string[] = [];
    const target = join(dir, 'for-support.json');
    const result = await diagnosticsToChosenFile({
      choose: (name) => (offered.push(name), Promise.resolve(target)),
      build: () => buildDiagnostics({ dataDir: dir, appVersion: '9.9.9', now: () => Date.UTC(2026, 10, 22, 12, 0) }),
      now: () => Date.UTC(2026, 10, 22, 12, 30, 5),
    });
    expect(offered).toEqual(['pushdesk-diagnostics-2026-11-22-12-30-05.json']);
    expect(result).toEqual({ href: null, path: target });
    const written = JSON.parse(readFileSync(target, 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({ generatedAt: '2026-11-22T12:00:00.000Z', versions: { pushdesk: '9.9.9' }, store: { missing: expect.any(String) } });
    if (process.platform !== 'win32') expect(statSync(target).mode & 0o777).toBe(0o600);
  });

  it('builds nothing and writes nothing when the person cancels the dialog', async () => {
    let built = 0;
    const result = await diagnosticsToChosenFile({
      choose: () => Promise.resolve(undefined),
      build: () => (built++, buildDiagnostics({ dataDir: dir, appVersion: '1' })),
    });
    expect(result).toEqual({ href: null, path: null });
    expect(built).toBe(0);
  });

  it('fails with the reason when the file cannot be written', async () => {
    await expect(
      diagnosticsToChosenFile({ choose: () => Promise.resolve(join(dir, 'missing-folder', 'x.json')), build: () => buildDiagnostics({ dataDir: dir, appVersion: '1' }) }),
    ).rejects.toThrow(/ENOENT/);
    expect(existsSync(join(dir, 'missing-folder'))).toBe(false);
  });
});
