import type { Agent } from 'node:http';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';

/**
 * The proxy to use for a WebSocket or HTTPS URL, from HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY.
 *
 * ws:// follows HTTP_PROXY and wss:// follows HTTPS_PROXY, as for http and https. Used by the headless
 * shell; the Electron shell follows the system's proxy settings instead.
 *
 * @returns the proxy URL, or undefined when the URL is not proxied.
 */
export function proxyFor(url: string): string | undefined {
  const asHttp = url.replace(/^ws(s?):/i, 'http$1:');
  const proxy = getProxyForUrl(asHttp);
  return proxy === '' ? undefined : proxy;
}

/** Finds the proxy URL for a server URL; the Electron shell passes one built from the system settings. */
export type ProxyResolver = (url: string) => string | undefined;

/**
 * Turns a PAC-style answer ("PROXY host:port; DIRECT", as Electron's session.resolveProxy gives it)
 * into a proxy URL; DIRECT or anything unusable means no proxy.
 */
export function proxyFromPac(answer: string): string | undefined {
  const first = answer.split(';')[0]?.trim() ?? '';
  const match = /^(PROXY|HTTPS)\s+(\S+)$/i.exec(first);
  if (!match) return undefined;
  return `${match[1]?.toUpperCase() === 'HTTPS' ? 'https' : 'http'}://${match[2]}`;
}

/**
 * An agent that tunnels through the proxy (HTTP CONNECT), or undefined when there is none.
 *
 * Uses https-proxy-agent, which tunnels any TCP protocol, so TLS to the server stays end to end.
 */
export function proxyAgentFor(url: string, resolve: ProxyResolver = proxyFor): Agent | undefined {
  const proxy = resolve(url);
  return proxy === undefined ? undefined : new HttpsProxyAgent(proxy);
}
