/**
 * Light, dark, or following the system: the colours are CSS custom properties (styles.css); the
 * `data-theme` attribute of <html> picks light or dark, and without it `prefers-color-scheme` decides.
 */
export type ThemeSetting = 'system' | 'light' | 'dark';

/** Where the last theme is kept, so the window opens in it before the settings arrive. */
const STORAGE_KEY = 'pushdesk.theme';

/** Applies a theme setting to the document and remembers it. */
export function applyTheme(theme: ThemeSetting): void {
  const root = document.documentElement;
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // not remembered; it still applies to this window
  }
}

/** Applies the theme this window last saw (at start, before the settings come). */
export function applyStoredTheme(): void {
  let theme: ThemeSetting = 'system';
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    if (value === 'light' || value === 'dark') theme = value;
  } catch {
    // the system's
  }
  applyTheme(theme);
}
