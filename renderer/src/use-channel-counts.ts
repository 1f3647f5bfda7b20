import { useEffect, useState } from 'react';
import type { MethodResult } from '../../electron/api/contract.ts';
import type { ApiClient } from './api-client.ts';

/** Unread and total messages of one channel. */
export type ChannelCount = MethodResult<'channelCounts'>['channels'][number];

/** How long after a change the counts are asked for again: a burst of messages costs one call. */
const REFRESH_DELAY_MS = 300;

/** The channels with their unread and total counts, kept fresh as messages arrive or are read. */
export function useChannelCounts(api: ApiClient): readonly ChannelCount[] {
  const [channels, setChannels] = useState<readonly ChannelCount[]>([]);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let closed = false;
    const load = (): void => {
      timer = undefined;
      api.call('channelCounts', {}).then(
        (result) => {
          if (!closed) setChannels(result.channels);
        },
        () => {}, // the counts are a convenience; the history shows the error of its own calls
      );
    };
    const later = (): void => {
      timer ??= setTimeout(load, REFRESH_DELAY_MS);
    };
    const offs = [api.onOpen(load), api.on('messagesAdded', later), api.on('messageUpdated', later), api.on('messagesRemoved', later)];
    return () => {
      closed = true;
      offs.forEach((off) => off());
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [api]);
  return channels;
}
