// The parent's side of bench/federation-process.ts: forks a sample federation server process
// (compiled, bench/compiled.ts) over the given stores and secrets, waits until it listens, and
// asks it for its resource use or to read stored records; `stop` ends it. The protocol's
// messages are defined here.
import { type ChildProcess, fork } from 'node:child_process';
import type { JWK } from 'oidc-provider';
import type { FederationSecrets } from '../sample-idp/federation/secrets.ts';
import type { BenchStoreSpec } from './bench-stores.ts';
import { compiledServer } from './compiled.ts';

export interface SerializedSecrets {
  sealingKey: string;
  cookieKeys: string[];
  signingJwk: JWK;
}

export type ToChild =
  | { type: 'start'; config: unknown; stores: BenchStoreSpec; secrets: SerializedSecrets }
  | { type: 'usage' }
  | { type: 'touch'; sessions: number; devices: number; users: number }
  | { type: 'stop' };

export type FromChild =
  | { type: 'listening'; port: number }
  | { type: 'usage'; rss: number; heapTotal: number; heapUsed: number; cpuMs: number }
  | { type: 'touched'; sessions: number; devices: number }
  | { type: 'failed'; message: string };

export interface ServerProcess {
  port: number;
  /** Resident memory, the JavaScript heap held and used (bytes, after a full GC), CPU time so far (ms). */
  usage(): Promise<{ rss: number; heapTotal: number; heapUsed: number; cpuMs: number }>;
  touch(counts: {
    sessions: number;
    devices: number;
    users: number;
  }): Promise<{ sessions: number; devices: number }>;
  stop(): Promise<void>;
}

export async function startServerProcess(start: {
  config: unknown;
  stores: BenchStoreSpec;
  secrets: FederationSecrets;
}): Promise<ServerProcess> {
  const compiled = compiledServer('federation-process');
  const child: ChildProcess = fork(compiled.path, {
    execArgv: [...compiled.execArgv, '--expose-gc'],
    env: compiled.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T extends FromChild['type']>(type: T) =>
    new Promise<Extract<FromChild, { type: T }>>((resolve, reject) => {
      const onMessage = (m: FromChild) => {
        if (m.type !== type && m.type !== 'failed') return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (m.type === 'failed') reject(new Error(`federation server process: ${m.message}`));
        else resolve(m as Extract<FromChild, { type: T }>);
      };
      const onExit = (code: number | null) => reject(new Error(`federation server process exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ask = <T extends FromChild['type']>(message: ToChild, reply: T) => {
    const answer = next(reply);
    child.send(message);
    return answer;
  };
  const secrets: SerializedSecrets = {
    sealingKey: start.secrets.sealingKey.toString('base64'),
    cookieKeys: start.secrets.cookieKeys,
    signingJwk: start.secrets.signingJwk,
  };
  let port: number;
  try {
    ({ port } = await ask(
      { type: 'start', config: start.config, stores: start.stores, secrets },
      'listening',
    ));
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    port,
    usage: () => ask({ type: 'usage' }, 'usage'),
    touch: (counts) => ask({ type: 'touch', ...counts }, 'touched'),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'stop' } satisfies ToChild);
      await exited;
    },
  };
}
