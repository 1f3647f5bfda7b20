import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, inflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { drawTrayIcon, encodePng, TRAY_ICON_STATES, trayIconFiles } from '../../build/tray-icons.ts';
import type { ConnectionState } from '../../electron/core/sources/connection-status.ts';
import { bindTray, TRAY_UPDATE_MS } from '../../electron/main/tray-binding.ts';
import { TRAY_ICON_NAMES, TRAY_STATES, trayIconFile, trayIconName } from '../../electron/main/tray-icons.ts';
import { trayState, type TrayInputs } from '../../electron/main/tray-state.ts';

const BUILD = fileURLToPath(new URL('../../build', import.meta.url));
const NOW = Date.UTC(2026, 10, 22, 12, 0);

/** A PNG's size and RGBA pixels, checking what a viewer checks: signature, chunk CRCs, the image header. */
function decodePng(file: Buffer): { width: number; height: number; pixels: Buffer } {
  expect(file.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let width = 0;
  let height = 0;
  const data: Buffer[] = [];
  let at = 8;
  let ended = false;
  while (at < file.length) {
    const length = file.readUInt32BE(at);
    const type = file.toString('latin1', at + 4, at + 8);
    const body = file.subarray(at + 8, at + 8 + length);
    expect(file.readUInt32BE(at + 8 + length), `${type} CRC`).toBe(crc32(file.subarray(at + 4, at + 8 + length)));
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      // 8 bits per channel, RGBA, deflate, standard filters, no interlace.
      expect([...body.subarray(8, 13)]).toEqual([8, 6, 0, 0, 0]);
    }
    if (type === 'IDAT') data.push(body);
    if (type === 'IEND') ended = true;
    at += 12 + length;
  }
  expect(ended).toBe(true);
  const rows = inflateSync(Buffer.concat(data));
  const stride = width * 4 + 1;
  expect(rows.length).toBe(height * stride);
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(rows[y * stride], 'row filter').toBe(0);
    rows.copy(pixels, y * width * 4, y * stride + 1, (y + 1) * stride);
  }
  return { width, height, pixels };
}

const connections = (...states: ConnectionState[]) => states.map((state, i) => ({ id: `c${i}`, state }));

function inputs(overrides: Partial<TrayInputs>): TrayInputs {
  return { connections: connections('connected'), channelCounts: [], muted: new Set(), pausedUntilMs: undefined, nowMs: NOW, formatTime: () => '13:00', ...overrides };
}

describe('the tray icons', () => {
  it('are committed for every state, with and without the unread dot, at 16 px and 32 px (@2x)', () => {
    expect(TRAY_ICON_STATES).toEqual(TRAY_STATES);
    expect(TRAY_ICON_NAMES).toHaveLength(8);
    for (const name of TRAY_ICON_NAMES) {
      for (const [suffix, size] of [['', 16], ['@2x', 32]] as const) {
        const file = join(BUILD, `${name}${suffix}.png`);
        expect(existsSync(file), file).toBe(true);
        expect(decodePng(readFileSync(file))).toMatchObject({ width: size, height: size });
      }
    }
    expect(trayIconFiles().map((f) => f.file).sort()).toEqual(TRAY_ICON_NAMES.flatMap((n) => [`${n}.png`, `${n}@2x.png`]).sort());
  });

  it('are what build/tray-icons.ts draws (run it again after changing a drawing)', () => {
    for (const { file, state, unread, size } of trayIconFiles()) {
      const committed = decodePng(readFileSync(join(BUILD, file))).pixels;
      const drawn = drawTrayIcon(state, unread, size);
      // Within one subsample of the anti-aliasing: another Node's floating point may round an edge otherwise.
      // Compared premultiplied: a nearly transparent edge pixel's colour means little.
      const premultiplied = (pixels: Buffer, i: number) => (i % 4 === 3 ? (pixels[i] as number) : ((pixels[i] as number) * (pixels[i - (i % 4) + 3] as number)) / 255);
      const worst = committed.reduce((max, _value, i) => Math.max(max, Math.abs(premultiplied(committed, i) - premultiplied(drawn, i))), 0);
      expect(worst, `build/${file} is out of date: run npx node build/tray-icons.ts`).toBeLessThanOrEqual(12);
    }
  });

  it('writes PNGs its own reader reads back', () => {
    const pixels = drawTrayIcon('paused', true, 16);
    expect(decodePng(encodePng(pixels, 16, 16)).pixels.equals(pixels)).toBe(true);
  });

  it('draws each state differently, in shape and not only in colour', () => {
    const alphaOf = (pixels: Buffer) => Buffer.from(pixels.filter((_, i) => i % 4 === 3).map((a) => (a >= 128 ? 1 : 0)));
    const drawn = TRAY_ICON_STATES.map((state) => drawTrayIcon(state, false, 32));
    for (let i = 0; i < drawn.length; i++) {
      for (let j = i + 1; j < drawn.length; j++) {
        const [a, b] = [drawn[i] as Buffer, drawn[j] as Buffer];
        expect(a.equals(b), `${TRAY_ICON_STATES[i]} and ${TRAY_ICON_STATES[j]}`).toBe(false);
      }
    }
    // Connected and paused share the disc: their glyphs (white) set them apart; the others' outlines differ.
    const white = (pixels: Buffer) => Buffer.from(Array.from({ length: pixels.length / 4 }, (_, i) => (pixels[i * 4] === 255 && pixels[i * 4 + 1] === 255 && pixels[i * 4 + 3] === 255 ? 1 : 0)));
    expect(white(drawn[0] as Buffer).equals(white(drawn[3] as Buffer))).toBe(false);
    expect(alphaOf(drawn[1] as Buffer).equals(alphaOf(drawn[0] as Buffer))).toBe(false);
    expect(alphaOf(drawn[2] as Buffer).equals(alphaOf(drawn[0] as Buffer))).toBe(false);
    // The unread dot is red, top right; the plain icon has no red there.
    const red = (pixels: Buffer, x: number, y: number, size: number) => pixels[(y * size + x) * 4] === 0xe0 && pixels[(y * size + x) * 4 + 3] === 255;
    expect(red(drawTrayIcon('connected', true, 32), 25, 6, 32)).toBe(true);
    expect(red(drawTrayIcon('connected', false, 32), 25, 6, 32)).toBe(false);
  });
});

describe('choosing the tray image', () => {
  it('shows each tray state as its own image', () => {
    const states = {
      connected: inputs({}),
      degraded: inputs({ connections: connections('connected', 'reconnecting') }),
      offline: inputs({ connections: connections('offline') }),
      paused: inputs({ pausedUntilMs: NOW + 60_000 }),
    };
    for (const [state, given] of Object.entries(states)) {
      for (const platform of ['darwin', 'win32', 'linux'] as const) expect(trayIconName(trayState(given), platform)).toBe(`tray-${state}`);
    }
    // Offline wins over a pause: no connection means no messages at all.
    expect(trayIconName(trayState(inputs({ connections: connections('offline'), pausedUntilMs: NOW + 60_000 })), 'win32')).toBe('tray-offline');
  });

  it('adds the unread dot on Windows and Linux, not on macOS (which shows the count beside the icon)', () => {
    const unread = trayState(inputs({ connections: connections('connected', 'offline'), channelCounts: [{ channel: 'Ops', unread: 2 }] }));
    expect(trayIconName(unread, 'win32')).toBe('tray-degraded-unread');
    expect(trayIconName(unread, 'linux')).toBe('tray-degraded-unread');
    expect(trayIconName(unread, 'darwin')).toBe('tray-degraded');
    // Muted channels' messages do not light the dot.
    const muted = trayState(inputs({ channelCounts: [{ channel: 'Ops', unread: 2 }], muted: new Set(['Ops']) }));
    expect(trayIconName(muted, 'win32')).toBe('tray-connected');
  });

  it('finds the image in the icons folder, where the packaged app has it', () => {
    expect(trayIconFile(BUILD, 'tray-paused-unread')).toBe(join(BUILD, 'tray-paused-unread.png'));
    for (const name of TRAY_ICON_NAMES) expect(existsSync(trayIconFile(BUILD, name)), name).toBe(true);
  });
});

describe('the tray binding on Windows', () => {
  beforeEach(() => vi.useFakeTimers({ now: NOW }));
  afterEach(() => vi.useRealTimers());

  it('lights the unread dot with the first unread message and puts it out when all are read, with the count in the tooltip', () => {
    const listeners: (() => void)[] = [];
    let counts = [{ channel: 'Ops', unread: 0, total: 4 }];
    const tray = { setToolTip: vi.fn(), setImage: vi.fn(), setTitle: vi.fn() };
    bindTray({
      tray,
      hub: { on: (_event: string, l: () => void) => (listeners.push(l), () => {}), connectionStatuses: () => connections('connected'), channelCounts: () => counts } as never,
      image: (icon) => `image:${icon}` as never,
      pausedUntilMs: () => undefined,
      muted: () => new Set(),
      platform: 'win32',
    });
    expect(tray.setImage).toHaveBeenLastCalledWith('image:tray-connected');
    counts = [{ channel: 'Ops', unread: 3, total: 7 }];
    listeners.forEach((l) => l());
    vi.advanceTimersByTime(TRAY_UPDATE_MS);
    expect(tray.setImage).toHaveBeenLastCalledWith('image:tray-connected-unread');
    expect(tray.setToolTip).toHaveBeenLastCalledWith('Pushdesk: 3 unread\nConnected');
    expect(tray.setTitle).not.toHaveBeenCalled();
    counts = [{ channel: 'Ops', unread: 0, total: 7 }];
    listeners.forEach((l) => l());
    vi.advanceTimersByTime(TRAY_UPDATE_MS);
    expect(tray.setImage).toHaveBeenLastCalledWith('image:tray-connected');
    expect(tray.setImage).toHaveBeenCalledTimes(3);
  });
});
