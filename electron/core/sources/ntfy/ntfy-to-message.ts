import type { DecodedMessage } from '../../message/message.ts';
import type { NtfyMessage } from './ntfy-types.ts';

/**
 * Turns an ntfy message event into the hub's message model.
 *
 * A message without a title takes the channel name, as plain MQTT text does. ntfy's actions, attachment
 * metadata, icon and expiry are kept in `extra` for the message view; nothing is downloaded.
 */
export function ntfyToDecoded(message: NtfyMessage, channel: string): DecodedMessage {
  const extra: Record<string, unknown> = {};
  if (message.actions.length > 0) extra.actions = message.actions;
  if (message.attachment) extra.attachment = message.attachment;
  if (message.icon) extra.icon = message.icon;
  if (message.expires !== undefined) extra.expiresAtMs = message.expires * 1000;
  const title = message.title?.trim() ?? '';
  return {
    id: message.id,
    title: title === '' ? channel : title,
    body: message.message?.trim() ?? '',
    priority: message.priority ?? 3,
    tags: message.tags,
    click: message.click,
    sentAtMs: message.time * 1000,
    sequenceId: message.sequenceId,
    extra: Object.keys(extra).length > 0 ? extra : undefined,
  };
}
