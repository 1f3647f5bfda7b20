import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAY_ICON_NAMES } from '../../electron/main/tray-icons.ts';

/**
 * The packaged app as electron-builder makes it from electron-builder.yml: an unpacked Linux build
 * (`--linux dir`) whose resources/app.asar is listed and checked. Electron itself cannot be downloaded
 * here, so the build uses a stand-in Electron distribution (electronDist); everything else is the real
 * packaging step that the installers (AppImage, deb, rpm, NSIS, MSI, dmg, pkg) wrap.
 *
 * It packages the bundles `npm run build` left in out/ (npm test builds before it runs the tests).
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const BUNDLES = ['out/main/index.js', 'out/preload/index.cjs', 'out/preload/alert.cjs', 'out/renderer/index.html'];
const missingBundle = BUNDLES.find((file) => !existsSync(join(ROOT, file)));
const skipReason = missingBundle === undefined ? undefined : `${missingBundle} is missing: run npm run build first`;

interface Asar {
  listPackage(archive: string, options: { isPack: boolean }): string[];
  statFile(archive: string, filename: string): { unpacked?: boolean };
  extractFile(archive: string, filename: string): Buffer;
}
// A dependency of electron-builder (app-builder-lib packs with it), not of Pushdesk.
const asar = createRequire(require.resolve('app-builder-lib/package.json'))('@electron/asar') as Asar;

/** Where @electron/fuses finds the fuse wire in an Electron executable. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  homepage?: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The package a bare module specifier names: 'electron-log/node.js' → 'electron-log', '@a/b/c' → '@a/b'. */
const packageOf = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** The packages a bundle imports or requires at run time, besides Node's built-ins and Electron. */
function externalPackages(bundle: string): string[] {
  const found = new Set<string>();
  const patterns = [/\bfrom\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, /\bimport\s*["']([^"']+)["']/g, /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g];
  for (const pattern of patterns) {
    for (const [, specifier = ''] of bundle.matchAll(pattern)) {
      if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) continue;
      if (builtinModules.includes(packageOf(specifier)) || specifier === 'electron') continue;
      found.add(packageOf(specifier));
    }
  }
  return [...found].sort();
}

/**
 * A stand-in Electron distribution, as electron-builder copies it: the executable, the version it
 * reads, the licences and an empty resources folder.
 */
function standInElectron(dir: string): string {
  const electronVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
  mkdirSync(join(dir, 'resources'), { recursive: true });
  // Like a real Electron binary, it carries the fuse wire after its sentinel (version 1, 8 fuses, in
  // Electron's default states), so electron-builder can flip the fuses and the test can read them.
  const wire = Buffer.concat([Buffer.from(`#!/bin/sh\nexit 0\n# ${FUSE_SENTINEL}`), Buffer.from([1, 8]), Buffer.from('10110001')]);
  writeFileSync(join(dir, 'electron'), wire);
  chmodSync(join(dir, 'electron'), 0o755);
  writeFileSync(join(dir, 'version'), electronVersion);
  writeFileSync(join(dir, 'LICENSE'), 'stand-in\n');
  writeFileSync(join(dir, 'LICENSES.chromium.html'), '<html></html>\n');
  return dir;
}

describe.skipIf(skipReason !== undefined)(`the packaged app (electron-builder --linux dir)${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let work: string;
  let resources: string;
  let archive: string;
  let entries: string[];

  let electronDist: string;

  /** Runs electron-builder's command line in the project, offline: nothing to download with electronDist. */
  async function electronBuilder(args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
    await promisify(execFile)(
      process.execPath,
      // Nothing to rebuild (no native modules), and a rebuild could go to the network for headers.
      [join(ROOT, 'node_modules/electron-builder/cli.js'), ...args, '--publish', 'never', '-c.npmRebuild=false'],
      {
        cwd: ROOT,
        env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ELECTRON_BUILDER_CACHE: join(work, 'cache'), CSC_IDENTITY_AUTO_DISCOVERY: 'false', ...env },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pushdesk-packaging-'));
    electronDist = standInElectron(join(work, 'electron'));
    const output = join(work, 'dist');
    await electronBuilder(['--linux', 'dir', `-c.electronDist=${electronDist}`, `-c.directories.output=${output}`]);
    resources = join(output, 'linux-unpacked', 'resources');
    archive = join(resources, 'app.asar');
    entries = asar.listPackage(archive, { isPack: false }).map((entry) => entry.replaceAll('\\', '/'));
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('flips the security fuses in the packaged executable', () => {
    const binary = readFileSync(join(resources, '..', 'pushdesk'));
    const at = binary.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
    expect(at).toBeGreaterThan(FUSE_SENTINEL.length);
    const fuses = binary.subarray(at + 2, at + 2 + binary[at + 1]!).toString('latin1');
    // RunAsNode, CookieEncryption, NodeOptions, NodeCliInspect, AsarIntegrity, OnlyLoadAppFromAsar,
    // then the two left as Electron ships them.
    expect(fuses).toBe('01001101');
  });

  it('holds the main process, both preloads and the renderer', () => {
    for (const file of BUNDLES) expect(entries, file).toContain(`/${file}`);
    expect(entries.some((entry) => /^\/out\/renderer\/assets\/[^/]+\.js$/.test(entry)), 'the renderer script').toBe(true);
    // The icons the main process loads from build/ at run time: notifications, and each tray state's
    // image with and without the unread dot, at both densities.
    expect(entries).toContain('/build/tray.png');
    expect(TRAY_ICON_NAMES).toHaveLength(8);
    for (const name of TRAY_ICON_NAMES) {
      for (const file of [`/build/${name}.png`, `/build/${name}@2x.png`]) {
        expect(entries, file).toContain(file);
        // A real PNG, not an empty or LFS-pointer file.
        expect(asar.extractFile(archive, file.slice(1)).subarray(1, 4).toString('latin1'), file).toBe('PNG');
      }
    }
    // The script that draws them stays out.
    expect(entries).not.toContain('/build/tray-icons.ts');
  });

  it('puts the Group Policy template and the macOS profile example beside the app, for IT', () => {
    for (const file of ['pushdesk.admx', 'en-US/pushdesk.adml', 'com.pushdesk.app.mobileconfig']) {
      expect(readFileSync(join(resources, 'policy', file), 'utf8'), file).toBe(readFileSync(join(ROOT, 'build', 'policy', file), 'utf8'));
    }
    expect(entries.some((entry) => entry.includes('/policy/')), 'not inside the app archive').toBe(false);
  });

  it('starts where package.json says, and carries no scripts or development dependencies in it', () => {
    const packaged = JSON.parse(asar.extractFile(archive, 'package.json').toString('utf8')) as Record<string, unknown>;
    expect(packaged.main).toBe('out/main/index.js');
    expect(entries).toContain(`/${packaged.main as string}`);
    expect(packaged).not.toHaveProperty('devDependencies');
    expect(packaged).not.toHaveProperty('scripts');
    // Electron names the Linux window class after it; the desktop entry matches.
    expect(packaged.desktopName).toBe('pushdesk.desktop');
  });

  it('holds every runtime dependency, including each package the bundles import', () => {
    const imported = [...BUNDLES.filter((file) => /\.c?js$/.test(file)).flatMap((file) => externalPackages(readFileSync(join(ROOT, file), 'utf8')))];
    expect(imported).toContain('mqtt');
    for (const name of new Set([...Object.keys(packageJson.dependencies), ...imported])) {
      expect(entries, `node_modules/${name}`).toContain(`/node_modules/${name}/package.json`);
    }
  });

  it('leaves out tests, sources, source maps and TypeScript, in the app and in its dependencies', () => {
    const offending = (pattern: RegExp): string[] => entries.filter((entry) => pattern.test(entry)).slice(0, 5);
    expect(offending(/^\/(test|electron|renderer|docs|src|build\/(?!tray[^/]*\.png$))(\/|$)/), 'test/, sources, docs/ or installer resources').toEqual([]);
    expect(offending(/\/(test|tests|spec|__tests__|fixtures?)(\/|$)|[._-](test|spec)\.[cm]?[jt]sx?$|\/tests?\.[cm]?js$/), 'tests and their fixtures').toEqual([]);
    expect(offending(/\.map$/), 'source maps').toEqual([]);
    expect(offending(/\.(ts|tsx|mts|cts)$/), 'TypeScript sources and declarations').toEqual([]);
    expect(offending(/^\/[^/]+\.(json|js|ts|yml|yaml)$/).filter((entry) => entry !== '/package.json'), 'project configuration').toEqual([]);
    expect(offending(/\/node_modules\/@types\//), 'type packages').toEqual([]);
  });

  it('leaves out every development dependency', () => {
    const devOnly = Object.keys(packageJson.devDependencies).filter((name) => !(name in packageJson.dependencies));
    expect(devOnly).toContain('electron');
    const present = devOnly.filter((name) => entries.some((entry) => entry.includes(`/node_modules/${name}/`)));
    expect(present).toEqual([]);
  });

  it("unpacks node-notifier's helper programs next to the archive, where the OS can run them", () => {
    const helper = 'node_modules/node-notifier/vendor/mac.noindex/terminal-notifier.app/Contents/MacOS/terminal-notifier';
    expect(asar.statFile(archive, helper).unpacked).toBe(true);
    expect(existsSync(join(resources, 'app.asar.unpacked', helper))).toBe(true);
  });

  it('carries no built-in update server unless the build names one', () => {
    // electron-builder.yml has no `publish`: a release build adds it (docs/deployment.md).
    expect(existsSync(join(resources, 'app-update.yml'))).toBe(false);
  });

  it.skipIf(process.platform === 'win32')('installs a desktop entry with the deb that opens Pushdesk and its pushdesk:// links', async () => {
    // electron-builder makes the deb with fpm, which it downloads; a stand-in fpm on PATH
    // (USE_SYSTEM_FPM) keeps the desktop entry electron-builder wrote and the arguments it got.
    const bin = join(work, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'fpm'),
      [
        '#!/bin/sh',
        `printf '%s\\n' "$@" > '${join(work, 'fpm-arguments')}'`,
        'for a in "$@"; do case "$a" in *.desktop=*) cp "${a%%=*}" ' + `'${join(work, 'pushdesk.desktop')}'` + ';; esac; done',
      ].join('\n') + '\n',
    );
    chmodSync(join(bin, 'fpm'), 0o755);
    const homepage = packageJson.homepage;
    await electronBuilder(
      [
        '--linux',
        'deb',
        `-c.electronDist=${electronDist}`,
        `-c.directories.output=${join(work, 'deb')}`,
        // deb and rpm need the project's homepage; package.json has none yet.
        ...(homepage === undefined ? ['-c.extraMetadata.homepage=https://pushdesk.invalid/'] : []),
      ],
      { USE_SYSTEM_FPM: 'true', PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
    );
    const entry = Object.fromEntries(
      readFileSync(join(work, 'pushdesk.desktop'), 'utf8')
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(entry).toMatchObject({
      Name: 'Pushdesk',
      Exec: '/opt/Pushdesk/pushdesk %U',
      Icon: 'pushdesk',
      Type: 'Application',
      StartupWMClass: 'pushdesk',
      MimeType: 'x-scheme-handler/pushdesk;',
      Categories: 'Network;',
    });
    const fpmArguments = readFileSync(join(work, 'fpm-arguments'), 'utf8').split('\n');
    expect(fpmArguments).toContain(`${join(work, 'deb')}/Pushdesk-${packageJson.version}-linux-amd64.deb`);
    expect(fpmArguments.some((argument) => argument.endsWith('=/usr/share/applications/pushdesk.desktop'))).toBe(true);
    expect(fpmArguments.some((argument) => /=\/usr\/share\/icons\/hicolor\/\d+x\d+\/apps\/pushdesk\.png$/.test(argument))).toBe(true);
  });
});
