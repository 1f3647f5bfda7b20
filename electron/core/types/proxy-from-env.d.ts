/** Types for proxy-from-env 2.x, which ships none. */
declare module 'proxy-from-env' {
  /** The proxy URL for `url` from *_PROXY / ALL_PROXY, honouring NO_PROXY; '' for none. */
  export function getProxyForUrl(url: string | URL): string;
}
