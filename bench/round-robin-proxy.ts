// A tiny HTTP proxy on a loopback port that hands each request to the next of its backends in
// turn (round robin, per request, not per connection: any process must be able to serve any
// request of a flow). The benchmarks switch its backends between runs — one process, then two —
// so both are measured behind the same proxy. Hop-by-hop details aside, requests and answers go
// through unchanged, Host header included, so the servers see the address clients use.
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
  port: number;
  /** The backend ports requests go to from now on. */
  use(ports: number[]): void;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(): Promise<RoundRobinProxy> {
  let backends: number[] = [];
  let turn = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const server = createServer((req, res) => {
    const port = backends[turn++ % backends.length];
    if (port === undefined) {
      res.writeHead(503).end('no backend');
      return;
    }
    const upstream = request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    use(ports) {
      backends = [...ports];
      turn = 0;
    },
    async close() {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
