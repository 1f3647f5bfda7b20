/**
 * The text the full-text index holds, and search input turned into an FTS5 query.
 *
 * SQLite's unicode61 tokenizer splits on spaces and punctuation, which leaves a run of Chinese,
 * Japanese or Korean characters as one long token: a search for a word inside it would find nothing.
 * The index therefore gets every CJK character as a token of its own, and a CJK search word becomes a
 * phrase of its characters, which finds it anywhere in the text. Other words match by prefix
 * ("pump" finds "pumps"), every word must match, and the person's input is never parsed as FTS5
 * syntax: a stray quote, AND or parenthesis is just text.
 */

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;
const HAS_CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Only ASCII: NFKC leaves it as it is, so the common case skips normalising. */
const ASCII = /^\p{ASCII}*$/u;

/**
 * Text as the index stores it: NFKC-normalised like a search (so "ﬁle" or a full-width "ＡＢＣ" is found
 * by what a keyboard types), with CJK characters spaced apart.
 */
export function ftsText(text: string): string {
  const normal = ASCII.test(text) ? text : text.normalize('NFKC');
  return HAS_CJK.test(normal) ? normal.replace(CJK, ' $& ') : normal;
}

/** Tags as one indexed string. */
export function ftsTags(tags: readonly string[]): string {
  return ftsText(tags.join(' '));
}

/** A search turned into an FTS5 MATCH expression, and the words to highlight in results. */
export interface FtsQuery {
  readonly match: string;
  readonly terms: readonly string[];
}

/** Largest number of words a search uses; more are ignored. */
const MAX_TERMS = 16;

/**
 * Turns what a person typed into an FTS5 query: every word must match, by prefix; a CJK word as a phrase
 * of its characters. Returns undefined when nothing searchable is left (only punctuation, say).
 */
export function ftsQuery(input: string): FtsQuery | undefined {
  const words = input
    .normalize('NFKC')
    // Control and format characters too: FTS5 cannot take a NUL in a query, and the index splits on them.
    .split(/[\s\p{P}\p{S}\p{Cc}\p{Cf}]+/u)
    .filter((w) => w !== '')
    .slice(0, MAX_TERMS);
  if (words.length === 0) return undefined;
  // The prefix mark applies to a phrase's last token: "压力ab" finds "压力abc" as "pump" finds "pumps".
  const parts = words.map((word) => {
    const text = HAS_CJK.test(word) ? ftsText(word).split(/\s+/).filter((t) => t !== '').join(' ') : word;
    return `"${text.replaceAll('"', '""')}"*`;
  });
  return { match: parts.join(' AND '), terms: words };
}
