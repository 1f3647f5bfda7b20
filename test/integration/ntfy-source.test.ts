import { afterEach, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../electron/core/logger.ts';
import { Backoff } from '../../electron/core/sources/backoff.ts';
import { NtfySource, type NtfySourceTuning } from '../../electron/core/sources/ntfy/ntfy-source.ts';
import type { CursorStore, NtfyConnectionOptions, NtfyMessage, NtfySink } from '../../electron/core/sources/ntfy/ntfy-types.ts';
import { waitFor } from '../helpers/net.ts';
import { NtfyTestServer, type NtfyTestServerOptions } from '../helpers/ntfy-test-server.ts';

/** Records what the source delivers; `failOnce` makes the first delivery of that id throw, as a failed store would. */
class RecordingSink implements NtfySink {
  readonly messages: NtfyMessage[] = [];
  readonly removals: { kind: 'delete' | 'clear'; message: NtfyMessage }[] = [];
  failOnce: string | undefined;

  message(connectionId: string, message: NtfyMessage): boolean {
    expect(connectionId).toBe('ntfy-test');
    if (message.id === this.failOnce) {
      this.failOnce = undefined;
      throw new Error('disk full');
    }
    this.messages.push(message);
    return true;
  }

  remove(_connectionId: string, kind: 'delete' | 'clear', message: NtfyMessage): void {
    this.removals.push({ kind, message });
  }

  get ids(): string[] {
    return this.messages.map((m) => m.id);
  }
}

class MemoryCursor implements CursorStore {
  readonly saves: string[] = [];

  /** Message ids saved, without the server time saved at the first `open` of a fresh cursor. */
  get savedIds(): string[] {
    return this.saves.filter((id) => !/^\d+$/.test(id));
  }
  #value: string | undefined;
  constructor(value: string | undefined = undefined) {
    this.#value = value;
  }
  load(): string | undefined {
    return this.#value;
  }
  save(id: string): void {
    this.#value = id;
    this.saves.push(id);
  }
}

class RecordingLogger implements Logger {
  readonly lines: { level: string; message: string; fields: LogFields | undefined }[] = [];
  info(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'error', message, fields });
  }
}

const servers: NtfyTestServer[] = [];
const sources: NtfySource[] = [];

afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startServer(options: NtfyTestServerOptions = {}): Promise<NtfyTestServer> {
  const server = await NtfyTestServer.start(options);
  servers.push(server);
  return server;
}

function startSource(
  server: NtfyTestServer,
  config: Partial<NtfyConnectionOptions> = {},
  extra: { cursor?: MemoryCursor } & NtfySourceTuning = {},
): { source: NtfySource; sink: RecordingSink; cursor: MemoryCursor; logger: RecordingLogger } {
  const sink = new RecordingSink();
  const cursor = extra.cursor ?? new MemoryCursor();
  const logger = new RecordingLogger();
  const source = new NtfySource({
    config: { id: 'ntfy-test', url: server.url, topics: ['alerts'], transport: 'auto', auth: undefined, maxPayloadBytes: 64 * 1024, ...config },
    sink,
    cursor,
    logger,
    backoff: new Backoff({ baseMs: 50, capMs: 200, resetAfterMs: 60_000 }),
    ...(extra.keepaliveTimeoutMs === undefined ? {} : { keepaliveTimeoutMs: extra.keepaliveTimeoutMs }),
  });
  sources.push(source);
  source.start();
  return { source, sink, cursor, logger };
}

const subscribed = (server: NtfyTestServer, count = 1) => waitFor(`${count} subscription(s) on the server`, () => (server.subscriberCount === count ? true : undefined));
const delivered = (sink: RecordingSink, count: number) => waitFor(`${count} message(s) at the sink`, () => (sink.messages.length >= count ? true : undefined));

describe('NtfySource over the WebSocket', () => {
  it('delivers each message in order and saves the cursor after the sink returned', async () => {
    const server = await startServer();
    const { source, sink, cursor } = startSource(server);
    await subscribed(server);
    const published = ['one', 'two', 'three'].map((text) => server.publish('alerts', text, { title: 'Pump', priority: 4, tags: ['warning'] }));
    await delivered(sink, 3);
    expect(sink.ids).toEqual(published.map((m) => m.id));
    expect(sink.messages[0]).toMatchObject({ topic: 'alerts', title: 'Pump', message: 'one', priority: 4, tags: ['warning'] });
    expect(cursor.saves[0]).toMatch(/^\d+$/); // the server's time, from the first open event
    expect(cursor.savedIds).toEqual(published.map((m) => m.id));
    expect(server.subscriptions).toEqual([{ transport: 'ws', topics: ['alerts'], since: undefined, poll: false, refused: false }]);
    expect(source.transport).toBe('ws');
    expect(source.status()).toMatchObject({ state: 'connected', received: 3, rejected: 0, lastError: undefined });
  });

  it('resumes after every connection is dropped: no gap and no duplicate, asking since=<last id>', async () => {
    const server = await startServer();
    const { sink } = startSource(server);
    await subscribed(server);
    const first = server.publish('alerts', 'before the drop');
    await delivered(sink, 1);
    server.dropAllConnections();
    // Published while the source is disconnected (it reconnects only after its backoff).
    const missed = [server.publish('alerts', 'while down 1'), server.publish('alerts', 'while down 2')];
    await subscribed(server);
    const after = server.publish('alerts', 'after the reconnect');
    await delivered(sink, 4);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.ids).toEqual([first, ...missed, after].map((m) => m.id));
    expect(server.subscriptions.map((s) => s.since)).toEqual([undefined, first.id]);
  });

  it('resumes from the open event\'s server time when the link drops before any message', async () => {
    const server = await startServer();
    const { sink } = startSource(server);
    await subscribed(server);
    server.dropAllConnections();
    const missed = server.publish('alerts', 'while down');
    await delivered(sink, 1);
    expect(sink.ids).toEqual([missed.id]);
    expect(server.subscriptions[1]?.since).toMatch(/^\d+$/);
  });

  it('starts from the stored cursor', async () => {
    const server = await startServer();
    const old = server.publish('alerts', 'already delivered last run');
    const newer = server.publish('alerts', 'published while the hub was closed');
    const { sink } = startSource(server, {}, { cursor: new MemoryCursor(old.id) });
    await delivered(sink, 1);
    expect(sink.ids).toEqual([newer.id]);
    expect(server.subscriptions[0]?.since).toBe(old.id);
  });

  it('delivers an event the server repeats only once', async () => {
    const server = await startServer();
    const { sink } = startSource(server);
    await subscribed(server);
    const message = server.publish('alerts', 'once');
    server.sendRaw('alerts', JSON.stringify(message));
    const sentinel = server.publish('alerts', 'sentinel');
    await delivered(sink, 2);
    expect(sink.ids).toEqual([message.id, sentinel.id]);
  });

  it('delivers a replaced message (same sequence id) with its sequence id', async () => {
    const server = await startServer();
    const { sink } = startSource(server);
    await subscribed(server);
    const original = server.publish('alerts', 'Download 10%');
    const update = server.publishUpdate(original.id, 'alerts', 'Download 100%');
    await delivered(sink, 2);
    expect(sink.messages.map((m) => [m.id, m.sequenceId, m.message])).toEqual([
      [original.id, undefined, 'Download 10%'],
      [update.id, original.id, 'Download 100%'],
    ]);
  });

  it('hands message_clear and message_delete to sink.remove with the sequence id', async () => {
    const server = await startServer();
    const { sink, cursor } = startSource(server);
    await subscribed(server);
    const message = server.publish('alerts', 'to be dismissed', { sequenceId: 'backup-42' });
    const clear = server.clearMessage('alerts', 'backup-42');
    const remove = server.deleteMessage('alerts', 'backup-42');
    await waitFor('both removals', () => (sink.removals.length === 2 ? true : undefined));
    expect(sink.messages.map((m) => m.sequenceId)).toEqual(['backup-42']);
    expect(sink.removals.map((r) => [r.kind, r.message.id, r.message.sequenceId])).toEqual([
      ['clear', clear.id, 'backup-42'],
      ['delete', remove.id, 'backup-42'],
    ]);
    expect(cursor.savedIds).toEqual([message.id, clear.id, remove.id]);
  });

  it('skips a malformed frame between two good ones, counts and logs it, and keeps the link', async () => {
    const server = await startServer();
    const { source, sink, logger } = startSource(server);
    await subscribed(server);
    const before = server.publish('alerts', 'good 1');
    server.sendRaw('alerts', '{"id":"broken","time":');
    const after = server.publish('alerts', 'good 2');
    await delivered(sink, 2);
    expect(sink.ids).toEqual([before.id, after.id]);
    expect(source.status()).toMatchObject({ rejected: 1, received: 2, reconnects: 0, state: 'connected' });
    expect(server.subscriptions).toHaveLength(1);
    expect(logger.lines).toContainEqual({
      level: 'warn',
      message: 'ntfy frame rejected',
      fields: expect.objectContaining({ connection: 'ntfy-test', reason: expect.stringMatching(/^frame is not valid JSON/), rejected: 1 }),
    });
  });

  it('drops the link when the sink cannot store, and gets the message again after reconnecting', async () => {
    const server = await startServer();
    const { sink, cursor } = startSource(server);
    await subscribed(server);
    const first = server.publish('alerts', 'stored');
    await delivered(sink, 1);
    const failing = server.publish('alerts', 'store fails the first time');
    sink.failOnce = failing.id;
    await delivered(sink, 2);
    expect(sink.ids).toEqual([first.id, failing.id]);
    expect(cursor.savedIds).toEqual([first.id, failing.id]);
    expect(server.subscriptions.map((s) => s.since)).toEqual([undefined, first.id]);
  });
});

describe('NtfySource transports', () => {
  it('falls back to the JSON stream when a proxy answers the WebSocket upgrade with 403, and stays on it', async () => {
    const server = await startServer();
    server.blockWebSocketUpgrade = true;
    const { source, sink, logger } = startSource(server);
    await subscribed(server);
    const first = server.publish('alerts', 'over the JSON stream');
    await delivered(sink, 1);
    expect(source.transport).toBe('json');
    server.dropAllConnections();
    const second = server.publish('alerts', 'after a drop');
    await delivered(sink, 2);
    expect(sink.ids).toEqual([first.id, second.id]);
    expect(server.subscriptions.map((s) => [s.transport, s.refused])).toEqual([
      ['ws', true],
      ['json', false],
      ['json', false],
    ]);
    expect(logger.lines.some((l) => l.message.includes('using the JSON stream') && /HTTP 403/.test(String(l.fields?.reason)))).toBe(true);
  });

  it('does not fall back when the WebSocket is forced, and says why it fails', async () => {
    const server = await startServer();
    server.blockWebSocketUpgrade = true;
    const { source } = startSource(server, { transport: 'ws' });
    await waitFor('two refused upgrades', () => (server.subscriptions.length >= 2 ? true : undefined));
    expect(server.subscriptions.every((s) => s.transport === 'ws')).toBe(true);
    expect(source.status().lastError).toBe(
      'the WebSocket could not be opened: the server denied access (HTTP 403): this user may not use these topics',
    );
  });

  for (const transport of ['json', 'sse'] as const) {
    it(`receives over ${transport} when forced, resumes with since=, and skips a malformed event`, async () => {
      const server = await startServer();
      const { source, sink } = startSource(server, { transport, topics: ['alerts', 'backups'] });
      await subscribed(server);
      const a = server.publish('alerts', 'first\nwith a line break');
      server.sendRaw('backups', 'not json at all');
      const b = server.publish('backups', 'second');
      await delivered(sink, 2);
      server.dropAllConnections();
      const c = server.publish('alerts', 'while down');
      await delivered(sink, 3);
      expect(sink.messages.map((m) => [m.id, m.topic, m.message])).toEqual([
        [a.id, 'alerts', 'first\nwith a line break'],
        [b.id, 'backups', 'second'],
        [c.id, 'alerts', 'while down'],
      ]);
      expect(server.subscriptions.map((s) => [s.transport, s.topics, s.since])).toEqual([
        [transport, ['alerts', 'backups'], undefined],
        [transport, ['alerts', 'backups'], b.id],
      ]);
      expect(source.status().rejected).toBe(1);
    });
  }

  it('drops a silent link after the keepalive timeout and reconnects', async () => {
    const server = await startServer({ keepaliveIntervalMs: 0 });
    const { logger } = startSource(server, {}, { keepaliveTimeoutMs: 300 });
    await waitFor('a reconnect after silence', () => (server.subscriptions.length >= 2 ? true : undefined));
    expect(logger.lines).toContainEqual({
      level: 'warn',
      message: 'ntfy link down',
      fields: {
        connection: 'ntfy-test',
        reason: 'nothing came from the server for 0.3 s (ntfy sends a keepalive every 45 s): the link looks dead',
      },
    });
  });

  it('keeps a link whose server sends keepalives', async () => {
    const server = await startServer({ keepaliveIntervalMs: 50 });
    const { source, sink } = startSource(server, {}, { keepaliveTimeoutMs: 300 });
    await subscribed(server);
    // Three keepalive timeouts: the watchdog would have fired if keepalives did not reset it.
    await new Promise((resolve) => setTimeout(resolve, 900));
    const message = server.publish('alerts', 'still here');
    await delivered(sink, 1);
    expect(sink.ids).toEqual([message.id]);
    expect(server.subscriptions).toHaveLength(1);
    expect(source.status().reconnects).toBe(0);
  });

  it('closes the link while offline or asleep and resumes with since= when back', async () => {
    const server = await startServer();
    const { source, sink } = startSource(server);
    await subscribed(server);
    const first = server.publish('alerts', 'before');
    await delivered(sink, 1);
    source.setOnline(false);
    expect(source.status().state).toBe('offline');
    await subscribed(server, 0);
    const offline = server.publish('alerts', 'while offline');
    source.setOnline(true);
    await delivered(sink, 2);
    source.suspend();
    expect(source.status().state).toBe('suspended');
    await subscribed(server, 0);
    const asleep = server.publish('alerts', 'while asleep');
    source.resume();
    await delivered(sink, 3);
    expect(sink.ids).toEqual([first.id, offline.id, asleep.id]);
    expect(server.subscriptions.map((s) => s.since)).toEqual([undefined, first.id, offline.id]);
  });

  it('stops: the subscription closes and nothing more is delivered', async () => {
    const server = await startServer();
    const { source, sink } = startSource(server);
    await subscribed(server);
    await source.stop();
    await subscribed(server, 0);
    server.publish('alerts', 'after stop');
    expect(source.status().state).toBe('stopped');
    expect(sink.messages).toEqual([]);
  });
});

describe('NtfySource authentication and publishing', () => {
  const auth = { users: [{ username: 'phil', password: 'mypass' }], tokens: ['tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2'] };

  it('subscribes with a Bearer token', async () => {
    const server = await startServer({ auth });
    const { sink } = startSource(server, { auth: { kind: 'bearer', token: 'tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2' } });
    await subscribed(server);
    const message = server.publish('alerts', 'secret');
    await delivered(sink, 1);
    expect(sink.ids).toEqual([message.id]);
  });

  it('subscribes with Basic user name and password', async () => {
    const server = await startServer({ auth });
    const { sink } = startSource(server, { auth: { kind: 'basic', username: 'phil', password: 'mypass' }, transport: 'json' });
    await subscribed(server);
    server.publish('alerts', 'secret');
    await delivered(sink, 1);
  });

  it('reports a wrong token in plain words and does not fall back to the JSON stream', async () => {
    const server = await startServer({ auth });
    const { source } = startSource(server, { auth: { kind: 'bearer', token: 'tk_wrong' } });
    await waitFor('two refused attempts', () => (server.subscriptions.length >= 2 ? true : undefined));
    expect(server.subscriptions.every((s) => s.transport === 'ws' && s.refused)).toBe(true);
    expect(source.status().lastError).toBe(
      'the WebSocket could not be opened: the server refused the credentials (HTTP 401): check the user name and password, or the access token',
    );
    expect(source.status().state).not.toBe('connected');
  });

  it('reports a wrong token on the JSON stream with what the server said', async () => {
    const server = await startServer({ auth });
    const { source } = startSource(server, { auth: { kind: 'bearer', token: 'tk_wrong' }, transport: 'json' });
    await waitFor('a refused attempt', () => (source.status().lastError === undefined ? undefined : true));
    expect(source.status().lastError).toBe(
      'the server refused the credentials (HTTP 401): check the user name and password, or the access token (the server says: unauthorized)',
    );
  });

  it('publishes a receipt as JSON to the server root, with the same credentials', async () => {
    const server = await startServer({ auth });
    const { source } = startSource(server, { auth: { kind: 'bearer', token: 'tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2' } });
    const receipt = JSON.stringify({ type: 'receipt', messageId: 'hwQ2YpKdmg', state: 'read', device: 'desk-1' });
    await source.publish('pushdesk-receipts', receipt);
    expect(server.postedJson).toEqual([{ topic: 'pushdesk-receipts', message: receipt }]);
    expect(server.messages.at(-1)).toMatchObject({ topic: 'pushdesk-receipts', message: receipt });
  });

  it('rejects a publish the server refuses, saying why', async () => {
    const server = await startServer({ auth });
    const { source } = startSource(server, { auth: { kind: 'basic', username: 'phil', password: 'wrong' } });
    await expect(source.publish('pushdesk-receipts', '{}')).rejects.toThrow(
      'publishing to "pushdesk-receipts" failed: the server refused the credentials (HTTP 401): check the user name and password, or the access token (the server says: unauthorized)',
    );
    await expect(source.publishJson({ topic: 'bad topic/with slash', message: 'x' })).rejects.toThrow(/HTTP 401/);
  });

  it('rejects a publish when the server cannot be reached', async () => {
    const server = await startServer();
    const url = server.url;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const sink = new RecordingSink();
    const source = new NtfySource({
      config: { id: 'ntfy-test', url, topics: ['alerts'], transport: 'auto', auth: undefined, maxPayloadBytes: 65536 },
      sink,
      cursor: new MemoryCursor(),
      logger: new RecordingLogger(),
    });
    await expect(source.publish('receipts', '{}')).rejects.toThrow(
      'publishing to "receipts" failed: the server refused the connection: is it running, and is the port right?',
    );
  });
});
