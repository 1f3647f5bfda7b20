import { randomBytes } from 'node:crypto';
import type { ConnectionConfig } from '../config/config-schema.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { createSource } from './create-source.ts';
import type { ProxyResolver } from './proxy.ts';

/** How a connection test went, in words for the person who filled in the form. */
export interface ConnectionTestResult {
  readonly ok: boolean;
  readonly message: string;
  readonly elapsedMs: number;
}

/** How long a test waits after the link is up for a subscription to be refused, in ms. */
const SUBSCRIBE_GRACE_MS = 500;

/**
 * Tries a connection as entered: connects once with its URL, TLS settings, proxy and credentials,
 * subscribes to its topics, then disconnects. Nothing is stored, shown or acknowledged, and no
 * persistent session is created (MQTT: a random client id, session expiry 0, no presence message).
 *
 * @returns ok with "connected …", or not ok with the first failure in the words the Connections
 *   screen uses for a live connection's last error (refused password, untrusted certificate, …).
 */
export async function testConnection(
  connection: ConnectionConfig,
  secret: string | undefined,
  options: { logger?: Logger; proxyFor?: ProxyResolver | undefined; timeoutMs?: number; now?: () => number },
): Promise<ConnectionTestResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const config: ConnectionConfig =
    connection.kind === 'mqtt'
      ? { ...connection, sessionExpirySec: 0, presence: undefined, waitForNetwork: false, reconnect: { baseMs: 60_000, capMs: 60_000 } }
      : { ...connection, waitForNetwork: false, reconnect: { baseMs: 60_000, capMs: 60_000 } };
  const source = createSource(config, {
    // The failure is the result, in words: it is not the live connections' problem to log.
    logger: silentLogger,
    now,
    secret,
    proxyFor: options.proxyFor,
    mqtt: {
      clientId: `pd-test-${randomBytes(6).toString('hex')}`,
      deviceId: 'connection-test',
      // Nothing received during a test is kept: with clean start and expiry 0 the broker forgets it too
      // (MQTT 3.1.1 has no expiry: the clean session flag alone leaves nothing behind).
      sink: { accept: () => true },
      cleanStart: true,
    },
    ntfy: { sink: { message: () => true, remove: () => undefined }, cursor: { load: () => undefined, save: () => undefined } },
  });
  const outcome = await new Promise<{ ok: boolean; message: string }>((resolve) => {
    let grace: NodeJS.Timeout | undefined;
    const timeout = setTimeout(
      () => resolve({ ok: false, message: `no answer within ${Math.round((options.timeoutMs ?? 10_000) / 1000)} s: check the address, the port and any firewall or proxy` }),
      options.timeoutMs ?? 10_000,
    );
    const finish = (result: { ok: boolean; message: string }): void => {
      clearTimeout(timeout);
      clearTimeout(grace);
      resolve(result);
    };
    source.on('status', (status) => {
      if (status.state === 'connected') {
        if (status.lastError) {
          finish({ ok: false, message: status.lastError });
          return;
        }
        grace ??= setTimeout(() => {
          const after = source.status();
          finish(after.lastError ? { ok: false, message: after.lastError } : { ok: true, message: `connected to ${after.url}` });
        }, SUBSCRIBE_GRACE_MS);
      } else if ((status.state === 'reconnecting' || status.state === 'offline') && status.lastError) {
        finish({ ok: false, message: status.lastError });
      }
    });
    source.start();
  });
  await source.stop().catch(() => undefined);
  return { ...outcome, elapsedMs: now() - started };
}
