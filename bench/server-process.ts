// The parent's side of bench/federation-process.ts: forks a sample federation server process
// (compiled, bench/compiled.ts) over the given stores and secrets — or a node:cluster primary
// (bench/federation-cluster.ts) whose workers are such processes sharing one listening port —
// waits until each listens, and asks it for its resource use, to stop or resume accepting
// connections, or to read stored records; `stop` ends it. The protocol's messages are defined here.
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { formatSealingKeys } from 'mfakit/cli';
import type { JWK } from 'oidc-provider';
import type { FederationSecrets } from '../sample-idp/federation/secrets.ts';
import type { BenchStoreSpec } from './bench-stores.ts';
import { compiledServer } from './compiled.ts';

export interface SerializedSecrets {
  /** As FED_SEALING_KEYS: `ID:BASE64,…`. */
  sealingKeys: string;
  cookieKeys: string[];
  signingJwk: JWK;
}

export type ToChild =
  | { type: 'start'; config: unknown; stores: BenchStoreSpec; secrets: SerializedSecrets; port: number }
  | { type: 'usage'; collect: boolean }
  | { type: 'serve'; on: boolean }
  | { type: 'touch'; sessions: number; devices: number; users: number }
  | { type: 'stop' };

export interface Usage {
  /** Resident memory, the JavaScript heap held and used (bytes). */
  rss: number;
  heapTotal: number;
  heapUsed: number;
  /** CPU time of the whole process so far (ms): its event loop, libuv's thread pool, V8's threads. */
  cpuMs: number;
  /** Time its event loop spent running JavaScript and callbacks so far (ms). */
  loopMs: number;
}

export type FromChild =
  | { type: 'listening'; port: number; pid: number }
  | ({ type: 'usage' } & Usage)
  | { type: 'serving'; on: boolean }
  | { type: 'touched'; sessions: number; devices: number }
  | { type: 'failed'; message: string };

/** A cluster primary's envelope: which worker a message is for, or from. */
export interface Envelope<M> {
  worker: number;
  message: M;
}

export interface ServerProcess {
  port: number;
  /** The server process's own pid (a cluster worker's, not the primary's). */
  pid: number;
  /** `collect` (the default): after a full GC, whose CPU time counts in the next reading. */
  usage(collect?: boolean): Promise<Usage>;
  /** Stops (false) or resumes (true) accepting connections; stopping closes the open ones. */
  serve(on: boolean): Promise<void>;
  touch(counts: {
    sessions: number;
    devices: number;
    users: number;
  }): Promise<{ sessions: number; devices: number }>;
}

interface StartMessage {
  config: unknown;
  stores: BenchStoreSpec;
  secrets: FederationSecrets;
}

/** Talks to one server over `send` and the messages `subscribe` hands it, until `exited`. */
function serverOver(
  send: (message: ToChild) => void,
  subscribe: (listener: (message: FromChild) => void) => () => void,
  exited: Promise<number | null>,
) {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  return <T extends FromChild['type']>(message: ToChild, reply: T) =>
    new Promise<Extract<FromChild, { type: T }>>((resolve, reject) => {
      if (gone) return reject(new Error('federation server process exited'));
      const unsubscribe = subscribe((m) => {
        if (m.type !== reply && m.type !== 'failed') return;
        unsubscribe();
        if (m.type === 'failed') reject(new Error(`federation server process: ${m.message}`));
        else resolve(m as Extract<FromChild, { type: T }>);
      });
      void exited.then((code) => {
        unsubscribe();
        reject(new Error(`federation server process exited (${code})`));
      });
      send(message);
    });
}

function forkCompiled(name: string): { child: ChildProcess; exited: Promise<number | null> } {
  const compiled = compiledServer(name);
  const child = fork(compiled.path, {
    execArgv: [...compiled.execArgv, '--expose-gc'],
    env: compiled.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited };
}

const serialize = (secrets: FederationSecrets): SerializedSecrets => ({
  sealingKeys: formatSealingKeys(secrets.sealingKeys),
  cookieKeys: secrets.cookieKeys,
  signingJwk: secrets.signingJwk,
});

type Ask = ReturnType<typeof serverOver>;

async function started(ask: Ask, start: StartMessage, port: number): Promise<ServerProcess> {
  const listening = await ask(
    { type: 'start', config: start.config, stores: start.stores, secrets: serialize(start.secrets), port },
    'listening',
  );
  return {
    port: listening.port,
    pid: listening.pid,
    usage: (collect = true) => ask({ type: 'usage', collect }, 'usage'),
    serve: async (on) => {
      await ask({ type: 'serve', on }, 'serving');
    },
    touch: (counts) => ask({ type: 'touch', ...counts }, 'touched'),
  };
}

/** One federation server in a process of its own, on a free port of its own. */
export async function startServerProcess(
  start: StartMessage,
): Promise<ServerProcess & { stop(): Promise<void> }> {
  const { child, exited } = forkCompiled('federation-process');
  const ask = serverOver(
    (m) => child.send(m),
    (listener) => {
      child.on('message', listener);
      return () => child.off('message', listener);
    },
    exited,
  );
  try {
    const server = await started(ask, start, 0);
    return {
      ...server,
      async stop() {
        if (child.exitCode !== null) return;
        child.send({ type: 'stop' } satisfies ToChild);
        await exited;
      },
    };
  } catch (error) {
    child.kill();
    throw error;
  }
}

/**
 * `workers` federation servers as node:cluster workers of one primary, all listening on `port`
 * (the primary hands each new connection to the next worker that listens, as `npm run
 * start:cluster` does; it is in no request's path). They start together: one applies the
 * migrations under the advisory lock, the others wait and find them applied.
 */
export async function startServerCluster(
  start: StartMessage,
  workers: number,
  port: number,
): Promise<{ workers: ServerProcess[]; primaryCpuMs(): number; stop(): Promise<void> }> {
  const { child, exited } = forkCompiled('federation-cluster');
  child.send({ workers });
  const servers = Array.from({ length: workers }, (_, worker) =>
    serverOver(
      (message) => child.send({ worker, message } satisfies Envelope<ToChild>),
      (listener) => {
        const onMessage = (m: Envelope<FromChild>) => {
          if (m.worker === worker) listener(m.message);
        };
        child.on('message', onMessage);
        return () => child.off('message', onMessage);
      },
      exited,
    ),
  );
  try {
    const ready = await Promise.all(servers.map((ask) => started(ask, start, port)));
    const pid = child.pid;
    return {
      workers: ready,
      primaryCpuMs: () => (pid === undefined ? 0 : processCpuMs(pid)),
      async stop() {
        if (child.exitCode !== null) return;
        for (let worker = 0; worker < workers; worker++)
          child.send({ worker, message: { type: 'stop' } } satisfies Envelope<ToChild>);
        await exited;
      },
    };
  } catch (error) {
    child.kill();
    throw error;
  }
}

/** CPU time (ms) a process of this machine has used, from /proc (0 where there is none). */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}
