import mqtt from 'mqtt';
import { monoMs } from './stats.ts';

/**
 * A child process that publishes QoS 0 messages at a steady rate, each stamped with its send time.
 *
 * Run by the latency figure with `fork`: argv is broker URL, topic, messages per second and seconds.
 * It waits for "start" on its IPC channel, then publishes the deficit against the schedule every
 * millisecond (about five messages per tick at 5,000/s), and reports "done" with the count sent.
 * Its own process, so the consumer's event loop being busy never delays or hides a send. The stamp
 * is CLOCK_MONOTONIC (`monoMs`), which every process on the machine shares.
 */
const [url, topic, rateText, secondsText] = process.argv.slice(2);
const rate = Number(rateText);
const total = Math.round(rate * Number(secondsText));

/** The payload: ntfy-style JSON of about 100 bytes; the id numbers the message, the body holds its send time. */
function latencyPayload(i: number, sentMs: number): string {
  return `{"id":"lat-${String(i).padStart(7, '0')}","title":"Latency probe","priority":3,"message":"sent ${sentMs.toFixed(3)}"}`;
}

async function main(): Promise<void> {
  if (!url || !topic || !(rate > 0) || !(total > 0)) throw new Error('usage: steady-publisher <url> <topic> <rate> <seconds>');
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  // Without this, Nagle's algorithm holds back the small publishes behind delayed ACKs: tens of ms that
  // belong to the sender's socket, not to the consumer being measured (the broker sets TCP_NODELAY too).
  (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  process.send?.({ type: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const started = monoMs();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((monoMs() - started) / 1000) * rate));
      while (sent < due) {
        client.publish(topic, latencyPayload(sent, monoMs()), { qos: 0 });
        sent++;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await client.endAsync();
  process.send?.({ type: 'done', sent, seconds: (monoMs() - started) / 1000 });
  process.disconnect?.();
}

if (process.send) await main();
