import { describe, expect, it } from 'vitest';
import { ftsQuery, ftsTags, ftsText } from '../../electron/core/store/fts-text.ts';

describe('ftsText', () => {
  it('leaves text without CJK characters as it is', () => {
    expect(ftsText('Pump 3 failed: pressure 4.2 bar')).toBe('Pump 3 failed: pressure 4.2 bar');
    expect(ftsText('Crème brûlée')).toBe('Crème brûlée');
  });

  it('spaces CJK characters apart so each is a token', () => {
    expect(ftsText('泵站压力过高').trim().split(/\s+/)).toEqual(['泵', '站', '压', '力', '过', '高']);
    expect(ftsText('设备abc超限').trim().split(/\s+/)).toEqual(['设', '备', 'abc', '超', '限']);
    expect(ftsText('펌프').trim().split(/\s+/)).toEqual(['펌', '프']);
  });

  it('normalises compatibility characters the way a search is normalised', () => {
    expect(ftsText('ＰＵＭＰ ﬁlter')).toBe('PUMP filter');
  });

  it('joins tags into one string', () => {
    expect(ftsTags(['warning', '警告'])).toBe(`warning ${ftsText('警告')}`);
    expect(ftsTags([])).toBe('');
  });
});

describe('ftsQuery', () => {
  it('quotes every word, matches it by prefix and requires all of them', () => {
    expect(ftsQuery('pump valve')).toEqual({ match: '"pump"* AND "valve"*', terms: ['pump', 'valve'] });
  });

  it('turns a CJK word into a phrase of its characters, still a prefix at its end', () => {
    expect(ftsQuery('压力')).toEqual({ match: '"压 力"*', terms: ['压力'] });
    expect(ftsQuery('压力ab')?.match).toBe('"压 力 ab"*');
  });

  it('splits on punctuation, symbols and control characters, so no FTS5 syntax gets through', () => {
    expect(ftsQuery('"pump" AND (valve* OR ^tank) NEAR/2 x\u0000y')).toEqual({
      match: '"pump"* AND "AND"* AND "valve"* AND "OR"* AND "tank"* AND "NEAR"* AND "2"* AND "x"* AND "y"*',
      terms: ['pump', 'AND', 'valve', 'OR', 'tank', 'NEAR', '2', 'x', 'y'],
    });
    expect(ftsQuery('a\u200bb')?.terms).toEqual(['a', 'b']);
  });

  it('returns undefined when nothing searchable is left', () => {
    expect(ftsQuery('')).toBeUndefined();
    expect(ftsQuery('   ')).toBeUndefined();
    expect(ftsQuery('"')).toBeUndefined();
    expect(ftsQuery('*^()"\'-+:')).toBeUndefined();
    expect(ftsQuery('\u0000\u200b')).toBeUndefined();
  });

  it('normalises the search (NFKC) and keeps at most 16 words', () => {
    expect(ftsQuery('ＡＢＣ')?.terms).toEqual(['ABC']);
    const many = Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ');
    expect(ftsQuery(many)?.terms).toHaveLength(16);
  });
});
