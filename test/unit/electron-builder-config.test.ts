import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEEP_LINK_SCHEME } from '../../electron/main/deep-link.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

interface BuilderConfigModule {
  getConfig(projectDir: string, configPath: string | null, fromOptions: null): Promise<Record<string, unknown>>;
  validateConfiguration(config: Record<string, unknown>, logger: unknown): Promise<void>;
}
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as BuilderConfigModule;
const { DebugLogger } = require('builder-util/out/DebugLogger') as { DebugLogger: new (enabled: boolean) => unknown };
const { expandMacro } = require('app-builder-lib/out/util/macroExpander') as {
  expandMacro(pattern: string, arch: string | null, appInfo: Record<string, unknown>, extra: Record<string, string>): string;
};
const { Arch, getArtifactArchName } = require('builder-util') as { Arch: Record<string, number>; getArtifactArchName(arch: number, ext: string): string };

interface Target {
  target: string;
  arch: string[];
}
type Section = Record<string, unknown> & { target?: Target[] };

const config = (await getConfig(ROOT, null, null)) as Record<string, unknown> & Record<'win' | 'mac' | 'linux' | 'nsis' | 'msi' | 'pkg', Section>;
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const targetNames = (section: Section): string[] => (section.target ?? []).map((t) => t.target);

describe('electron-builder.yml', () => {
  it("passes electron-builder's own validator", async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    // The Windows AppUserModelID: the installers put it on the Start-menu shortcut, the app sets it at start.
    expect(config.appId).toBe('com.pushdesk.app');
  });

  it('rejects a configuration with an unknown option, so the check above can fail', async () => {
    await expect(validateConfiguration({ appId: 'x', notAnOption: true }, new DebugLogger(false))).rejects.toThrow(/notAnOption/);
  });

  it('makes a per-machine NSIS installer with a choice of folder, and an MSI', () => {
    expect(targetNames(config.win)).toEqual(['nsis', 'msi']);
    expect(config.nsis).toMatchObject({ oneClick: false, perMachine: true, allowToChangeInstallationDirectory: true, createStartMenuShortcut: true });
    expect(config.msi).toMatchObject({ perMachine: true, createStartMenuShortcut: true });
  });

  it('makes a dmg and a pkg for macOS (and the zip electron-updater installs from), hardened and with entitlements', () => {
    expect(targetNames(config.mac)).toEqual(['dmg', 'pkg', 'zip']);
    expect(config.mac).toMatchObject({ hardenedRuntime: true, entitlements: 'build/entitlements.mac.plist', entitlementsInherit: 'build/entitlements.mac.plist' });
    // Notarisation is left on: it runs when the environment names an Apple account (APPLE_API_KEY...).
    expect(config.mac.notarize).not.toBe(false);
    const entitlements = readFileSync(join(ROOT, 'build/entitlements.mac.plist'), 'utf8');
    expect(entitlements).toMatch(/<key>com\.apple\.security\.cs\.allow-jit<\/key>\s*<true\/>/);
    expect(config.pkg).toMatchObject({ installLocation: '/Applications', mustClose: ['com.pushdesk.app'] });
  });

  it('makes an AppImage, a deb and an rpm with a desktop entry the running window matches', () => {
    expect(targetNames(config.linux)).toEqual(['AppImage', 'deb', 'rpm']);
    expect(config.linux.executableName).toBe('pushdesk');
    expect(config.linux.maintainer).toEqual(expect.any(String));
    expect(config.linux.desktop).toMatchObject({ entry: expect.objectContaining({ GenericName: expect.any(String) }) });
    // Electron takes the window class from desktopName; the desktop file is named after the executable.
    expect(config.extraMetadata).toEqual({ desktopName: `${config.linux.executableName as string}.desktop` });
    expect(config.linux.syncDesktopName).toBe(true);
  });

  it('registers the pushdesk:// scheme the app handles', () => {
    expect(config.protocols).toEqual([expect.objectContaining({ schemes: [DEEP_LINK_SCHEME] })]);
  });

  it("unpacks node-notifier's helper programs from the asar", () => {
    expect(config.asarUnpack).toContain('node_modules/node-notifier/vendor/**');
  });

  it('names every artifact with the version and the architecture', () => {
    const extensions: Record<string, string> = { nsis: 'exe', msi: 'msi', dmg: 'dmg', pkg: 'pkg', zip: 'zip', AppImage: 'AppImage', deb: 'deb', rpm: 'rpm' };
    const names: string[] = [];
    for (const os of ['win', 'mac', 'linux'] as const) {
      for (const { target, arch } of config[os].target ?? []) {
        const ext = extensions[target] as string;
        // No target overrides the name pattern.
        expect((config[target as keyof typeof config] as Record<string, unknown> | undefined)?.artifactName).toBeUndefined();
        expect(config[os].artifactName).toBeUndefined();
        for (const a of arch) {
          const archName = getArtifactArchName(Arch[a] as number, ext);
          names.push(expandMacro(config.artifactName as string, archName, { productName: 'Pushdesk', sanitizedProductName: 'Pushdesk', version }, { os, ext }));
        }
      }
    }
    expect(names).toContain(`Pushdesk-${version}-win-x64.exe`);
    expect(names).toContain(`Pushdesk-${version}-win-x64.msi`);
    expect(names).toContain(`Pushdesk-${version}-mac-arm64.pkg`);
    expect(names).toContain(`Pushdesk-${version}-linux-amd64.deb`);
    expect(names).toContain(`Pushdesk-${version}-linux-x86_64.AppImage`);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(new RegExp(`^Pushdesk-${version.replace(/\./g, '\\.')}-(win|mac|linux)-(x64|arm64|amd64|x86_64|aarch64)\\.`));
  });

  it('builds no update server in: a release build names it (a policy can name another)', () => {
    expect(config.publish).toBeUndefined();
    expect(config.generateUpdatesFilesForAllChannels).toBe(true);
  });
});
