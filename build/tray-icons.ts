import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

/**
 * Draws the tray icons, one per tray state, with and without the unread dot, at 16 px and at 32 px
 * (`@2x`, which Electron's nativeImage picks up on high-density displays), and writes them as PNG
 * files next to this script. The PNGs are committed; run this again after changing a drawing:
 *
 *     npx node build/tray-icons.ts
 *
 * The states differ in shape as well as colour, so they can be told apart without colour vision:
 *   connected  a green disc with a tick
 *   degraded   an amber triangle with "!" (some connections are down)
 *   offline    a grey ring, struck through (no connection is up)
 *   paused     a blue disc with the two bars of "pause"
 * The unread dot (red, top right, cut out of the icon by a thin transparent ring) is for Windows and
 * Linux, where nothing can sit beside a tray icon; macOS shows the count as the tray's title instead.
 *
 * Plain Node (zlib for the PNG), no image library: a unit test draws them again and compares.
 */

export const TRAY_ICON_STATES = ['connected', 'degraded', 'offline', 'paused'] as const;
export type TrayIconState = (typeof TRAY_ICON_STATES)[number];

/** Base sizes (1x) and the scale factors written: `name.png` and `name@2x.png`. */
export const TRAY_ICON_SIZE = 16;
export const TRAY_ICON_SCALES = [1, 2] as const;

type Rgba = readonly [number, number, number, number];
type Point = readonly [number, number];

const GREEN: Rgba = [0x2e, 0x9e, 0x4f, 255];
const AMBER: Rgba = [0xf0, 0xa8, 0x1c, 255];
const GREY: Rgba = [0x8a, 0x8f, 0x98, 255];
const BLUE: Rgba = [0x2f, 0x6f, 0xd6, 255];
const RED: Rgba = [0xe0, 0x24, 0x4a, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const INK: Rgba = [0x2b, 0x1d, 0x00, 255];
const CLEAR: Rgba = [0, 0, 0, 0];

/** One layer of a drawing: where it covers (in the unit square, y down) and its colour. */
interface Layer {
  readonly inside: (p: Point) => boolean;
  readonly color: Rgba;
}

const distance = (a: Point, b: Point): number => Math.hypot(a[0] - b[0], a[1] - b[1]);

/** Distance from p to the segment a–b. */
function segmentDistance(p: Point, a: Point, b: Point): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)));
  return distance(p, [a[0] + t * dx, a[1] + t * dy]);
}

const disc = (center: Point, radius: number): Layer['inside'] => (p) => distance(p, center) <= radius;
const ring = (center: Point, radius: number, width: number): Layer['inside'] => (p) => Math.abs(distance(p, center) - radius) <= width / 2;
const stroke = (points: readonly Point[], width: number): Layer['inside'] => (p) =>
  points.slice(1).some((b, i) => segmentDistance(p, points[i] as Point, b) <= width / 2);
const rect = (x0: number, y0: number, x1: number, y1: number): Layer['inside'] => (p) => p[0] >= x0 && p[0] <= x1 && p[1] >= y0 && p[1] <= y1;

/** A triangle with rounded corners: the points within `round` of the triangle shrunk by `round`. */
function roundedTriangle(a: Point, b: Point, c: Point, round: number): Layer['inside'] {
  const centroid: Point = [(a[0] + b[0] + c[0]) / 3, (a[1] + b[1] + c[1]) / 3];
  const shrink = (v: Point): Point => {
    const d = distance(v, centroid);
    const k = (d - round * 2) / d;
    return [centroid[0] + (v[0] - centroid[0]) * k, centroid[1] + (v[1] - centroid[1]) * k];
  };
  const [sa, sb, sc] = [shrink(a), shrink(b), shrink(c)];
  const side = (p: Point, u: Point, v: Point): number => (v[0] - u[0]) * (p[1] - u[1]) - (v[1] - u[1]) * (p[0] - u[0]);
  const inTriangle = (p: Point): boolean => {
    const [s1, s2, s3] = [side(p, sa, sb), side(p, sb, sc), side(p, sc, sa)];
    return (s1 >= 0 && s2 >= 0 && s3 >= 0) || (s1 <= 0 && s2 <= 0 && s3 <= 0);
  };
  return (p) => inTriangle(p) || segmentDistance(p, sa, sb) <= round || segmentDistance(p, sb, sc) <= round || segmentDistance(p, sc, sa) <= round;
}

const CENTER: Point = [0.5, 0.5];

/** The layers of each state's icon, bottom first. */
const DRAWINGS: Record<TrayIconState, readonly Layer[]> = {
  connected: [
    { inside: disc(CENTER, 0.46), color: GREEN },
    { inside: stroke([[0.27, 0.52], [0.43, 0.68], [0.73, 0.35]], 0.13), color: WHITE },
  ],
  degraded: [
    { inside: roundedTriangle([0.5, 0.04], [0.98, 0.92], [0.02, 0.92], 0.05), color: AMBER },
    { inside: stroke([[0.5, 0.34], [0.5, 0.6]], 0.13), color: INK },
    { inside: disc([0.5, 0.76], 0.075), color: INK },
  ],
  offline: [
    { inside: ring(CENTER, 0.39, 0.13), color: GREY },
    { inside: stroke([[0.2, 0.2], [0.8, 0.8]], 0.13), color: GREY },
  ],
  paused: [
    { inside: disc(CENTER, 0.46), color: BLUE },
    { inside: rect(0.31, 0.28, 0.44, 0.72), color: WHITE },
    { inside: rect(0.56, 0.28, 0.69, 0.72), color: WHITE },
  ],
};

const DOT_CENTER: Point = [0.8, 0.2];
const UNREAD: readonly Layer[] = [
  { inside: disc(DOT_CENTER, 0.27), color: CLEAR },
  { inside: disc(DOT_CENTER, 0.2), color: RED },
];

/** Subsamples per pixel along each axis (anti-aliasing). */
const SUPERSAMPLE = 5;

/** The icon's pixels: RGBA, row by row, not premultiplied. */
export function drawTrayIcon(state: TrayIconState, unread: boolean, size: number): Buffer {
  const layers = [...DRAWINGS[state], ...(unread ? UNREAD : [])];
  const pixels = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Premultiplied sums over the subsamples.
      let [r, g, b, a] = [0, 0, 0, 0];
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const p: Point = [(x + (sx + 0.5) / SUPERSAMPLE) / size, (y + (sy + 0.5) / SUPERSAMPLE) / size];
          let color: Rgba = CLEAR;
          for (const layer of layers) if (layer.inside(p)) color = layer.color;
          const alpha = color[3] / 255;
          r += color[0] * alpha;
          g += color[1] * alpha;
          b += color[2] * alpha;
          a += alpha;
        }
      }
      const at = (y * size + x) * 4;
      const n = SUPERSAMPLE * SUPERSAMPLE;
      pixels[at + 3] = Math.round((a / n) * 255);
      if (a > 0) {
        pixels[at] = Math.round(r / a);
        pixels[at + 1] = Math.round(g / a);
        pixels[at + 2] = Math.round(b / a);
      }
    }
  }
  return pixels;
}

/** An RGBA image as a PNG file (8 bits per channel, no interlace, filter 0 on every row). */
export function encodePng(pixels: Buffer, width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, filter method 0, no interlace
  const rows = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) pixels.copy(rows, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Every icon file this script writes: its name (as in build/), state, unread dot and pixel size. */
export function trayIconFiles(): { file: string; state: TrayIconState; unread: boolean; size: number }[] {
  return TRAY_ICON_STATES.flatMap((state) =>
    [false, true].flatMap((unread) =>
      TRAY_ICON_SCALES.map((scale) => ({
        file: `tray-${state}${unread ? '-unread' : ''}${scale === 1 ? '' : `@${scale}x`}.png`,
        state,
        unread,
        size: TRAY_ICON_SIZE * scale,
      })),
    ),
  );
}

if (import.meta.main) {
  for (const { file, state, unread, size } of trayIconFiles()) {
    writeFileSync(join(import.meta.dirname, file), encodePng(drawTrayIcon(state, unread, size), size, size));
    process.stdout.write(`build/${file}\n`);
  }
}
