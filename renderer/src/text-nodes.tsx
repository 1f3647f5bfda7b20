import type { ReactNode } from 'react';
import { isOpenableLink } from '../../electron/api/links.ts';

/*
 * Message text becomes React text nodes and elements, never HTML: whatever a sender puts in a title
 * or body is shown as the characters it is.
 */

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Text with every occurrence of the search terms wrapped in <mark> (case-insensitive).
 *
 * Longer terms are tried first so "pumps" is marked whole when both "pump" and "pumps" are terms.
 */
export function highlight(text: string, terms: readonly string[]): ReactNode {
  const usable = terms.filter((t) => t.trim() !== '');
  if (usable.length === 0 || text === '') return text;
  const pattern = new RegExp(`(${[...usable].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})`, 'giu');
  const parts = text.split(pattern);
  // split with one capturing group: matches sit at the odd indexes.
  return parts.map((part, i) => (i % 2 === 1 ? <mark key={i}>{part}</mark> : part));
}

/** Candidate links in text: http(s) addresses up to white space or a quote or angle bracket. */
const LINK_PATTERN = /https?:\/\/[^\s<>"'`]+/giu;

/**
 * Text with its http and https links as <a> elements, each checked with isOpenableLink; anything
 * else (javascript:, file:, a link written as HTML) stays text.
 */
export function linkify(text: string, terms: readonly string[] = []): ReactNode[] {
  const nodes: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(LINK_PATTERN)) {
    // A sentence's closing punctuation is not part of the link.
    const url = match[0].replace(/[.,;:!?)\]}]+$/u, '');
    const start = match.index;
    if (url === '' || !isOpenableLink(url)) continue;
    if (start > last) nodes.push(<span key={`t${last}`}>{highlight(text.slice(last, start), terms)}</span>);
    nodes.push(
      <a key={`a${start}`} href={url} target="_blank" rel="noopener noreferrer">
        {url}
      </a>,
    );
    last = start + url.length;
  }
  if (last < text.length) nodes.push(<span key={`t${last}`}>{highlight(text.slice(last), terms)}</span>);
  return nodes;
}
