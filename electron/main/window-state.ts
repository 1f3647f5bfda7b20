import type { BrowserWindow } from 'electron';
import type { Rectangle, WindowState } from './settings.ts';

/** How much of the window's top strip (its title bar) must be on a display for it to be restored there (DIP). */
const TITLE_BAR_HEIGHT = 32;
const MIN_VISIBLE_WIDTH = 100;

/**
 * The bounds to reopen the window with, or undefined for the default size and place.
 *
 * Saved bounds are used only when the window's title bar would be on one of today's displays (at least
 * MIN_VISIBLE_WIDTH of it inside a work area), so a window left on a monitor that is gone, or under the
 * taskbar, does not come back where nobody can reach it. A window larger than that display's work
 * area is shrunk to fit it.
 */
export function restorableBounds(saved: WindowState | undefined, displays: readonly { readonly workArea: Rectangle }[]): Rectangle | undefined {
  if (!saved) return undefined;
  const { bounds } = saved;
  const titleBar = { x: bounds.x, y: bounds.y, width: bounds.width, height: TITLE_BAR_HEIGHT };
  const host = displays.find(({ workArea }) => {
    const overlap = intersection(titleBar, workArea);
    return overlap !== undefined && overlap.width >= Math.min(MIN_VISIBLE_WIDTH, bounds.width) && overlap.height >= TITLE_BAR_HEIGHT / 2;
  });
  if (!host) return undefined;
  return {
    x: bounds.x,
    y: bounds.y,
    width: Math.min(bounds.width, host.workArea.width),
    height: Math.min(bounds.height, host.workArea.height),
  };
}

function intersection(a: Rectangle, b: Rectangle): Rectangle | undefined {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : undefined;
}

/** Moves and resizes come in bursts while the person drags: the state is saved this long after the last (ms). */
export const WINDOW_SAVE_DELAY_MS = 500;

/**
 * Saves the window's normal bounds and whether it is maximized after it is moved or resized (once
 * the burst settles) and at once when it is closed (hidden to the tray, or at quit). Returns a
 * function that stops it.
 */
export function trackWindowState(
  window: Pick<BrowserWindow, 'on' | 'removeListener' | 'getNormalBounds' | 'isMaximized' | 'isMinimized' | 'isDestroyed'>,
  save: (state: WindowState) => void,
  delayMs = WINDOW_SAVE_DELAY_MS,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const saveNow = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (window.isDestroyed()) return;
    const { x, y, width, height } = window.getNormalBounds();
    save({ bounds: { x: Math.round(x), y: Math.round(y), width: Math.round(width), height: Math.round(height) }, maximized: window.isMaximized() });
  };
  const later = (): void => {
    // A minimized window's bounds say nothing about where the person wants it.
    if (window.isMinimized()) return;
    clearTimeout(timer);
    timer = setTimeout(saveNow, delayMs);
    timer.unref?.();
  };
  const events = ['resize', 'move', 'maximize', 'unmaximize'] as const;
  for (const event of events) window.on(event as 'resize', later);
  window.on('close', saveNow);
  return () => {
    clearTimeout(timer);
    for (const event of events) window.removeListener(event as 'resize', later);
    window.removeListener('close', saveNow);
  };
}
