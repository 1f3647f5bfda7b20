import { join } from 'node:path';
import type { TrayStateName, TrayView } from './tray-state.ts';

/** The tray states, each with its own image (build/tray-<state>.png, drawn by build/tray-icons.ts). */
export const TRAY_STATES: readonly TrayStateName[] = ['connected', 'degraded', 'offline', 'paused'];

/** An image of the tray: the state's icon, or the same with the unread dot. */
export type TrayIconName = TrayView['icon'] | `${TrayView['icon']}-unread`;

/** Every tray image the app may load, by name (each also exists as `<name>@2x.png`). */
export const TRAY_ICON_NAMES: readonly TrayIconName[] = TRAY_STATES.flatMap((state) => [`tray-${state}`, `tray-${state}-unread`] as const);

/**
 * The tray image for what the tray shows: the state's icon; on Windows and Linux, with the unread dot
 * when there are unread messages (nothing can sit beside their tray icons). macOS shows the count as
 * the tray's title beside the icon (TrayView.label) and on the Dock badge, so its icon has no dot.
 */
export function trayIconName(view: Pick<TrayView, 'icon' | 'unread'>, platform: NodeJS.Platform): TrayIconName {
  return view.unread > 0 && platform !== 'darwin' ? `${view.icon}-unread` : view.icon;
}

/**
 * The file of a tray image in the icons folder (build/ in the app: electron-builder.yml packs
 * build/tray*.png). nativeImage.createFromPath loads `<name>@2x.png` beside it for high-density displays.
 */
export function trayIconFile(iconsDir: string, name: TrayIconName): string {
  return join(iconsDir, `${name}.png`);
}
