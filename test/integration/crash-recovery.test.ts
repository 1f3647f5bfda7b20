import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/net.ts';

/** Messages in the stream. */
const TOTAL = 10_000;
/** SIGKILLs of the hub while the stream runs: half while it keeps up with the stream, half while it catches up. */
const KILLS = 10;
/** Publishing pace, in messages per second: slow enough that every kill falls inside the stream. */
const RATE_PER_SEC = 400;
/** QoS 1 publishes in flight at once, each awaited until the broker's PUBACK. */
const WINDOW = 8;
/** Messages published while a killed hub stays dead, on top of those sent while the next one starts. */
const PUBLISHED_WHILE_DEAD = 300;
const TOPIC_FILTER = 'stream/#';

const idOf = (i: number): string => `m-${String(i + 1).padStart(5, '0')}`;

/**
 * Runs `query` on a short-lived read-only connection, so the test never holds a lock the hub waits on;
 * undefined while the database cannot be read (not created yet, or being recovered by a new hub).
 */
function readDb<T>(path: string, query: (db: DatabaseSync) => T): T | undefined {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { readOnly: true, timeout: 1000 });
    return query(db);
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

const storedCount = (path: string): number | undefined =>
  readDb(path, (db) => (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n);

/** Whether the hub has recorded the SUBACK for the stream's filter: from then on the broker queues for it. */
const subscriptionRecorded = (path: string): boolean =>
  readDb(path, (db) =>
    (db.prepare("SELECT value FROM meta WHERE key LIKE 'mqtt_session_subscriptions:%'").all() as { value: string }[]).some(
      (row) => TOPIC_FILTER in (JSON.parse(row.value) as Record<string, unknown>),
    ),
  ) ?? false;

/** Publishes the stream at RATE_PER_SEC with WINDOW publishes in flight; `progress` counts acknowledged ones. */
async function publishStream(client: MqttClient, progress: { published: number }): Promise<void> {
  const startedAt = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < TOTAL) {
      const i = next++;
      const wait = startedAt + (i * 1000) / RATE_PER_SEC - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const payload = JSON.stringify({ id: idOf(i), title: `message ${i + 1}`, message: `body of message ${i + 1} of ${TOTAL}` });
      await client.publishAsync(`stream/${i % 16}`, payload, { qos: 1 });
      progress.published++;
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
}

describe('crash recovery: the hub killed with SIGKILL during a QoS 1 stream', () => {
  let dir: string;
  let brokerLog: string;
  let broker: Mosquitto | undefined;
  let hub: HubProcess | undefined;
  let publisher: MqttClient | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-crash-'));
    brokerLog = join(dir, 'mosquitto.log');
    // The debug log shows each PUBLISH the broker sends again with the DUP flag after a kill.
    broker = await startMosquitto(join(dir, 'broker'), { extraConfig: ['log_type debug', `log_dest file ${brokerLog}`] });
  }, 20_000);

  afterAll(async () => {
    await publisher?.endAsync(true).catch(() => undefined);
    await hub?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it(
    `stores each of ${TOTAL.toLocaleString('en')} messages exactly once across ${KILLS} SIGKILLs, and the database passes integrity_check`,
    async () => {
      if (!broker) throw new Error('the broker did not start');
      const configPath = join(dir, 'config.json');
      const dataDir = join(dir, 'data');
      const dbPath = join(dataDir, 'messages.sqlite');
      writeFileSync(
        configPath,
        JSON.stringify({
          deviceId: 'crash-desk',
          connections: [
            { id: 'c', url: broker.url, reconnect: { baseMs: 50, capMs: 500 }, subscriptions: [{ topic: TOPIC_FILTER, qos: 1, channel: 'Stream' }] },
          ],
        }),
      );
      // Pop-ups go to no session bus: notify-send fails at once instead of waiting for one.
      const env = { DBUS_SESSION_BUS_ADDRESS: 'disabled:', DISPLAY: '' };
      const startedAt = performance.now();
      const stored = (): number => storedCount(dbPath) ?? -1;

      hub = await startHubProcess({ configPath, dataDir, env });
      // Until the first SUBACK the broker has no session to queue into; after it, every message waits for the hub.
      await waitFor('the hub to subscribe', () => (subscriptionRecorded(dbPath) ? true : undefined), 15_000, 50);

      publisher = await mqtt.connectAsync(broker.url, { clientId: 'crash-publisher' });
      const progress = { published: 0 };
      let streamDone = false;
      const stream = publishStream(publisher, progress).finally(() => (streamDone = true));
      stream.catch(() => undefined); // awaited below; a rejection must not go unhandled meanwhile

      /** At each kill: rows stored, messages published, and so how many the broker held for the hub. */
      const kills: { stored: number; published: number; backlog: number }[] = [];
      const restartsMs: number[] = [];
      const killAndRestart = async (): Promise<void> => {
        const at = { stored: stored(), published: progress.published };
        if (!hub) throw new Error('no hub to kill');
        await hub.kill();
        kills.push({ ...at, backlog: at.published - at.stored });
        const resumeAt = at.published + PUBLISHED_WHILE_DEAD;
        await waitFor('the stream to go on while the hub is dead', () => (progress.published >= resumeAt || streamDone ? true : undefined), 10_000, 5);
        const restartAt = performance.now();
        // The new hub has to take over the data directory's lock that the killed one left behind.
        hub = await startHubProcess({ configPath, dataDir, env });
        restartsMs.push(Math.round(performance.now() - restartAt));
      };

      for (let pair = 1; pair <= KILLS / 2 && !streamDone; pair++) {
        // One kill at an evenly spread point of the stream, while the hub keeps up with it...
        const target = Math.round((pair * TOTAL) / (KILLS / 2 + 1));
        await waitFor(`the hub to store ${target} messages`, () => (stored() >= target ? true : undefined), 20_000, 10);
        await killAndRestart();
        // ...and one while the new hub works through what the broker queued meanwhile.
        const from = await waitFor('the store', () => storedCount(dbPath));
        const halfway = from + Math.max(1, Math.floor((progress.published - from) / 2));
        await waitFor(`the new hub to store ${halfway} messages`, () => (stored() >= halfway ? true : undefined), 20_000, 2);
        await killAndRestart();
      }

      await stream;
      const published = progress.published;
      await publisher.endAsync();
      publisher = undefined;
      // The last hub drains what the broker queued while its predecessor was dead.
      await waitFor('the last hub to drain the queue', () => (stored() === TOTAL ? true : undefined), 30_000, 50);
      const last = hub;
      await last.stop();
      hub = undefined;
      await broker.stop(); // flushes its log
      const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
      const redelivered = readFileSync(brokerLog, 'utf8').match(/Sending PUBLISH to pd-\S+ \(d1, q1/g)?.length ?? 0;

      const db = new DatabaseSync(dbPath, { readOnly: true });
      let totals: { rows: number; distinct: number };
      let ids: string[];
      let integrity: string[];
      try {
        totals = db.prepare('SELECT count(*) AS "rows", count(DISTINCT id) AS "distinct" FROM messages').get() as { rows: number; distinct: number };
        ids = (db.prepare("SELECT id FROM messages WHERE connection_id = 'c' ORDER BY id").all() as { id: string }[]).map((r) => r.id);
        integrity = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check);
      } finally {
        db.close();
      }

      console.log(
        `crash recovery: ${kills.length} SIGKILLs at published ${kills.map((k) => k.published).join(', ')} ` +
          `with ${kills.map((k) => k.backlog).join(', ')} not yet stored; hub restarts ${Math.min(...restartsMs)}-${Math.max(...restartsMs)} ms; ` +
          `${published} published, ${redelivered} redelivered with DUP, ${totals.rows} rows, ${totals.distinct} distinct ids, ` +
          `duplicates ${totals.rows - totals.distinct}; integrity_check ${integrity.join(' ')}; ${seconds} s`,
      );
      expect(kills).toHaveLength(KILLS);
      // Every kill came while the publisher was still sending: crashes in mid-stream.
      expect(kills.every((k) => k.published < TOTAL)).toBe(true);
      // The kills cut deliveries short: the broker had to send messages again, and each was stored once.
      expect(redelivered).toBeGreaterThan(0);
      expect(last.child.exitCode).toBe(0);
      expect(published).toBe(TOTAL);
      expect(totals).toEqual({ rows: TOTAL, distinct: TOTAL });
      expect(ids).toEqual(Array.from({ length: TOTAL }, (_, i) => idOf(i)));
      expect(integrity).toEqual(['ok']);
    },
    90_000,
  );
});
