/**
 * Whether a link from a message may be opened: absolute http or https URLs only (never javascript:,
 * file:, data: or anything relative). Both the UI and the Electron shell check it.
 */
export function isOpenableLink(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
