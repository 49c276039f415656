// A redis-server of a test's own on a free loopback port (no persistence), to kill in the middle
// of a flow and start again on the same port: an outage and its end, without touching the Redis
// other tests share. Needs the `redis-server` binary: under CI=true a missing one fails the test,
// elsewhere the test is skipped with a message.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { hasTool } from './peers.ts';

export async function listening(server: Server, port = 0): Promise<number> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

/** A loopback port nothing listens on. */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listening(server);
  server.close();
  await once(server, 'close');
  return port;
}

/** Skips the test (saying why) without the binary; fails it under CI=true. */
export function requireRedisServerBinary(ctx: Mocha.Context): void {
  if (hasTool('redis-server')) return;
  if (process.env.CI === 'true')
    throw new Error('CI needs the redis-server binary (Debian package redis-server)');
  console.warn('      redis-server is not installed: skipping the tests that start their own Redis');
  ctx.skip();
}

/** Starts redis-server on `port` and resolves once it accepts connections. */
export async function startRedisServer(port: number): Promise<ChildProcess> {
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  server.stdout?.setEncoding('utf8');
  for await (const chunk of server.stdout ?? []) {
    output += chunk;
    if (output.includes('Ready to accept connections')) break;
  }
  server.stdout?.resume();
  if (!output.includes('Ready to accept connections'))
    throw new Error(`redis-server on port ${port} did not start: ${output}`);
  return server;
}

/** Kills it at once (SIGKILL: a crash, not a shutdown). */
export async function stopRedisServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  server.kill('SIGKILL');
  await once(server, 'exit');
}

/** A redis-server on a port of its own that a test stops and starts again there. */
export interface RedisProcess {
  readonly url: string;
  /** Kills the server (its data goes with it). */
  stop(): Promise<void>;
  /** Starts a new, empty server on the same port. */
  start(): Promise<void>;
}

export async function redisProcess(): Promise<RedisProcess> {
  const port = await freePort();
  let server = await startRedisServer(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => stopRedisServer(server),
    async start() {
      server = await startRedisServer(port);
    },
  };
}
