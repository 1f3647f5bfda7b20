import type { MethodResult } from '../../electron/api/contract.ts';
import type { ApiClient } from './api-client.ts';
import { useCoreCall, type CoreCallOptions } from './use-core-call.ts';

/** Unread and total messages of one channel. */
export type ChannelCount = MethodResult<'channelCounts'>['channels'][number];

/** Read again 300 ms after messages arrive, change or go: a burst of them costs one call. */
const WHEN: CoreCallOptions = { refreshOn: ['messagesAdded', 'messageUpdated', 'messagesRemoved'], refreshDelayMs: 300 };
const NONE: readonly ChannelCount[] = [];

/**
 * The channels with their unread and total counts, kept fresh as messages arrive or are read. A failed
 * call is not shown: the counts are a convenience, and the history shows the errors of its own calls.
 */
export function useChannelCounts(api: ApiClient): readonly ChannelCount[] {
  return useCoreCall(api, 'channelCounts', WHEN).result?.channels ?? NONE;
}
