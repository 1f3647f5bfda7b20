import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Priority } from '../../electron/core/message/message.ts';
import { DATABASE_FILE, MessageStore, type NewMessage } from '../../electron/core/store/message-store.ts';
import { seededRandom } from '../helpers/seeded-random.ts';

/**
 * A large, realistic message history for the store figures, built straight through MessageStore.
 *
 * Deterministic (a seeded generator), so runs and machines compare: 20 channels, priority 3 for most,
 * about 5% priority 2 and 2% priority 4-5, about 30% unread, titles and bodies drawn from a word list
 * with a Zipf-Mandelbrot spread (a few words common, most rare), host names, order numbers, tags on some, and
 * Chinese text in about one message in ten. Received times span the last 180 days, growing with seq.
 */

export const CHANNELS = [
  'Alerts', 'Builds', 'Deploys', 'Backups', 'Monitoring', 'Sales', 'Support', 'Security', 'Home', 'Garden',
  'Weather', 'Calendar', 'Finance', 'People', 'Network', 'Database', 'Storage', 'Printers', 'Sensors', '运维',
] as const;

/** English words of notification text, most common first (weighted by rank, see zipfPicker). */
export const WORDS = (
  'the server alert disk backup build failed completed warning job deploy network latency database connection ' +
  'timeout user login order payment update release error restart service memory usage high low temperature sensor ' +
  'battery power outage pipeline test passed queue worker cluster node pod container image registry certificate ' +
  'expires renewal invoice customer ticket reply escalation security scan vulnerability patch firewall blocked ' +
  'request quota storage volume snapshot replica primary failover recovered degraded healthy maintenance window ' +
  'scheduled calendar meeting reminder garden irrigation valve humidity rain forecast wind printer toner paper jam ' +
  'door opened closed motion camera doorbell package delivered shipment tracking refund subscription renewed ' +
  'cancelled trial expired password reset verification code account locked unusual activity detected approved ' +
  'rejected pending review merge request branch commit pushed tagged artifact uploaded checksum mismatch retry ' +
  'exceeded threshold cpu load average swap filesystem inode mount nightly weekly monthly report summary export ' +
  'import sync finished started paused resumed webhook endpoint gateway proxy dns resolver route bgp peer vpn ' +
  'tunnel wifi router switch port link flapping pump compressor freezer fridge boiler thermostat solar inverter'
).split(' ');

/** Chinese words; a Chinese message is a run of them with no spaces, as Chinese is written. */
export const CHINESE_WORDS = [
  '服务器', '磁盘', '空间', '不足', '备份', '完成', '失败', '警告', '网络', '延迟', '数据库', '连接', '超时', '用户',
  '登录', '订单', '支付', '更新', '部署', '温度', '告警', '恢复', '重启', '内存', '证书', '过期', '安全', '扫描',
] as const;

const TAGS = ['warning', 'rotating_light', 'white_check_mark', 'fire', 'package', 'lock', 'calendar', 'seedling'] as const;

/** Rows the figures use unless BENCH_STORE_ROWS says otherwise. */
export const DEFAULT_STORE_ROWS = 1_000_000;

/** Key in the store's meta table that marks a finished fixture (and its size), so a kept one can be reused. */
const FIXTURE_KEY = 'bench_fixture';
const FIXTURE_VERSION = 1;


/**
 * Picks items by rank with weight 1 / (rank + flatten): Zipf-Mandelbrot, so the commonest word is in
 * about half the messages rather than in nearly all, and the rarest in a few per cent.
 */
function zipfPicker<T>(items: readonly T[], random: () => number, flatten: number): () => T {
  const cumulative: number[] = [];
  let sum = 0;
  for (let r = 1; r <= items.length; r++) cumulative.push((sum += 1 / (r + flatten)));
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return items[lo] as T;
  };
}

/** What building took and what it made. */
export interface StoreFixture {
  readonly dataDir: string;
  readonly rows: number;
  /** False when a finished fixture of the same size was found in the directory and reused. */
  readonly built: boolean;
  readonly insertMs: number;
  readonly markReadMs: number;
  readonly indexMs: number;
  readonly bytes: number;
  /** Order numbers that exist in the history: needles for the search queries. */
  readonly orderNumbers: string[];
}

/** Size of the database file and its WAL. */
function storeBytes(dataDir: string): number {
  const path = join(dataDir, DATABASE_FILE);
  return ['', '-wal'].reduce((sum, suffix) => sum + (existsSync(path + suffix) ? statSync(path + suffix).size : 0), 0);
}

/** An order number message i mentions, when it mentions one (one message in twenty). */
function orderNumber(i: number): string | undefined {
  return i % 20 === 7 ? String(100_000 + ((i * 7919) % 900_000)) : undefined;
}

/**
 * Builds (or reuses) a history of `rows` messages in `dataDir`: insertBatch in batches of 10,000, then
 * about 70% marked read (one UPDATE; the store's triggers keep the channel counts), then the whole
 * full-text index with indexPending, then a WAL checkpoint, as a long-running hub would have it.
 */
export function buildStoreFixture(dataDir: string, rows: number, progress: (line: string) => void): StoreFixture {
  const orderNumbers: string[] = [];
  for (let i = 7; i < rows && orderNumbers.length < 400; i += 20 * 997) orderNumbers.push(orderNumber(i) as string);
  const existing = existsSync(join(dataDir, DATABASE_FILE)) ? MessageStore.open(dataDir) : undefined;
  if (existing) {
    const mark = existing.getMeta(FIXTURE_KEY);
    existing.close();
    if (mark === JSON.stringify({ version: FIXTURE_VERSION, rows })) {
      return { dataDir, rows, built: false, insertMs: 0, markReadMs: 0, indexMs: 0, bytes: storeBytes(dataDir), orderNumbers };
    }
    throw new Error(`${dataDir} holds a message store that is not a finished bench fixture of ${rows} rows: remove it or pick another BENCH_STORE_DIR`);
  }
  const random = seededRandom(20261122);
  const word = zipfPicker(WORDS, random, 10);
  const chinese = zipfPicker(CHINESE_WORDS, random, 2);
  const channel = zipfPicker(CHANNELS, random, 1);
  const words = (min: number, max: number): string => {
    const n = min + Math.floor(random() * (max - min + 1));
    return Array.from({ length: n }, word).join(' ');
  };
  const spanMs = 180 * 24 * 3600_000;
  const startMs = Date.now() - spanMs;
  const store = MessageStore.open(dataDir);
  const began = performance.now();
  const BATCH = 10_000;
  for (let first = 0; first < rows; first += BATCH) {
    const batch: NewMessage[] = [];
    for (let i = first; i < Math.min(rows, first + BATCH); i++) {
      const name = channel();
      const roll = random();
      const priority: Priority = roll < 0.005 ? 5 : roll < 0.02 ? 4 : roll < 0.07 ? 2 : 3;
      let title = words(2, 6);
      let body = words(4, 20);
      if (random() < 0.1) {
        const sentence = Array.from({ length: 3 + Math.floor(random() * 6) }, chinese).join('');
        if (random() < 0.5) title = Array.from({ length: 2 + Math.floor(random() * 2) }, chinese).join('');
        body = random() < 0.5 ? sentence : `${sentence}: ${body}`;
      }
      if (random() < 0.3) body += ` on host web-${String(Math.floor(random() * 100)).padStart(2, '0')}`;
      const order = orderNumber(i);
      if (order) body += ` order #${order}`;
      const tags = random() < 0.25 ? [TAGS[Math.floor(random() * TAGS.length)] as string] : [];
      const receivedAtMs = startMs + Math.floor((i * spanMs) / rows);
      batch.push({
        message: { id: `bench-${i}`, title, body, priority, tags, click: undefined, sentAtMs: receivedAtMs - 40 },
        origin: { connectionId: i % 3 === 0 ? 'office' : 'home', channel: name, topic: `site/${name}/${i % 17}`, retained: false, receivedAtMs },
      });
    }
    store.insertBatch(batch);
    if ((first / BATCH) % 20 === 19) progress(`inserted ${(first + BATCH).toLocaleString('en-US')} rows`);
  }
  const insertMs = performance.now() - began;
  const db = new DatabaseSync(join(dataDir, DATABASE_FILE));
  const readBegan = performance.now();
  // About 70% read: a multiplicative hash of seq, so unread messages are spread over the whole history.
  db.exec('UPDATE messages SET read_at_ms = received_at_ms + 60000 WHERE (seq * 2654435761) % 1000 >= 300');
  const markReadMs = performance.now() - readBegan;
  progress('marked about 70% read; indexing');
  const indexBegan = performance.now();
  while (store.indexPending(10_000) > 0);
  const indexMs = performance.now() - indexBegan;
  store.setMeta(FIXTURE_KEY, JSON.stringify({ version: FIXTURE_VERSION, rows }));
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  db.close();
  store.close();
  return { dataDir, rows, built: true, insertMs, markReadMs, indexMs, bytes: storeBytes(dataDir), orderNumbers };
}
