import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

/** Optional fields of a published message. */
export interface NtfyPublishFields {
  readonly title?: string;
  readonly priority?: number;
  readonly tags?: readonly string[];
  readonly click?: string;
  readonly icon?: string;
  readonly actions?: readonly Record<string, unknown>[];
  readonly attachment?: { readonly name: string; readonly url: string };
  readonly sequenceId?: string;
}

/** A message event as the server keeps and sends it (ntfy's wire format; empty fields left out). */
export interface NtfyWireMessage extends Omit<NtfyPublishFields, 'sequenceId'> {
  readonly id: string;
  readonly sequence_id?: string;
  readonly time: number;
  readonly expires?: number;
  readonly event: 'message' | 'message_delete' | 'message_clear';
  readonly topic: string;
  readonly message?: string;
}

/** One subscribe request the server saw, for assertions (transport used, since= asked for). */
export interface NtfySubscribeRequest {
  readonly transport: 'ws' | 'json' | 'sse';
  readonly topics: readonly string[];
  readonly since: string | undefined;
  readonly poll: boolean;
  /** Whether the request was refused (401, or the WebSocket upgrade blocked). */
  readonly refused: boolean;
}

/** Settings of the test server. */
export interface NtfyTestServerOptions {
  /** Interval of keepalive events on each subscription; 0 sends none. Default 45 s, as ntfy. */
  readonly keepaliveIntervalMs?: number;
  /** When set, every request needs one of these (Basic user:password or Bearer token); 401 otherwise. */
  readonly auth?: {
    readonly users?: readonly { readonly username: string; readonly password: string }[];
    readonly tokens?: readonly string[];
  };
}

interface Subscriber {
  readonly topics: ReadonlySet<string>;
  send(event: string, json: string): void;
  sendRaw(text: string): void;
  close(): void;
}

const TOPIC = /^[-_A-Za-z0-9]{1,64}$/;
const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** ntfy's default cache duration: messages expire 12 hours after publishing. */
const CACHE_SEC = 12 * 3600;
const PRIORITY_NAMES: Record<string, number> = { min: 1, low: 2, default: 3, high: 4, max: 5, urgent: 5 };

/** A random 12-character message id, as ntfy makes them. */
function messageId(): string {
  let id = '';
  for (let i = 0; i < 12; i++) id += ID_CHARS[randomInt(ID_CHARS.length)];
  return id;
}

const nowSec = (): number => Math.floor(Date.now() / 1000);

/**
 * A small in-memory server that follows ntfy's documented HTTP API closely enough to test a client.
 *
 * Publishing: `POST /` with a JSON body (topic, message, title, priority, tags, click, icon, actions,
 * attach, filename, sequence_id); `PUT|POST /<topic>` and `/<topic>/<sequence_id>` with the body as
 * the message and Title / Priority / Tags / Click / X-Sequence-ID headers; `DELETE /<topic>/<sid>`
 * (message_delete) and `PUT /<topic>/<sid>/clear` (message_clear). Subscribing: `/<topics>/ws`,
 * `/<topics>/json` and `/<topics>/sse` with `since=` (a message id, a Unix time, a duration such as
 * 10m, `all`, `latest` or `none`) and `poll=1`; an `open` event first (except when polling), then the
 * cached messages, then live ones and keepalives. Every message is kept in memory with its time.
 *
 * Test controls: `blockWebSocketUpgrade` answers upgrades with HTTP 403 as a proxy without WebSocket
 * support would; `dropAllConnections()`; `publishUpdate`, `deleteMessage`, `clearMessage`; `sendRaw`
 * for malformed frames; `postedJson` records each JSON publish (receipts arrive this way).
 */
export class NtfyTestServer {
  /** Answer WebSocket upgrades with HTTP 403 instead of 101. */
  blockWebSocketUpgrade = false;
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #options: NtfyTestServerOptions;
  readonly #messages: NtfyWireMessage[] = [];
  readonly #subscribers = new Set<Subscriber>();
  readonly #subscriptions: NtfySubscribeRequest[] = [];
  readonly #postedJson: Record<string, unknown>[] = [];
  #port = 0;

  private constructor(options: NtfyTestServerOptions) {
    this.#options = options;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.#error(response, 500, (error as Error).message);
        else response.destroy();
      });
    });
    this.#server.on('upgrade', (request, socket, head) => this.#upgrade(request, socket, head));
  }

  /** Starts a server on 127.0.0.1 on a free port. */
  static async start(options: NtfyTestServerOptions = {}): Promise<NtfyTestServer> {
    const server = new NtfyTestServer(options);
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    server.#port = (server.#server.address() as AddressInfo).port;
    return server;
  }

  /** The server root, e.g. http://127.0.0.1:43121 (no trailing slash). */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Every message, delete and clear event published, in order. */
  get messages(): readonly NtfyWireMessage[] {
    return this.#messages;
  }

  /** Every subscribe request seen, in order. */
  get subscriptions(): readonly NtfySubscribeRequest[] {
    return this.#subscriptions;
  }

  /** The JSON bodies POSTed to the root (JSON publishes), in order. */
  get postedJson(): readonly Record<string, unknown>[] {
    return this.#postedJson;
  }

  /** How many subscriptions are open now. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Publishes a message as `PUT /<topic>` would, and sends it to current subscribers. */
  publish(topic: string, message: string, fields: NtfyPublishFields = {}): NtfyWireMessage {
    const time = nowSec();
    const id = messageId();
    return this.#store({
      id,
      ...(fields.sequenceId !== undefined && fields.sequenceId !== id ? { sequence_id: fields.sequenceId } : {}),
      time,
      expires: time + CACHE_SEC,
      event: 'message',
      topic,
      ...(fields.title === undefined ? {} : { title: fields.title }),
      message,
      ...(fields.priority === undefined || fields.priority === 3 ? {} : { priority: fields.priority }),
      ...(fields.tags === undefined || fields.tags.length === 0 ? {} : { tags: fields.tags }),
      ...(fields.click === undefined ? {} : { click: fields.click }),
      ...(fields.icon === undefined ? {} : { icon: fields.icon }),
      ...(fields.actions === undefined ? {} : { actions: fields.actions.map((a) => ({ id: messageId().slice(0, 10), ...a })) }),
      ...(fields.attachment === undefined ? {} : { attachment: fields.attachment }),
    });
  }

  /** Publishes a new version of the message whose sequence id (or id) is `sequenceId`. */
  publishUpdate(sequenceId: string, topic: string, message: string, fields: Omit<NtfyPublishFields, 'sequenceId'> = {}): NtfyWireMessage {
    return this.publish(topic, message, { ...fields, sequenceId });
  }

  /** Sends message_delete for the message whose sequence id (or id) is `sequenceId`. */
  deleteMessage(topic: string, sequenceId: string): NtfyWireMessage {
    return this.#action('message_delete', topic, sequenceId);
  }

  /** Sends message_clear (mark read and dismiss) for the message whose sequence id (or id) is `sequenceId`. */
  clearMessage(topic: string, sequenceId: string): NtfyWireMessage {
    return this.#action('message_clear', topic, sequenceId);
  }

  /** Sends `text` as it is, as one frame or line, to the current subscribers of `topic`. Nothing is cached. */
  sendRaw(topic: string, text: string): void {
    for (const subscriber of this.#subscribers) if (subscriber.topics.has(topic)) subscriber.sendRaw(text);
  }

  /** Cuts every subscription at once, as a server restart or a network drop would. */
  dropAllConnections(): void {
    for (const subscriber of [...this.#subscribers]) subscriber.close();
    this.#subscribers.clear();
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    this.dropAllConnections();
    this.#wss.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #action(event: 'message_delete' | 'message_clear', topic: string, sequenceId: string): NtfyWireMessage {
    const time = nowSec();
    return this.#store({ id: messageId(), sequence_id: sequenceId, time, expires: time + CACHE_SEC, event, topic });
  }

  #store(message: NtfyWireMessage): NtfyWireMessage {
    this.#messages.push(message);
    const json = JSON.stringify(message);
    for (const subscriber of this.#subscribers) if (subscriber.topics.has(message.topic)) subscriber.send(message.event, json);
    return message;
  }

  #authorized(request: IncomingMessage): boolean {
    const auth = this.#options.auth;
    if (auth === undefined) return true;
    const header = request.headers.authorization ?? '';
    const [scheme, value = ''] = header.split(' ', 2);
    if (scheme === 'Bearer') return (auth.tokens ?? []).includes(value);
    if (scheme === 'Basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      return (auth.users ?? []).some((u) => `${u.username}:${u.password}` === decoded);
    }
    return false;
  }

  #error(response: ServerResponse, status: number, error: string): void {
    response.writeHead(status, { 'Content-Type': 'application/json' });
    response.end(`${JSON.stringify({ code: status * 100 + 1, http: status, error })}\n`);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const parts = url.pathname.split('/').filter((part) => part !== '').map(decodeURIComponent);
    const method = request.method ?? 'GET';
    const subscribe = method === 'GET' && parts.length === 2 && ['json', 'sse', 'ws'].includes(parts[1] ?? '');
    if (subscribe) {
      const transport = parts[1] as 'json' | 'sse' | 'ws';
      const topics = (parts[0] ?? '').split(',');
      const authorized = this.#authorized(request);
      this.#subscriptions.push({ transport, topics, since: url.searchParams.get('since') ?? undefined, poll: isOn(url.searchParams.get('poll')), refused: !authorized });
      if (!authorized) return this.#error(response, 401, 'unauthorized');
      if (!topics.every((t) => TOPIC.test(t))) return this.#error(response, 400, 'invalid topic');
      if (transport === 'ws') return this.#error(response, 400, 'WebSocket upgrade expected');
      return this.#subscribeHttp(transport, topics, url, response);
    }
    if (!this.#authorized(request)) return this.#error(response, 401, 'unauthorized');
    const body = await readBody(request);
    if ((method === 'POST' || method === 'PUT') && parts.length === 0) return this.#publishJson(body, response);
    const [topic = '', sequenceId, verb] = parts;
    if (!TOPIC.test(topic) || (sequenceId !== undefined && !TOPIC.test(sequenceId))) return this.#error(response, 404, 'not found');
    if (method === 'DELETE' && sequenceId !== undefined && verb === undefined) return sendJson(response, this.deleteMessage(topic, sequenceId));
    if (method === 'PUT' && sequenceId !== undefined && (verb === 'clear' || verb === 'read')) return sendJson(response, this.clearMessage(topic, sequenceId));
    if ((method === 'POST' || method === 'PUT') && verb === undefined) {
      const header = (...names: string[]): string | undefined => {
        for (const name of names) {
          const value = request.headers[name.toLowerCase()];
          if (typeof value === 'string') return value;
        }
        return undefined;
      };
      const priority = header('X-Priority', 'Priority', 'prio', 'p');
      const tags = header('X-Tags', 'Tags', 'tag', 'ta');
      const title = header('X-Title', 'Title', 'ti', 't');
      const click = header('X-Click', 'Click');
      const sid = sequenceId ?? header('X-Sequence-ID', 'Sequence-ID', 'sid');
      const published = this.publish(topic, body.toString('utf8') || 'triggered', {
        ...(title === undefined ? {} : { title }),
        ...(priority === undefined ? {} : { priority: PRIORITY_NAMES[priority] ?? Number(priority) }),
        ...(tags === undefined ? {} : { tags: tags.split(',').map((t) => t.trim()).filter((t) => t !== '') }),
        ...(click === undefined ? {} : { click }),
        ...(sid === undefined ? {} : { sequenceId: sid }),
      });
      return sendJson(response, published);
    }
    this.#error(response, 404, 'not found');
  }

  #publishJson(body: Buffer, response: ServerResponse): void {
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      return this.#error(response, 400, 'invalid request: request body must be message JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.#error(response, 400, 'invalid request: not a JSON object');
    const m = value as Record<string, unknown>;
    this.#postedJson.push(m);
    const topic = typeof m.topic === 'string' ? m.topic : '';
    if (!TOPIC.test(topic)) return this.#error(response, 400, 'invalid request: topic invalid');
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    const attach = str(m.attach);
    const fields: NtfyPublishFields = {
      ...(str(m.title) === undefined ? {} : { title: str(m.title) as string }),
      ...(typeof m.priority === 'number' ? { priority: m.priority } : {}),
      ...(Array.isArray(m.tags) ? { tags: m.tags.filter((t): t is string => typeof t === 'string') } : {}),
      ...(str(m.click) === undefined ? {} : { click: str(m.click) as string }),
      ...(str(m.icon) === undefined ? {} : { icon: str(m.icon) as string }),
      ...(Array.isArray(m.actions) ? { actions: m.actions.filter((a): a is Record<string, unknown> => typeof a === 'object' && a !== null) } : {}),
      ...(attach === undefined ? {} : { attachment: { name: str(m.filename) ?? attach.split('/').pop() ?? 'attachment', url: attach } }),
      ...(str(m.sequence_id) === undefined ? {} : { sequenceId: str(m.sequence_id) as string }),
    };
    sendJson(response, this.publish(topic, str(m.message) ?? 'triggered', fields));
  }

  #cached(topics: readonly string[], since: string | undefined): NtfyWireMessage[] {
    const wanted = this.#messages.filter((m) => topics.includes(m.topic));
    if (since === undefined || since === 'none') return [];
    if (since === 'all') return wanted;
    if (since === 'latest') return wanted.slice(-1);
    if (/^\d+$/.test(since)) return wanted.filter((m) => m.time >= Number(since));
    const duration = /^(\d+)(s|m|h|d)$/.exec(since);
    if (duration) {
      const seconds = Number(duration[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[duration[2] as 's' | 'm' | 'h' | 'd'];
      return wanted.filter((m) => m.time >= nowSec() - seconds);
    }
    const index = wanted.findIndex((m) => m.id === since);
    return index === -1 ? [] : wanted.slice(index + 1);
  }

  #subscribeHttp(transport: 'json' | 'sse', topics: string[], url: URL, response: ServerResponse): void {
    const poll = isOn(url.searchParams.get('poll'));
    const since = url.searchParams.get('since') ?? (poll ? 'all' : undefined);
    response.writeHead(200, {
      'Content-Type': transport === 'json' ? 'application/x-ndjson; charset=utf-8' : 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
    });
    const write = (event: string, json: string): void => {
      if (transport === 'json') response.write(`${json}\n`);
      else response.write(`${event === 'message' ? '' : `event: ${event}\n`}data: ${json}\n\n`);
    };
    if (poll) {
      for (const m of this.#cached(topics, since)) write(m.event, JSON.stringify(m));
      response.end();
      return;
    }
    const subscriber = this.#subscriber(topics, write, (text) => response.write(transport === 'json' ? `${text}\n` : `data: ${text}\n\n`), () => response.destroy());
    response.on('close', () => subscriber.close());
    this.#start(subscriber, topics, since, write);
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', this.url);
    const parts = url.pathname.split('/').filter((part) => part !== '').map(decodeURIComponent);
    const topics = (parts[0] ?? '').split(',');
    const authorized = this.#authorized(request);
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (parts.length !== 2 || parts[1] !== 'ws' || !topics.every((t) => TOPIC.test(t))) return refuse('404 Not Found');
    this.#subscriptions.push({
      transport: 'ws',
      topics,
      since: url.searchParams.get('since') ?? undefined,
      poll: isOn(url.searchParams.get('poll')),
      refused: this.blockWebSocketUpgrade || !authorized,
    });
    if (this.blockWebSocketUpgrade) return refuse('403 Forbidden');
    if (!authorized) return refuse('401 Unauthorized');
    this.#wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      const poll = isOn(url.searchParams.get('poll'));
      const since = url.searchParams.get('since') ?? (poll ? 'all' : undefined);
      const write = (_event: string, json: string): void => ws.send(json);
      if (poll) {
        for (const m of this.#cached(topics, since)) write(m.event, JSON.stringify(m));
        ws.close();
        return;
      }
      const subscriber = this.#subscriber(topics, write, (text) => ws.send(text), () => ws.terminate());
      ws.on('close', () => subscriber.close());
      this.#start(subscriber, topics, since, write);
    });
  }

  #subscriber(topics: readonly string[], send: Subscriber['send'], sendRaw: Subscriber['sendRaw'], end: () => void): Subscriber {
    let keepalive: NodeJS.Timeout | undefined;
    const interval = this.#options.keepaliveIntervalMs ?? 45_000;
    const subscriber: Subscriber = {
      topics: new Set(topics),
      send,
      sendRaw,
      close: () => {
        if (!this.#subscribers.delete(subscriber) && keepalive === undefined) return;
        clearInterval(keepalive);
        keepalive = undefined;
        end();
      },
    };
    if (interval > 0) {
      keepalive = setInterval(() => {
        send('keepalive', JSON.stringify({ id: messageId(), time: nowSec(), event: 'keepalive', topic: topics.join(',') }));
      }, interval);
    }
    return subscriber;
  }

  /** Sends the open event and the cached messages, then registers for live ones (no gap: all synchronous). */
  #start(subscriber: Subscriber, topics: readonly string[], since: string | undefined, write: Subscriber['send']): void {
    write('open', JSON.stringify({ id: messageId(), time: nowSec(), event: 'open', topic: topics.join(',') }));
    for (const m of this.#cached(topics, since)) write(m.event, JSON.stringify(m));
    this.#subscribers.add(subscriber);
  }
}

function isOn(value: string | null): boolean {
  return value === '1' || value === 'true' || value === 'yes';
}

function sendJson(response: ServerResponse, value: unknown): void {
  response.writeHead(200, { 'Content-Type': 'application/json' });
  response.end(`${JSON.stringify(value)}\n`);
}

async function readBody(request: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
