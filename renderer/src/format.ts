/**
 * Dates and numbers for people, through Intl in the window's current language.
 *
 * Formatters are cached per language: building an Intl formatter costs far more than using one, and a
 * list of rows formats hundreds of dates.
 */
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

/** A received time (epoch ms) as a short date and time. */
export function formatDateTime(ms: number, language: string): string {
  let format = dateTimeFormats.get(language);
  if (!format) {
    format = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'medium' });
    dateTimeFormats.set(language, format);
  }
  return format.format(ms);
}

/**
 * A number, grouped the way the language groups digits; with `fractionDigits`, always that many
 * decimals ("3.0 s" rather than "3 s").
 */
export function formatNumber(value: number, language: string, fractionDigits?: number): string {
  const key = fractionDigits === undefined ? language : `${language}|${fractionDigits}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(language, fractionDigits === undefined ? {} : { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits });
    numberFormats.set(key, format);
  }
  return format.format(value);
}

/**
 * Builds the formatters of a language ahead of need: the first Intl formatter of a page costs tens of
 * milliseconds (its locale data is loaded), which is better spent while the page waits for the network
 * than inside the render of the first rows.
 */
export function prepareFormats(language: string): void {
  formatDateTime(0, language);
  formatNumber(0, language);
}
