import type { Logger } from '../core/logger.ts';

/**
 * pushdesk:// links: a strict parser and what the shell does with each kind.
 *
 * A link comes from anywhere (a web page, a chat, a mail): everything in it is hostile until checked.
 * The parser accepts three shapes and nothing else:
 *   pushdesk://message/<seq>                      show a stored message
 *   pushdesk://channel/<name>                     show a channel (name percent-encoded)
 *   pushdesk://add-connection?url=<url>&name=<n>  propose a connection; added only after the person confirms
 */

/** The URL scheme Pushdesk registers with the OS. */
export const DEEP_LINK_SCHEME = 'pushdesk';

/** Longest link accepted, in characters. */
export const MAX_LINK_LENGTH = 2048;
/** Longest server address an add-connection link may carry. */
export const MAX_CONNECTION_URL_LENGTH = 1024;
/** Longest channel name (the configuration's limit). */
export const MAX_CHANNEL_LENGTH = 100;
/** Longest name for a proposed connection. */
export const MAX_CONNECTION_NAME_LENGTH = 64;

/** Server addresses a link may propose: MQTT (TCP, TLS, WebSocket) and ntfy (http, https). */
const CONNECTION_PROTOCOLS = ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'http:', 'https:'];

/** What a valid link asks for. */
export type DeepLink =
  | { readonly kind: 'message'; readonly seq: number }
  | { readonly kind: 'channel'; readonly channel: string }
  | { readonly kind: 'add-connection'; readonly url: string; readonly name: string | undefined };

/** A parsed link, or why it was refused (words for the log). */
export type DeepLinkResult = { readonly ok: true; readonly link: DeepLink } | { readonly ok: false; readonly reason: string };

// Control characters, and the bidirectional controls that could make a confirmation dialog show a
// different address than the one it confirms.
// eslint-disable-next-line no-control-regex
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const refuse = (reason: string): DeepLinkResult => ({ ok: false, reason });

/**
 * Parses a pushdesk:// link strictly: the exact shapes above, no user name, port, fragment or extra
 * parameters, bounded lengths, and values checked after percent-decoding. One trailing slash is
 * tolerated (Windows adds one to some links).
 */
export function parseDeepLink(raw: unknown): DeepLinkResult {
  if (typeof raw !== 'string') return refuse('not a string');
  if (raw.length > MAX_LINK_LENGTH) return refuse(`longer than ${MAX_LINK_LENGTH} characters`);
  // Spaces, control characters and anything outside printable ASCII must arrive percent-encoded.
  if (!/^[\x21-\x7e]*$/.test(raw)) return refuse('contains spaces, control characters or unencoded non-ASCII characters');
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?(#.*)?$/.exec(raw);
  if (!match) return refuse(`not a ${DEEP_LINK_SCHEME}:// link`);
  const [, scheme = '', host = '', path = '', query, fragment] = match;
  if (scheme.toLowerCase() !== DEEP_LINK_SCHEME) return refuse(`the scheme is "${scheme}", not ${DEEP_LINK_SCHEME}`);
  if (fragment !== undefined) return refuse('has a #fragment');
  if (host.includes('@')) return refuse('carries a user name or password');
  if (host.includes(':')) return refuse('has a port');
  const kind = host.toLowerCase();
  const segments = path.replace(/^\//, '').replace(/\/$/, '');

  switch (kind) {
    case 'message': {
      if (query !== undefined) return refuse('a message link takes no parameters');
      if (!/^[1-9][0-9]*$/.test(segments)) return refuse('a message link needs a message number: pushdesk://message/<number>');
      const seq = Number(segments);
      if (segments.length > 16 || !Number.isSafeInteger(seq)) return refuse('the message number is too large');
      return { ok: true, link: { kind: 'message', seq } };
    }
    case 'channel': {
      if (query !== undefined) return refuse('a channel link takes no parameters');
      if (segments === '') return refuse('a channel link needs a name: pushdesk://channel/<name>');
      if (segments.includes('/')) return refuse('a channel name in a link must encode "/" as %2F');
      const channel = decode(segments);
      if (channel === undefined) return refuse('the channel name is badly percent-encoded');
      const problem = textProblem(channel, MAX_CHANNEL_LENGTH);
      return problem ? refuse(`the channel name ${problem}`) : { ok: true, link: { kind: 'channel', channel } };
    }
    case 'add-connection':
      if (segments !== '') return refuse('an add-connection link has no path: pushdesk://add-connection?url=...');
      return parseAddConnection(query);
    default:
      return refuse(`"${host.slice(0, 40)}" is not a kind of link Pushdesk knows (message, channel, add-connection)`);
  }
}

function parseAddConnection(query: string | undefined): DeepLinkResult {
  if (query === undefined || query === '?') return refuse('an add-connection link needs ?url=<server address>');
  const values = new Map<string, string>();
  for (const pair of query.slice(1).split('&')) {
    const at = pair.indexOf('=');
    const key = decode(at < 0 ? pair : pair.slice(0, at));
    const value = decode((at < 0 ? '' : pair.slice(at + 1)).replaceAll('+', ' '));
    if (key === undefined || value === undefined) return refuse('a parameter is badly percent-encoded');
    if (key !== 'url' && key !== 'name') return refuse(`unknown parameter "${key.slice(0, 40)}" (only url and name)`);
    if (values.has(key)) return refuse(`the parameter "${key}" is given twice`);
    values.set(key, value);
  }
  const url = values.get('url');
  if (url === undefined || url === '') return refuse('an add-connection link needs ?url=<server address>');
  if (url.length > MAX_CONNECTION_URL_LENGTH) return refuse(`the server address is longer than ${MAX_CONNECTION_URL_LENGTH} characters`);
  if (UNSAFE_TEXT.test(url) || /\s/.test(url)) return refuse('the server address contains spaces or control characters');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse('the server address is not a URL');
  }
  if (!CONNECTION_PROTOCOLS.includes(parsed.protocol)) return refuse(`the server address must start with mqtt://, mqtts://, ws://, wss://, http:// or https://`);
  if (parsed.hostname === '') return refuse('the server address names no host');
  if (parsed.username !== '' || parsed.password !== '') return refuse('the server address must not carry a user name or password');
  const name = values.get('name');
  if (name !== undefined) {
    const problem = textProblem(name, MAX_CONNECTION_NAME_LENGTH);
    if (problem) return refuse(`the connection name ${problem}`);
  }
  // The normalised form (punycode host) is what the person confirms and what is logged.
  return { ok: true, link: { kind: 'add-connection', url: parsed.href, name } };
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function textProblem(text: string, max: number): string | undefined {
  if (text.trim() === '') return 'is empty';
  if (text.length > max) return `is longer than ${max} characters`;
  if (UNSAFE_TEXT.test(text)) return 'contains control or text-direction characters';
  return undefined;
}

/**
 * The pushdesk:// link among command-line arguments (Windows and Linux pass a clicked link this way,
 * at start and to the running instance), or undefined. Chromium may add its own switches around it.
 */
export function deepLinkFromArgv(argv: readonly string[]): string | undefined {
  return argv.find((arg) => arg.toLowerCase().startsWith(`${DEEP_LINK_SCHEME}:`));
}

/** What the shell does for each kind of link; injected so the decisions are testable without Electron. */
export interface DeepLinkActions {
  /** Brings the window up and shows the message. */
  openMessage(seq: number): void;
  /** Brings the window up on the channel. */
  openChannel(channel: string): void;
  /** Asks the person, showing the address as plain text; true only on an explicit yes. */
  confirmAddConnection(url: string, name: string | undefined): Promise<boolean>;
  /** Carries out a confirmed add-connection: opens the window's connection form with it filled in. */
  addConnection(url: string, name: string | undefined): Promise<void> | void;
  readonly logger: Logger;
}

/**
 * Parses a link and acts on it. A refused link is logged with its reason and otherwise ignored (a
 * web page must not be able to pop dialogs with made-up text); nothing of a refused link but its
 * length is logged.
 */
export async function handleDeepLink(raw: string, actions: DeepLinkActions): Promise<DeepLink | undefined> {
  const result = parseDeepLink(raw);
  if (!result.ok) {
    actions.logger.warn('pushdesk:// link refused', { reason: result.reason, length: raw.length });
    return undefined;
  }
  const link = result.link;
  switch (link.kind) {
    case 'message':
      actions.logger.info('pushdesk:// link: open a message', { seq: link.seq });
      actions.openMessage(link.seq);
      break;
    case 'channel':
      actions.logger.info('pushdesk:// link: open a channel', { channel: link.channel });
      actions.openChannel(link.channel);
      break;
    case 'add-connection': {
      const confirmed = await actions.confirmAddConnection(link.url, link.name);
      actions.logger.info('pushdesk:// link: add a connection', { url: link.url, name: link.name, confirmed });
      if (confirmed) await actions.addConnection(link.url, link.name);
      break;
    }
  }
  return link;
}
