/**
 * Keyword and tag filters that raise or lower a message's priority.
 */
import type { Priority } from '../../message/message.ts';
import { clampPriority, type PriorityFilter } from './rule-settings.ts';

/** The parts of a message the filters look at. */
export interface FilterableMessage {
  readonly channel: string;
  readonly title: string;
  readonly body: string;
  readonly priority: Priority;
  readonly tags: readonly string[];
}

/** A priority after the filters, with what changed it. */
export interface PriorityAdjustment {
  /** The priority the rules after the filters use. */
  readonly priority: Priority;
  /** The priority the message arrived with. */
  readonly original: Priority;
  /** Each filter that matched, in words: `keyword "outage" +2`. Empty when none did. */
  readonly matched: readonly string[];
}

/**
 * Applies every matching filter to the priority.
 *
 * The adjustments of all matching filters are added up and the sum is kept within 1 to 5 once, at the
 * end, so +2 and -1 on priority 4 give 5. Keywords match anywhere in the title or body, tags match a
 * whole tag; both ignore case.
 */
export function adjustPriority(message: FilterableMessage, filters: readonly PriorityFilter[]): PriorityAdjustment {
  // The lower-cased text and tags are built once, and only when a filter applies to the channel.
  let text: string | undefined;
  let tags: ReadonlySet<string> | undefined;
  let sum = 0;
  const matched: string[] = [];
  for (const filter of filters) {
    if (filter.channels !== undefined && !filter.channels.includes(message.channel)) continue;
    text ??= `${message.title}\n${message.body}`.toLowerCase();
    tags ??= new Set(message.tags.map((t) => t.toLowerCase()));
    const why = matchOf(filter, text, tags);
    if (why === undefined) continue;
    sum += filter.adjust;
    matched.push(`${why} ${filter.adjust > 0 ? '+' : ''}${filter.adjust}`);
  }
  return { priority: clampPriority(message.priority + sum), original: message.priority, matched };
}

function matchOf(filter: PriorityFilter, text: string, tags: ReadonlySet<string>): string | undefined {
  const keyword = filter.keywords.find((k) => text.includes(k.toLowerCase()));
  if (keyword !== undefined) return `keyword "${keyword}"`;
  const tag = filter.tags.find((t) => tags.has(t.toLowerCase()));
  if (tag !== undefined) return `tag "${tag}"`;
  return undefined;
}
