import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import zhCN from './zh-CN.json';

/** The languages the window is translated into, by BCP 47 tag. */
export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];

/** The language setting: one of the languages, or "system" (the browser's or the OS's language). */
export type LanguageSetting = 'system' | Language;

/**
 * Where the last language setting is kept, so the window opens in it before the settings arrive from
 * the core (the settings stay the truth: they apply as soon as they come).
 */
const STORAGE_KEY = 'pushdesk.language';

/** The supported language closest to a BCP 47 tag: any Chinese is Simplified Chinese, else English. */
export function matchLanguage(tag: string | undefined): Language {
  return tag !== undefined && tag.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/** The language a setting means here: "system" follows navigator.language (the OS's, in Electron). */
export function effectiveLanguage(setting: LanguageSetting): Language {
  return setting === 'system' ? matchLanguage(navigator.language) : setting;
}

function storedSetting(): LanguageSetting {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'en' || value === 'zh-CN' ? value : 'system';
  } catch {
    return 'system'; // storage can be unavailable (a sandboxed or private window)
  }
}

/** Starts i18next with the bundled resources, in the last language setting this window saw. */
export function initI18n(): typeof i18next {
  const lng = effectiveLanguage(storedSetting());
  void i18next.use(initReactI18next).init({
    resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
    lng,
    fallbackLng: 'en',
    // React escapes text itself; i18next's HTML escaping would show "&lt;" in titles.
    interpolation: { escapeValue: false },
    initAsync: false,
  });
  document.documentElement.lang = lng;
  i18next.on('languageChanged', (language) => {
    document.documentElement.lang = language;
  });
  return i18next;
}

/** Shows the window in the language a setting means, and remembers the setting for the next start. */
export function applyLanguageSetting(setting: LanguageSetting): void {
  try {
    localStorage.setItem(STORAGE_KEY, setting);
  } catch {
    // not remembered; it still applies to this window
  }
  const language = effectiveLanguage(setting);
  if (i18next.language !== language) void i18next.changeLanguage(language);
}
