import type { ConnectionConfig } from '../config/config-schema.ts';
import type { Logger } from '../logger.ts';
import { Backoff } from './backoff.ts';
import { MqttSource, type MessageSink, type SessionState } from './mqtt-source.ts';
import { NtfySource } from './ntfy/ntfy-source.ts';
import type { CursorStore, NtfySink } from './ntfy/ntfy-types.ts';
import type { ProxyResolver } from './proxy.ts';

/** A source of either kind. */
export type Source = MqttSource | NtfySource;

/** What a source needs besides its connection's configuration. */
export interface SourceDeps {
  readonly logger: Logger;
  readonly now: () => number;
  /** The connection's secret (password or access token), resolved by the caller. */
  readonly secret: string | undefined;
  readonly proxyFor?: ProxyResolver | undefined;
  /** MQTT: the client id, the persistent session's record, the device named in presence and receipts. */
  readonly mqtt: {
    readonly clientId: string;
    readonly deviceId: string;
    readonly sink: MessageSink;
    readonly session?: SessionState | undefined;
    /** The broker's retained channel directory (the connection's `directory.topic`), when it has one. */
    readonly onDirectory?: ((payload: Buffer) => void) | undefined;
    /** No persistent session (a connection test). */
    readonly cleanStart?: boolean | undefined;
  };
  /** ntfy: where events go and where the resume cursor is kept. */
  readonly ntfy: { readonly sink: NtfySink; readonly cursor: CursorStore };
}

/**
 * Builds the source for one connection: the hub's live connections and the connection test both use
 * this, so a test connects exactly as the real connection would (TLS, proxy, credentials).
 */
export function createSource(connection: ConnectionConfig, deps: SourceDeps): Source {
  if (connection.kind === 'ntfy') {
    const secret = deps.secret;
    return new NtfySource({
      config: {
        id: connection.id,
        url: connection.url,
        topics: connection.subscriptions.map((s) => s.topic),
        transport: connection.transport,
        auth:
          secret === undefined
            ? undefined
            : connection.username !== undefined
              ? { kind: 'basic', username: connection.username, password: secret }
              : { kind: 'bearer', token: secret },
        maxPayloadBytes: connection.maxPayloadBytes,
        waitForNetwork: connection.waitForNetwork,
      },
      sink: deps.ntfy.sink,
      cursor: deps.ntfy.cursor,
      logger: deps.logger,
      now: deps.now,
      backoff: new Backoff({ ...connection.reconnect, resetAfterMs: 60_000 }),
      keepaliveTimeoutMs: connection.keepaliveTimeoutSec * 1000,
      ...(deps.proxyFor ? { proxyFor: deps.proxyFor } : {}),
    });
  }
  return new MqttSource({
    config: connection,
    clientId: deps.mqtt.clientId,
    password: deps.secret,
    sink: deps.mqtt.sink,
    logger: deps.logger,
    now: deps.now,
    deviceId: deps.mqtt.deviceId,
    ...(deps.proxyFor ? { proxyFor: deps.proxyFor } : {}),
    ...(deps.mqtt.session ? { session: deps.mqtt.session } : {}),
    directoryTopic: connection.directory?.topic,
    ...(deps.mqtt.onDirectory ? { onDirectory: deps.mqtt.onDirectory } : {}),
    ...(deps.mqtt.cleanStart ? { cleanStart: true } : {}),
  });
}
