// One address in front of two federation-server processes, as a load balancer puts it: the
// issuer of both is this proxy's URL, every redirect and cookie stays on it, and the test says
// which process answers the next requests (`a`, `b`, or each in turn), so "changed on one, seen on
// the other" is exact. Requests and answers are passed through unchanged (the Host header too),
// streamed, with the hop-by-hop headers left out.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = 'a' | 'b' | 'alternate';

export interface FrontProxy {
  readonly url: string;
  /** The two processes' own URLs (set once they listen: their issuer is this proxy's URL). */
  backends: { a: string; b: string };
  /** Which process answers the next requests. */
  route: Route;
  /** Requests each process answered. */
  readonly served: { a: number; b: number };
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade']);

export async function startFrontProxy(): Promise<FrontProxy> {
  let next: 'a' | 'b' = 'a';
  const served = { a: 0, b: 0 };
  const state: { route: Route; backends: { a: string; b: string } } = {
    route: 'alternate',
    backends: { a: '', b: '' },
  };
  const pick = (): 'a' | 'b' => {
    if (state.route !== 'alternate') return state.route;
    const chosen = next;
    next = next === 'a' ? 'b' : 'a';
    return chosen;
  };
  const server = createServer((req, res) => {
    const which = pick();
    served[which]++;
    const upstream = request(
      new URL(req.url ?? '/', state.backends[which]),
      { method: req.method, headers: req.headers },
      (answer) => {
        const headers: string[] = [];
        for (let i = 0; i < answer.rawHeaders.length; i += 2) {
          const name = answer.rawHeaders[i] ?? '';
          if (!HOP_BY_HOP.has(name.toLowerCase())) headers.push(name, answer.rawHeaders[i + 1] ?? '');
        }
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`front proxy: process ${which} did not answer: ${error.message}`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get route() {
      return state.route;
    },
    set route(value: Route) {
      state.route = value;
    },
    get backends() {
      return state.backends;
    },
    set backends(value: { a: string; b: string }) {
      state.backends = value;
    },
    served,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
