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

/**
 * An agent that tunnels through the proxy (HTTP CONNECT), or undefined when there is none.
 *
 * Uses https-proxy-agent, which tunnels any TCP protocol, so TLS to the server stays end to end.
 */
export function proxyAgentFor(url: string): Agent | undefined {
  const proxy = proxyFor(url);
  return proxy === undefined ? undefined : new HttpsProxyAgent(proxy);
}
