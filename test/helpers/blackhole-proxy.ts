import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between the hub and a broker that can go silent: in blackhole mode it keeps every socket
 * open but drops all bytes both ways, like a NAT that forgot the mapping or a Wi-Fi that is gone
 * (toxiproxy's "timeout" toxic). New connections are accepted and then starved too.
 */
export interface BlackholeProxy {
  readonly port: number;
  blackhole(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port forwarding to 127.0.0.1:targetPort. */
export async function startBlackholeProxy(targetPort: number): Promise<BlackholeProxy> {
  let silent = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.on('data', (data) => {
      if (!silent) upstream.write(data);
    });
    upstream.on('data', (data) => {
      if (!silent) client.write(data);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    blackhole: () => {
      silent = true;
    },
    restore: () => {
      silent = false;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
