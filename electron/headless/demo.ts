import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { parseConfig } from '../core/config/load-config.ts';
import { createJsonLogger } from '../core/logger.ts';
import { startHeadless } from './headless-app.ts';
import { createHeadlessNotifier } from './node-notifier-adapter.ts';

/**
 * `npm run demo`: an embedded broker (aedes), a publisher of realistic alerts and tasks, and the
 * headless hub pointed at them. Prints the UI address; Ctrl+C stops everything.
 */
const SAMPLES = [
  { topic: 'demo/alerts/build', body: { title: 'Build failed: payments-api', message: 'main #1284 failed in stage "integration-tests" (3 tests).', priority: 4, tags: ['ci', 'payments'], click: 'https://ci.example.com/payments-api/1284' } },
  { topic: 'demo/alerts/infra', body: { title: 'Disk almost full on db-02', message: '/var/lib/postgresql at 93% (threshold 90%).', priority: 4, tags: ['infra', 'disk'] } },
  { topic: 'demo/alerts/infra', body: { title: 'Pump P-104 pressure high', message: 'Discharge pressure 8.7 bar, limit 8.0 bar. Check valve V-12.', priority: 5, tags: ['plant', 'alarm'] } },
  { topic: 'demo/tasks/ops', body: { title: 'Task assigned: rotate TLS certificates', message: 'Due Friday. Certificates for mqtt.example.com expire in 12 days.', priority: 3, tags: ['task'] } },
  { topic: 'demo/tasks/ops', body: { title: 'Review requested', message: 'Anna asked you to review "Shift handover checklist v3".', priority: 2, tags: ['task', 'review'] } },
  { topic: 'demo/status', text: 'Nightly backup completed: 412 GB in 38 min.' },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'data-dir': { type: 'string' }, 'interval-ms': { type: 'string' }, port: { type: 'string' } },
  });
  const logger = createJsonLogger();
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const brokerUrl = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dataDir = values['data-dir'] ?? join(tmpdir(), 'pushdesk-demo');
  const config = parseConfig(
    {
      connections: [
        {
          id: 'demo',
          url: brokerUrl,
          protocolVersion: 4, // aedes speaks MQTT 3.1.1 only
          subscriptions: [
            { topic: 'demo/alerts/#', qos: 1, channel: 'Alerts' },
            { topic: 'demo/tasks/#', qos: 1, channel: 'Tasks' },
            { topic: 'demo/status', qos: 1, channel: 'Status' },
          ],
          receipts: { topic: 'demo/receipts/{device}' },
        },
      ],
    },
    'the demo configuration',
  );
  const app = await startHeadless({
    config,
    dataDir,
    notifier: createHeadlessNotifier({ appName: 'Pushdesk', logger }),
    logger,
    port: values.port === undefined ? 0 : Number(values.port),
  });

  const publisher = await mqtt.connectAsync(brokerUrl, { clientId: 'pushdesk-demo-publisher' });
  await publisher.subscribeAsync('demo/receipts/#', { qos: 1 });
  publisher.on('message', (topic, payload) => process.stdout.write(`receipt on ${topic}: ${payload.toString()}\n`));
  let next = 0;
  const publishOne = (): void => {
    const sample = SAMPLES[next++ % SAMPLES.length] as (typeof SAMPLES)[number];
    const payload = 'text' in sample ? sample.text : JSON.stringify({ id: `demo-${Date.now()}-${next}`, ...sample.body });
    publisher.publish(sample.topic, payload, { qos: 1 });
  };
  const timer = setInterval(publishOne, Number(values['interval-ms'] ?? 4000));
  publishOne();

  process.stdout.write(`Embedded broker: ${brokerUrl}\nData directory: ${dataDir}\nPushdesk UI: ${app.bridge.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  await publisher.endAsync();
  await app.stop();
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  server.close();
}

await main();
