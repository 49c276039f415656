// A loopback TCP relay to a real server, which a test cuts — every connection through it dropped,
// new ones refused — and restores on the same port: an outage of a server other tests share
// (PostgreSQL) without stopping it, as the application sees it (connections lost, then refused).
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { listening } from './redis-process.ts';

export interface TcpRelay {
  /** The relay's own loopback port. */
  readonly port: number;
  /** Drops every connection and stops listening. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function tcpRelay(target: { host: string; port: number }): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;

  async function open(): Promise<void> {
    const relay = createServer((client) => {
      const upstream = connect(target.port, target.host);
      const end = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', end).on('close', end);
      }
      client.pipe(upstream).pipe(client);
    });
    port = await listening(relay, port);
    server = relay;
  }

  async function cut(): Promise<void> {
    const relay = server;
    server = null;
    if (!relay) return;
    const closed = once(relay, 'close');
    relay.close();
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  }

  await open();
  return {
    get port() {
      return port;
    },
    cut,
    restore: open,
    close: cut,
  };
}
