import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubProcess } from '../helpers/hub-process.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/net.ts';

const TOTAL = 600;

function countRows(dbPath: string): { rows: number; distinct: number } {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    return db.prepare('SELECT count(*) AS rows, count(DISTINCT id) AS "distinct" FROM messages').get() as {
      rows: number;
      distinct: number;
    };
  } finally {
    db.close();
  }
}

describe('QoS 1 messages are stored before they are acknowledged', () => {
  let dir: string;
  let broker: Mosquitto;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-ack-'));
    broker = await startMosquitto(join(dir, 'broker'));
  });

  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every message exactly once when the hub is killed with SIGKILL mid-stream and restarted', async () => {
    const configPath = join(dir, 'config.json');
    const dataDir = join(dir, 'data');
    const dbPath = join(dataDir, 'messages.sqlite');
    writeFileSync(
      configPath,
      JSON.stringify({
        deviceId: 'kill-test',
        connections: [{ id: 'c1', url: broker.url, subscriptions: [{ topic: 'stream/#', qos: 1, channel: 'Stream' }] }],
      }),
    );
    const hubEnv = { DBUS_SESSION_BUS_ADDRESS: 'disabled:', DISPLAY: '' };
    let hub = await startHubProcess({ configPath, dataDir, env: hubEnv });

    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'ack-test-publisher' });
    // Let the hub's subscription exist before publishing: a probe message must arrive.
    await publisher.publishAsync('stream/probe', JSON.stringify({ id: 'probe', title: 'probe' }), { qos: 1 });
    await waitFor('the probe message', () => (countRows(dbPath).rows >= 1 ? true : undefined), 15_000);

    const sends: Promise<unknown>[] = [];
    let killed = false;
    for (let i = 0; i < TOTAL; i++) {
      sends.push(publisher.publishAsync('stream/x', JSON.stringify({ id: `m-${i}`, title: `message ${i}` }), { qos: 1 }));
      if (i % 50 === 49) await Promise.all(sends.splice(0));
      if (!killed && i === TOTAL / 2) {
        killed = true;
        await hub.kill();
      }
    }
    await Promise.all(sends);
    await publisher.endAsync();

    const afterKill = countRows(dbPath);
    expect(afterKill.rows).toBeLessThan(TOTAL + 1);
    hub = await startHubProcess({ configPath, dataDir, env: hubEnv });
    const final = await waitFor('every message after the restart', () => {
      const counts = countRows(dbPath);
      return counts.distinct >= TOTAL + 1 ? counts : undefined;
    }, 30_000);
    await hub.stop();
    console.log(`SIGKILL during a ${TOTAL}-message QoS 1 stream: ${afterKill.rows} stored before the restart, ${final.rows} after; missing ${TOTAL + 1 - final.distinct}, duplicates ${final.rows - final.distinct}`);
    expect(final.rows).toBe(TOTAL + 1);
    expect(final.distinct).toBe(TOTAL + 1);
  });
});
