import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import zhCN from './zh-CN.json';
import { LANGUAGE_STORAGE_KEY, effectiveLanguage, storedLanguageSetting, type LanguageSetting } from '../language.ts';

export { LANGUAGES, effectiveLanguage, matchLanguage, type Language, type LanguageSetting } from '../language.ts';

/** Starts i18next with the bundled resources, in the last language setting this window saw. */
export function initI18n(): typeof i18next {
  const lng = effectiveLanguage(storedLanguageSetting());
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
    localStorage.setItem(LANGUAGE_STORAGE_KEY, setting);
  } catch {
    // not remembered; it still applies to this window
  }
  const language = effectiveLanguage(setting);
  if (i18next.language !== language) void i18next.changeLanguage(language);
}
