/**
 * Which language the window opens in, without i18next: the tiny start-up module (early-connection.ts)
 * uses it to prepare date and number formats while the rest of the window loads.
 */

/** The languages the window is translated into, by BCP 47 tag. */
export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];

/** The language setting: one of the languages, or "system" (the browser's or the OS's language). */
export type LanguageSetting = 'system' | Language;

/**
 * Where the last language setting is kept, so the window opens in it before the settings arrive from
 * the core (the settings stay the truth: they apply as soon as they come).
 */
export const LANGUAGE_STORAGE_KEY = 'pushdesk.language';

/** The supported language closest to a BCP 47 tag: any Chinese is Simplified Chinese, else English. */
export function matchLanguage(tag: string | undefined): Language {
  return tag !== undefined && tag.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/** The language a setting means here: "system" follows navigator.language (the OS's, in Electron). */
export function effectiveLanguage(setting: LanguageSetting): Language {
  return setting === 'system' ? matchLanguage(navigator.language) : setting;
}

/** The last language setting this window saw ("system" when none, or when storage is unavailable). */
export function storedLanguageSetting(): LanguageSetting {
  try {
    const value = localStorage.getItem(LANGUAGE_STORAGE_KEY);
    return value === 'en' || value === 'zh-CN' ? value : 'system';
  } catch {
    return 'system'; // storage can be unavailable (a sandboxed or private window)
  }
}
