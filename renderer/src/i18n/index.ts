import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import zhCN from './zh-CN.json';

/** The languages the window is translated into, by BCP 47 tag. */
export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Where the person's own choice of language is kept (absent: follow the browser's language). */
const STORAGE_KEY = 'pushdesk.language';

/** The supported language closest to a BCP 47 tag: any Chinese is Simplified Chinese, else English. */
export function matchLanguage(tag: string | undefined): Language {
  return tag !== undefined && tag.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

function storedLanguage(): Language | undefined {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === null ? undefined : matchLanguage(value);
  } catch {
    return undefined; // storage can be unavailable (a sandboxed or private window)
  }
}

/**
 * Starts i18next with the bundled resources; the language is the person's choice if they made one,
 * otherwise navigator.language.
 */
export function initI18n(): typeof i18next {
  const lng = storedLanguage() ?? matchLanguage(navigator.language);
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

/** Switches the window's language and remembers the choice. */
export function setLanguage(language: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // not remembered; it still applies to this window
  }
  void i18next.changeLanguage(language);
}
