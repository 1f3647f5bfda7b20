import { describe, expect, it } from 'vitest';
import { plainTextArgument } from '../../electron/headless/node-notifier-adapter.ts';

describe('plainTextArgument', () => {
  it('escapes &, < and > when asked to escape markup', () => {
    expect(plainTextArgument('<b>Tom & Jerry</b> > 3', true)).toBe('&lt;b&gt;Tom &amp; Jerry&lt;/b&gt; &gt; 3');
  });

  it('escapes an existing entity again so it shows literally', () => {
    expect(plainTextArgument('&amp; &lt;', true)).toBe('&amp;amp; &amp;lt;');
  });

  it('leaves markup characters alone when not asked to escape', () => {
    expect(plainTextArgument('<b>Tom & Jerry</b>', false)).toBe('<b>Tom & Jerry</b>');
  });

  it('leaves text without markup or a leading dash unchanged', () => {
    expect(plainTextArgument('Pump 3 stopped - check "valve"', true)).toBe('Pump 3 stopped - check "valve"');
    expect(plainTextArgument('', true)).toBe('');
  });

  it.each([true, false])('puts a word joiner (U+2060) before a leading dash (escapeMarkup %s)', (escapeMarkup) => {
    expect(plainTextArgument('-u critical', escapeMarkup)).toBe('\u2060-u critical');
    expect(plainTextArgument('--help', escapeMarkup)).toBe('\u2060--help');
    expect(plainTextArgument('-', escapeMarkup)).toBe('\u2060-');
  });

  it('adds no word joiner when the dash is not the first character', () => {
    expect(plainTextArgument(' -x', false)).toBe(' -x');
    expect(plainTextArgument('a-b', false)).toBe('a-b');
  });

  it('both escapes and protects a leading dash followed by markup', () => {
    expect(plainTextArgument('-<i>', true)).toBe('\u2060-&lt;i&gt;');
  });
});
