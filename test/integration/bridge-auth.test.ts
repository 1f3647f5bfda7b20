import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBridge, type Bridge } from '../../electron/headless/bridge-server.ts';
import { ApiService } from '../../electron/core/api-service.ts';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import { MessageStore } from '../../electron/core/store/message-store.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket and resolves with the HTTP status of a refusal, or the open socket. */
function openSocket(url: string, headers: Record<string, string>): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('error', () => resolve({ status: -1 }));
  });
}

describe('the browser bridge demands its token', () => {
  let dir: string;
  let hub: Hub;
  let bridge: Bridge;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-bridge-'));
    const ui = join(dir, 'ui');
    mkdirSync(join(ui, 'assets'), { recursive: true });
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>ui</title>');
    writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)');
    const config = parseConfig({
      deviceId: 'bridge-test',
      connections: [{ id: 'c', url: 'mqtt://127.0.0.1:1', subscriptions: [{ topic: 'a/#', channel: 'A' }] }],
    });
    hub = new Hub({ config, dataDir: join(dir, 'data'), notifier: { show() {} }, logger: silentLogger });
    bridge = await startBridge({ hub, service: new ApiService(hub), uiDir: ui, logger: silentLogger });
  });

  afterEach(async () => {
    await bridge.close();
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const host = (): Record<string, string> => ({ Host: `127.0.0.1:${bridge.port}` });

  it('listens on loopback and prints an address that carries the token', () => {
    expect(bridge.url).toBe(`http://127.0.0.1:${bridge.port}/?token=${bridge.token}`);
    expect(bridge.token.length).toBeGreaterThanOrEqual(40);
  });

  it('answers 401 with an empty body without a token, with a wrong one, or with a wrong cookie', async () => {
    for (const [path, headers] of [
      ['/', {}],
      ['/assets/app.js', {}],
      ['/?token=wrong', {}],
      [`/?token=${bridge.token.slice(0, -1)}x`, {}],
      ['/', { Cookie: `pushdesk_${bridge.port}=nope` }],
    ] as const) {
      const reply = await get(bridge.port, path, { ...host(), ...headers });
      expect(reply.status, path).toBe(401);
      expect(reply.body, path).toBe('');
      expect(reply.headers['set-cookie'], path).toBeUndefined();
    }
  });

  it('refuses a request for another host name even with the right token (DNS rebinding)', async () => {
    const reply = await get(bridge.port, `/?token=${bridge.token}`, { Host: `evil.example:${bridge.port}` });
    expect(reply.status).toBe(401);
    expect(reply.body).toBe('');
  });

  it('trades the token for an HttpOnly SameSite cookie, then serves the UI with a strict CSP', async () => {
    const first = await get(bridge.port, `/?token=${bridge.token}`, host());
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const page = await get(bridge.port, '/', { ...host(), Cookie: cookie.split(';')[0] as string });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>ui</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
    const missing = await get(bridge.port, '/../../etc/passwd', { ...host(), Cookie: cookie.split(';')[0] as string });
    expect(missing.status).toBe(404);
  });

  it('serves the diagnostics bundle only with the token, without the connection\u2019s password', async () => {
    const secretConfig = parseConfig({
      deviceId: 'diagnostics-test',
      connections: [{ id: 'd', url: 'mqtt://127.0.0.1:1', username: 'u', password: 'sup3r-secret', subscriptions: [{ topic: 'a/#', channel: 'A' }] }],
    });
    const other = new Hub({ config: secretConfig, dataDir: join(dir, 'data-diagnostics'), notifier: { show() {} }, logger: silentLogger });
    const served = await startBridge({ hub: other, service: new ApiService(other), uiDir: join(dir, 'ui'), logger: silentLogger, diagnostics: () => other.diagnostics('0.0.0-test') });
    try {
      const headers = { Host: `127.0.0.1:${served.port}` };
      expect((await get(served.port, '/diagnostics', headers)).status).toBe(401);
      const first = await get(served.port, `/?token=${served.token}`, headers);
      const cookie = String(first.headers['set-cookie']).split(';')[0] as string;
      const bundle = await get(served.port, '/diagnostics', { ...headers, Cookie: cookie });
      expect(bundle.status).toBe(200);
      expect(bundle.headers['content-disposition']).toMatch(/^attachment; filename="pushdesk-diagnostics-\d{4}-\d{2}-\d{2}\.json"$/);
      const parsed = JSON.parse(bundle.body) as { versions: { pushdesk: string }; hub: { deviceId: string } };
      expect(parsed.versions.pushdesk).toBe('0.0.0-test');
      expect(parsed.hub.deviceId).toBe('diagnostics-test');
      expect(bundle.body).toContain('"d"');
      expect(bundle.body).not.toContain('sup3r-secret');
    } finally {
      await served.close();
      await other.stop();
    }
  });

  it('refuses a WebSocket without the token or from another origin, and serves the contract to its own page', async () => {
    const url = `ws://127.0.0.1:${bridge.port}/ws`;
    const origin = `http://127.0.0.1:${bridge.port}`;
    const cookie = `pushdesk_${bridge.port}=${bridge.token}`;
    expect((await openSocket(url, { Origin: origin })).status).toBe(401);
    expect((await openSocket(url, { Origin: 'http://evil.example', Cookie: cookie })).status).toBe(401);
    const ok = await openSocket(url, { Origin: origin, Cookie: cookie });
    expect(ok.status).toBe(101);
    const ws = ok.ws as WebSocket;
    const replies: unknown[] = [];
    ws.on('message', (data) => replies.push(JSON.parse(data.toString())));
    ws.send('not json');
    ws.send(JSON.stringify({ type: 'call', id: 1, method: 'listMessages', args: { limit: 'ten' } }));
    ws.send(JSON.stringify({ type: 'call', id: 2, method: 'getStatus', args: {} }));
    await expect.poll(() => replies.length).toBe(2);
    expect(replies).toContainEqual({
      type: 'result',
      id: 1,
      ok: false,
      error: { code: 'invalid-arguments', message: expect.stringContaining('limit'), fields: [{ path: 'limit', message: expect.stringContaining('number') }] },
    });
    expect(replies).toContainEqual(
      expect.objectContaining({ type: 'result', id: 2, ok: true, value: expect.objectContaining({ deviceId: 'bridge-test' }) }),
    );
    ws.close();
  });

  it('refuses request paths no URL parser accepts, and keeps serving', async () => {
    for (const path of ['//', '//x:99999/', '//[', '/\\']) {
      const reply = await get(bridge.port, path, host());
      expect([400, 401, 404], path).toContain(reply.status);
    }
    const after = await get(bridge.port, `/?token=${bridge.token}`, host());
    expect(after.status).toBe(303);
  });

  it('closes a socket that sends a frame over the limit, and keeps serving others', async () => {
    const url = `ws://127.0.0.1:${bridge.port}/ws`;
    const headers = { Origin: `http://127.0.0.1:${bridge.port}`, Cookie: `pushdesk_${bridge.port}=${bridge.token}` };
    const bad = (await openSocket(url, headers)).ws as WebSocket;
    const closed = new Promise<number>((resolve) => bad.once('close', (code) => resolve(code)));
    bad.send('x'.repeat(70 * 1024));
    expect(await closed).not.toBe(1000);
    const good = (await openSocket(url, headers)).ws as WebSocket;
    const reply = new Promise<unknown>((resolve) => good.once('message', (data) => resolve(JSON.parse(data.toString()))));
    good.send(JSON.stringify({ type: 'call', id: 7, method: 'getStatus', args: {} }));
    expect(await reply).toMatchObject({ type: 'result', id: 7, ok: true });
    good.close();
  });
});

describe('the bridge export', () => {
  it('stops an export whose download is cancelled, closing its read of the store, and goes on serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushdesk-bridge-export-'));
    const ui = join(dir, 'ui');
    mkdirSync(ui, { recursive: true });
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>ui</title>');
    const store = MessageStore.open(join(dir, 'data'));
    // Enough history that the export outlasts the client, which leaves after the first chunk.
    for (let b = 0; b < 10; b++) {
      store.insertBatch(
        Array.from({ length: 2000 }, (_, i) => ({
          message: { id: `e${b}-${i}`, title: `export ${i}`, body: 'y'.repeat(300), priority: 3 as const, tags: [], click: undefined, sentAtMs: undefined },
          origin: { connectionId: 'c', channel: 'A', topic: 'a/x', retained: false, receivedAtMs: i },
        })),
      );
    }
    store.close();
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const config = parseConfig({ deviceId: 'bridge-export', connections: [{ id: 'c', url: 'mqtt://127.0.0.1:1', subscriptions: [{ topic: 'a/#', channel: 'A' }] }] });
    const hub = new Hub({ config, dataDir: join(dir, 'data'), notifier: { show() {} }, logger: silentLogger });
    const bridge = await startBridge({ hub, service: new ApiService(hub), uiDir: ui, logger });
    try {
      const headers = { Host: `127.0.0.1:${bridge.port}` };
      const cookie = String((await get(bridge.port, `/?token=${bridge.token}`, headers)).headers['set-cookie']).split(';')[0] as string;
      await new Promise<void>((resolve) => {
        const req = request({ host: '127.0.0.1', port: bridge.port, path: '/export?format=jsonl', headers: { ...headers, Cookie: cookie } }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.end();
      });
      await expect.poll(() => lines, { timeout: 5000 }).toContain('bridge: export stopped, the download was cancelled');
      expect(lines).not.toContain('bridge: exported history');
      const whole = await get(bridge.port, '/export?format=csv&channel=A', { ...headers, Cookie: cookie });
      expect(whole.status).toBe(200);
      expect(whole.body.split('\r\n').filter((l) => l !== '')).toHaveLength(20_001);
    } finally {
      await bridge.close();
      await hub.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
