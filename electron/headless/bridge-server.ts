import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { clientFrameSchema, type ServerFrame } from '../api/contract.ts';
import { forwardHubEvents, type ApiService } from '../core/api-service.ts';
import type { Hub } from '../core/hub.ts';
import type { Logger } from '../core/logger.ts';
import { EXPORT_FORMATS, writeExport, type ExportFormat } from '../core/store/export.ts';
import type { ExportRequest } from '../core/api-service.ts';
import { loadStaticFiles } from './static-files.ts';

/** The bridge address that streams an export (see exportHref). */
export const EXPORT_PATH = '/export';

/** The bridge address of the diagnostics bundle (a JSON download). */
export const DIAGNOSTICS_PATH = '/diagnostics';

/** The download address of an export on the bridge, relative to the page. */
export function exportHref(request: ExportRequest): string {
  const query = new URLSearchParams({ format: request.format });
  if (request.text !== undefined && request.text.trim() !== '') query.set('text', request.text);
  if (request.channel !== undefined) query.set('channel', request.channel);
  if (request.minPriority !== undefined) query.set('minPriority', String(request.minPriority));
  if (request.sinceMs !== undefined) query.set('since', String(request.sinceMs));
  if (request.untilMs !== undefined) query.set('until', String(request.untilMs));
  if (request.unreadOnly === true) query.set('unread', '1');
  return `${EXPORT_PATH}?${query.toString()}`;
}

/** Largest WebSocket frame the bridge accepts from a browser, in bytes. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

/** The Content-Security-Policy sent with every page: no inline script, no remote anything. */
export const BRIDGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A running bridge. */
export interface Bridge {
  readonly port: number;
  readonly token: string;
  /** The full UI address, token included: what the hub prints. */
  readonly url: string;
  close(): Promise<void>;
}

/** What the bridge serves and where. */
export interface BridgeOptions {
  readonly hub: Hub;
  readonly service: ApiService;
  readonly uiDir: string;
  readonly logger: Logger;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** A fixed token for tests; by default 32 random bytes. */
  readonly token?: string;
  /** The diagnostics bundle served at DIAGNOSTICS_PATH (secrets already removed). */
  readonly diagnostics?: () => unknown;
}

/** A request's URL, or undefined when it cannot be parsed (it must never throw in a request handler). */
function parseRequestUrl(raw: string | undefined): URL | undefined {
  try {
    return new URL(raw ?? '/', 'http://127.0.0.1');
  } catch {
    return undefined;
  }
}

/** The address a token-bearing request is sent on to: the same path and query, minus the token. */
function withoutToken(raw: string | undefined): string {
  const url = parseRequestUrl(raw) ?? new URL('/', 'http://127.0.0.1');
  url.searchParams.delete('token');
  return `${url.pathname}${url.search}`;
}

function sameSecret(given: string | undefined, expected: Buffer): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  return a.length === expected.length && timingSafeEqual(a, expected);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/**
 * Serves the built UI and the UI contract over HTTP and WebSocket on 127.0.0.1.
 *
 * Every request must carry the token, as `?token=` (which sets an HttpOnly, SameSite=Strict cookie
 * and redirects to the same path without it) or as that cookie. Requests without it, with a wrong
 * one, with a Host other than the loopback address (DNS rebinding) or, for WebSockets, from another
 * origin get an empty 401.
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const files = loadStaticFiles(options.uiDir);
  const token = options.token ?? randomBytes(32).toString('base64url');
  const expected = Buffer.from(token);
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES });
  const server: Server = createServer();
  let port = 0;
  const cookieName = (): string => `pushdesk_${port}`;
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];

  const authorized = (req: IncomingMessage): { ok: boolean; viaQuery: boolean; path: string } => {
    const url = parseRequestUrl(req.url);
    // A request line no URL parser accepts ("//", "/\\"): refused like any other unauthorized request.
    if (url === undefined) return { ok: false, viaQuery: false, path: '' };
    const queryToken = url.searchParams.get('token') ?? undefined;
    const hostOk = allowedHosts().includes(req.headers.host ?? '');
    if (!hostOk) return { ok: false, viaQuery: false, path: url.pathname };
    if (queryToken !== undefined) return { ok: sameSecret(queryToken, expected), viaQuery: true, path: url.pathname };
    return { ok: sameSecret(cookieValue(req.headers.cookie, cookieName()), expected), viaQuery: false, path: url.pathname };
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const auth = authorized(req);
    if (!auth.ok) {
      res.writeHead(401, { 'Content-Length': '0', 'Cache-Control': 'no-store' }).end();
      return;
    }
    const common = {
      'Content-Security-Policy': BRIDGE_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    };
    if (auth.viaQuery) {
      res
        .writeHead(303, {
          ...common,
          Location: withoutToken(req.url),
          'Set-Cookie': `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`,
          'Content-Length': '0',
        })
        .end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...common, Allow: 'GET, HEAD', 'Content-Length': '0' }).end();
      return;
    }
    if (auth.path === EXPORT_PATH) {
      serveExport(req, res, common, options);
      return;
    }
    if (auth.path === DIAGNOSTICS_PATH && options.diagnostics) {
      let body: Buffer;
      try {
        body = Buffer.from(`${JSON.stringify(options.diagnostics(), null, 2)}\n`);
      } catch (error) {
        options.logger.error('bridge: building the diagnostics bundle failed', { error: (error as Error).message });
        res.writeHead(500, { ...common, 'Content-Type': 'text/plain; charset=utf-8' }).end('the diagnostics bundle could not be built; see the log');
        return;
      }
      res.writeHead(200, {
        ...common,
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': String(body.length),
        'Content-Disposition': `attachment; filename="pushdesk-diagnostics-${new Date().toISOString().slice(0, 10)}.json"`,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const file = files.get(auth.path === '/' ? '/index.html' : auth.path);
    if (!file) {
      res.writeHead(404, { ...common, 'Content-Length': '0' }).end();
      return;
    }
    res.writeHead(200, { ...common, 'Content-Type': file.contentType, 'Content-Length': String(file.body.length) });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const auth = authorized(req);
    const originOk = allowedHosts().some((host) => req.headers.origin === `http://${host}`);
    if (!auth.ok || !originOk || auth.path !== '/ws') {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, options));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Streams history as a file download: JSONL or CSV, optionally one channel and since a time. */
function serveExport(req: IncomingMessage, res: ServerResponse, common: Record<string, string>, options: BridgeOptions): void {
  const query = (parseRequestUrl(req.url) ?? new URL('/', 'http://127.0.0.1')).searchParams;
  const format = (query.get('format') ?? 'jsonl') as ExportFormat;
  const time = (name: string): number | undefined => {
    const value = query.get(name);
    return value === null ? undefined : Number(value);
  };
  const sinceMs = time('since');
  const untilMs = time('until');
  const minPriority = time('minPriority');
  const text = query.get('text') ?? undefined;
  const badTime = [sinceMs, untilMs].some((t) => t !== undefined && !(Number.isSafeInteger(t) && t >= 0));
  const badPriority = minPriority !== undefined && !(Number.isInteger(minPriority) && minPriority >= 1 && minPriority <= 5);
  if (!EXPORT_FORMATS.includes(format) || badTime || badPriority || (text !== undefined && text.length > 500)) {
    res
      .writeHead(400, { ...common, 'Content-Type': 'text/plain; charset=utf-8' })
      .end('format must be jsonl or csv; since and until must be epoch milliseconds; minPriority 1 to 5; text at most 500 characters');
    return;
  }
  const stamp = new Date().toISOString().slice(0, 10);
  res.writeHead(200, {
    ...common,
    'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'Content-Disposition': `attachment; filename="pushdesk-${stamp}.${format}"`,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const channel = query.get('channel') ?? undefined;
  // A download the browser cancels must stop the export: otherwise the wait for 'drain' never ends and
  // the store's statement stays open on the hub's connection (which keeps the WAL from being reset).
  let gone = false;
  const cancelled = new Promise<never>((_resolve, reject) =>
    res.once('close', () => {
      gone = true;
      if (!res.writableFinished) reject(new Error('the download was cancelled'));
    }),
  );
  cancelled.catch(() => {});
  const unreadOnly = query.get('unread') === '1' ? true : undefined;
  void writeExport(options.hub.exportMessages({ text, channel, minPriority, sinceMs, untilMs, unreadOnly }), format, (chunk) => {
    if (gone) throw new Error('the download was cancelled');
    return res.write(chunk) ? undefined : Promise.race([new Promise<void>((done) => res.once('drain', () => done())), cancelled]);
  })
    .then((count) => {
      res.end();
      options.logger.info('bridge: exported history', { count, format });
    })
    .catch((error: unknown) => {
      // The for-of in writeExport ends the store's iterator on the way out (its statement is reset).
      if (gone) options.logger.info('bridge: export stopped, the download was cancelled', { format });
      else options.logger.error('bridge: export failed', { error: (error as Error).message });
      res.destroy();
    });
}

function serveSocket(ws: WebSocket, options: BridgeOptions): void {
  const send = (frame: ServerFrame): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const unsubscribe = forwardHubEvents(options.hub, (name, payload) => send({ type: 'event', name, payload }));
  ws.on('close', unsubscribe);
  // ws reports a frame it cannot accept (too large, invalid UTF-8, bad opcode) as an error on the
  // socket: without a listener that would end the whole hub.
  ws.on('error', (error) => {
    options.logger.warn('bridge: closed a socket that sent an invalid frame', { error: error.message.slice(0, 200) });
    ws.terminate();
  });
  ws.on('message', (data, isBinary) => {
    let frame;
    try {
      frame = clientFrameSchema.parse(JSON.parse(isBinary ? '' : data.toString()));
    } catch (error) {
      options.logger.warn('bridge: dropped a malformed frame', { error: (error as Error).message.slice(0, 200) });
      return;
    }
    void options.service.call(frame.method, frame.args).then((outcome) => {
      send(outcome.ok ? { type: 'result', id: frame.id, ok: true, value: outcome.value } : { type: 'result', id: frame.id, ok: false, error: outcome.error });
    });
  });
}
