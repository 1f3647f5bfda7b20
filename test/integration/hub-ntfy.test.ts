import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import type { StoredMessage } from '../../electron/core/message/message.ts';
import { waitFor } from '../helpers/net.ts';
import { NtfyTestServer } from '../helpers/ntfy-test-server.ts';

describe('the hub on an ntfy-compatible server', () => {
  let dir: string;
  let server: NtfyTestServer;
  let hubs: Hub[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-hub-ntfy-'));
    server = await NtfyTestServer.start({ keepaliveIntervalMs: 0, auth: { tokens: ['tk_desk'] } });
  });
  afterEach(async () => {
    for (const hub of hubs) await hub.stop();
    hubs = [];
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (dataDir: string) => {
    const config = parseConfig({
      deviceId: 'ntfy-desk',
      connections: [
        {
          id: 'push',
          kind: 'ntfy',
          url: server.url,
          password: 'tk_desk',
          reconnect: { baseMs: 50, capMs: 200 },
          subscriptions: [
            { topic: 'ops', channel: 'Operations' },
            { topic: 'builds', channel: 'Builds' },
          ],
          receipts: { topic: 'receipts-{device}' },
        },
      ],
    });
    const hub = new Hub({ config, dataDir, notifier: { show() {} }, logger: silentLogger });
    const added: StoredMessage[] = [];
    const removed: number[] = [];
    hub.on('messagesAdded', (batch) => added.push(...batch));
    hub.on('messagesRemoved', (seqs) => removed.push(...seqs));
    hubs.push(hub);
    hub.start();
    await waitFor('the ntfy connection', () => (hub.connectionStatuses()[0]?.state === 'connected' ? true : undefined));
    return { hub, added, removed };
  };

  it('stores messages with their channel, and after a restart catches up with since= without gap or duplicate', async () => {
    const dataDir = join(dir, 'catch-up');
    const first = await start(dataDir);
    server.publish('ops', 'Pump P-104 pressure high', { title: 'Alarm', priority: 5, tags: ['warning'] });
    server.publish('builds', 'main #12 passed');
    await waitFor('two messages', () => (first.added.length === 2 ? true : undefined));
    expect(first.added.map((m) => [m.channel, m.title, m.body, m.priority])).toEqual([
      ['Operations', 'Alarm', 'Pump P-104 pressure high', 5],
      ['Builds', 'Builds', 'main #12 passed', 3],
    ]);
    await first.hub.stop();
    hubs = [];
    for (let i = 0; i < 5; i++) server.publish('ops', `while away ${i}`);
    const second = await start(dataDir);
    await waitFor('the backlog', () => (second.added.length === 5 ? true : undefined));
    expect(second.added.map((m) => m.body)).toEqual([0, 1, 2, 3, 4].map((i) => `while away ${i}`));
    expect(second.hub.listMessages({ limit: 100 })).toHaveLength(7);
    expect(server.subscriptions.at(-1)?.since).toBe(server.messages.find((m) => m.message === 'main #12 passed')?.id);
  });

  it('replaces a message by sequence id, clears it to read, deletes it, and posts the read receipt', async () => {
    const { hub, added, removed } = await start(join(dir, 'versions'));
    server.publish('ops', 'Deploy 1 of 3 done', { sequenceId: 'deploy-42' });
    await waitFor('the first version', () => added.find((m) => m.body === 'Deploy 1 of 3 done'));
    server.publishUpdate('deploy-42', 'ops', 'Deploy 3 of 3 done');
    const latest = await waitFor('the second version', () => added.find((m) => m.body === 'Deploy 3 of 3 done'));
    await waitFor('the first version to be removed', () => (removed.length === 1 ? true : undefined));
    expect(hub.listMessages({ limit: 10 }).map((m) => m.body)).toEqual(['Deploy 3 of 3 done']);

    const { receipt } = await hub.markRead(latest.seq);
    expect(receipt).toBe('sent');
    expect(server.postedJson.at(-1)).toMatchObject({ topic: 'receipts-ntfy-desk' });
    const body = JSON.parse(String(server.postedJson.at(-1)?.message)) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'receipt', messageId: latest.id, status: 'read', deviceId: 'ntfy-desk' });

    server.publish('ops', 'Disk warning', { sequenceId: 'disk-1' });
    const disk = await waitFor('the disk warning', () => added.find((m) => m.body === 'Disk warning'));
    server.clearMessage('ops', 'disk-1');
    await waitFor('the clear', () => (hub.listMessages({ limit: 10 }).find((m) => m.seq === disk.seq)?.readAtMs !== undefined ? true : undefined));
    server.deleteMessage('ops', 'disk-1');
    await waitFor('the delete', () => (removed.includes(disk.seq) ? true : undefined));
    expect(hub.listMessages({ limit: 10 }).map((m) => m.body)).toEqual(['Deploy 3 of 3 done']);
  });

  it('gets messages published while it was closed even before it ever received one', async () => {
    const dataDir = join(dir, 'first-run');
    const first = await start(dataDir);
    await first.hub.stop();
    hubs = [];
    expect(first.added).toHaveLength(0);
    server.publish('ops', 'published while closed, first run');
    const second = await start(dataDir);
    await waitFor('the message from before the restart', () => second.added.find((m) => m.body === 'published while closed, first run'));
  });
});
