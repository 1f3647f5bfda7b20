import { z } from 'zod';
import { offeredChannelSchema, type OfferedChannel } from '../config/config-schema.ts';
import { describeIssues } from '../config/load-config.ts';

/** The largest directory message accepted, in bytes. */
export const MAX_DIRECTORY_BYTES = 256 * 1024;

/**
 * The broker's retained channel directory (docs/channels.md): which channels a person may subscribe
 * to on this connection.
 *
 * ```json
 * { "version": 1, "channels": [ { "topic": "plant/line1/alarms/#", "channel": "Line 1 alarms", "description": "…" } ] }
 * ```
 */
export const directoryMessageSchema = z
  .object({
    version: z.literal(1, { error: 'must be 1' }),
    channels: z.array(offeredChannelSchema).max(1000, 'must list at most 1000 channels'),
  })
  // Later versions may add fields: unknown ones are ignored rather than refused.
  .loose();

/** A directory message that could not be used, with the reason naming the field. */
export class DirectoryMessageError extends Error {}

/**
 * Reads a directory message. An empty payload (the retained message was cleared) lists nothing.
 *
 * @throws DirectoryMessageError naming what was wrong (size, JSON, a field).
 */
export function parseDirectoryMessage(payload: Uint8Array): OfferedChannel[] {
  if (payload.length === 0) return [];
  if (payload.length > MAX_DIRECTORY_BYTES) {
    throw new DirectoryMessageError(`the directory message has ${payload.length} bytes, over the limit of ${MAX_DIRECTORY_BYTES}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch (error) {
    throw new DirectoryMessageError(`the directory message is not JSON: ${(error as Error).message}`);
  }
  const parsed = directoryMessageSchema.safeParse(raw);
  if (!parsed.success) throw new DirectoryMessageError(`the directory message is invalid: ${describeIssues(parsed.error.issues).join('; ')}`);
  return parsed.data.channels;
}
