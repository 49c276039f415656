import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A server on a free 127.0.0.1 port that answers 503 until given its handler: an OP's issuer
 * and an RP's redirect URI need the port before the apps can be built.
 */
export interface Listening {
  server: Server;
  url: string;
  handle(listener: RequestListener): void;
}

export async function listen(): Promise<Listening> {
  let handler: RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handle: (l) => {
      handler = l;
    },
  };
}

export async function close(l: Listening): Promise<void> {
  l.server.closeAllConnections();
  await new Promise<void>((resolve) => l.server.close(() => resolve()));
}
