// One sample federation server in a process of its own, for the benchmarks that need a server
// process (bench/two-processes.ts, bench/server-memory.ts), started and driven over IPC by
// bench/server-process.ts:
//   start {config, stores, secrets, port} → listening {port, pid}: the server over those stores, on
//                                      127.0.0.1 (port 0: a free one; in a node:cluster worker,
//                                      the port the workers share, bench/federation-cluster.ts)
//   usage {collect}                  → usage {rss, heapTotal, heapUsed, cpuMs, loopMs} (collect:
//                                      after a full GC)
//   serve {on}                       → serving {on}: stops accepting connections and closes the
//                                      open ones (false), or listens again (true)
//   touch {sessions, devices, users} → touched {sessions, devices}: reads each sign-in session
//                                      (`sess-<i>`) through the OpenID provider and asks, for
//                                      each remembered device (`dev-<i>` of `user<i % users>`),
//                                      whether a session it admitted is current (mfa.isCurrent)
//   stop                             → the process closes its server and stores, and exits
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { AuthStamp } from 'mfakit';
import { parseSealingKeys } from 'mfakit/cli';
import { parseFederationConfig } from '../sample-idp/federation/config.ts';
import { createFederationServer, type FederationServer } from '../sample-idp/federation/server.ts';
import { openBenchStores } from './bench-stores.ts';
import { inParallel } from './measure.ts';
import type { FromChild, ToChild } from './server-process.ts';

/** The stamp a sign-in admitted by remembered device `deviceId` leaves in a session. */
function deviceStamp(userId: string, deviceId: string, at: number): AuthStamp {
  return {
    version: 1,
    userId,
    amr: ['pwd'],
    acr: 'urn:mfakit:acr:mfa',
    firstFactorAmr: ['pwd'],
    authTime: at,
    mfaAt: null,
    methods: ['password'],
    verifiedAt: {},
    app: 'bench',
    clientAppType: 'browser',
    groups: [],
    roles: [],
    risk: {},
    skippedBy: 'remembered_device',
    rememberedDeviceId: deviceId,
    rememberedDeviceAt: at,
  };
}

const send = (message: FromChild) => process.send?.(message);

async function start(message: Extract<ToChild, { type: 'start' }>) {
  const config = await parseFederationConfig(message.config, {}, { source: 'bench' });
  const stores = await openBenchStores(message.stores);
  const server = await createFederationServer(config, {
    stores,
    secrets: {
      ...message.secrets,
      sealingKeys: parseSealingKeys(message.secrets.sealingKeys, 'sealingKeys'),
    },
    audit: () => {},
  });
  await server.mfa.ready();
  const listener = createServer(server.app);
  await listen(listener, message.port);
  const port = (listener.address() as AddressInfo).port;
  send({ type: 'listening', port, pid: process.pid });
  return { server, stores, listener, port };
}

function listen(listener: Server, port: number) {
  return new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(port, '127.0.0.1', () => {
      listener.off('error', reject);
      resolve();
    });
  });
}

async function serve(listener: Server, port: number, on: boolean) {
  if (on && !listener.listening) await listen(listener, port);
  if (!on && listener.listening) {
    const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
    listener.closeAllConnections();
    await closed;
  }
  send({ type: 'serving', on });
}

async function touch(server: FederationServer, m: Extract<ToChild, { type: 'touch' }>) {
  let sessions = 0;
  let devices = 0;
  await inParallel(m.sessions, 32, async (i) => {
    if (await server.provider.Session.find(`sess-${i}`)) sessions++;
  });
  const now = Date.now();
  await inParallel(m.devices, 32, async (i) => {
    if (await server.mfa.isCurrent(deviceStamp(`user${i % m.users}`, `dev-${i}`, now))) devices++;
  });
  send({ type: 'touched', sessions, devices });
}

let running: Awaited<ReturnType<typeof start>> | null = null;
process.on('message', (message: ToChild) => {
  const handle = async () => {
    if (message.type === 'start') running = await start(message);
    else if (message.type === 'usage') {
      if (message.collect) (globalThis as { gc?: () => void }).gc?.();
      const cpu = process.cpuUsage();
      const { rss, heapTotal, heapUsed } = process.memoryUsage();
      const loopMs = performance.eventLoopUtilization().active;
      send({ type: 'usage', rss, heapTotal, heapUsed, cpuMs: (cpu.user + cpu.system) / 1000, loopMs });
    } else if (message.type === 'serve' && running) await serve(running.listener, running.port, message.on);
    else if (message.type === 'touch' && running) await touch(running.server, message);
    else if (message.type === 'stop') {
      running?.listener.closeAllConnections();
      running?.listener.close();
      await running?.server.close();
      await running?.stores.close();
      process.exit(0);
    }
  };
  handle().catch((error: unknown) => {
    send({ type: 'failed', message: String((error as Error)?.stack ?? error) });
  });
});
