// Two federation-server processes sharing PostgreSQL and Redis behind one address, for the tests
// of several processes: a random schema and key prefix for the run (dropped and deleted after
// it), the same secrets in both (as `WORKERS=2 npm start` gives its workers), the same config,
// whose issuer is the front proxy's URL (test/scale/front-proxy.ts), and each process a child
// (test/scale/federation-child.ts) that does an administrator's acts when told.
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateSecrets } from '../../sample-idp/federation/secrets.ts';
import { formatSealingKeys } from '../../src/cli/sealing-keys.ts';
import { clientSecretOf, RP_BYE, RP_REDIRECT } from '../helpers/code-flow-rp.ts';
import { requireEnv } from '../helpers/peers.ts';
import { useRedisServer } from '../helpers/redis.ts';
import { type FrontProxy, startFrontProxy } from './front-proxy.ts';

const CHILD = new URL('./federation-child.ts', import.meta.url);

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Asks the process to act (see federation-child.ts); resolves with its answer. */
  command(op: 'enrol' | 'resetUser' | 'revokeDevices', user: string): Promise<unknown>;
  command(op: 'addPolicy', policy: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

/** Forks one server process with `env`; resolves once it listens. */
export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = fork(CHILD, [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout?.resume();
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let ids = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`server process exited (${code}) before it was ready:\n${stderr}`));
      for (const w of waiting.values()) w.reject(new Error(`server process exited (${code}):\n${stderr}`));
    });
    child.on(
      'message',
      (m: { type?: string; url?: string; id?: number; ok?: boolean; value?: unknown; error?: string }) => {
        if (m.type === 'ready' && m.url) {
          const url = m.url;
          resolve({
            url,
            child,
            command(op: string, arg: unknown) {
              const id = ++ids;
              const message = op === 'addPolicy' ? { id, op, policy: arg } : { id, op, user: arg };
              return new Promise((res, rej) => {
                waiting.set(id, { resolve: res, reject: rej });
                child.send(message);
              });
            },
            async stop() {
              if (child.exitCode === null && child.signalCode === null) child.disconnect();
              const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
              await exited;
              clearTimeout(timer);
            },
          });
          return;
        }
        const w = m.id === undefined ? undefined : waiting.get(m.id);
        if (!w || m.id === undefined) return;
        waiting.delete(m.id);
        if (m.ok) w.resolve(m.value);
        else w.reject(new Error(m.error));
      },
    );
  });
}

export interface TwoProcesses {
  a: ServerProcess;
  b: ServerProcess;
  /** The one address; its URL is the issuer. */
  front: FrontProxy;
  /** For the federation-stack helpers: the issuer. */
  fedUrl: string;
}

export interface TwoProcessOptions {
  users: (Record<string, unknown> & { id: string })[];
  policies?: Record<string, unknown>;
}

/**
 * Call inside a `describe`: before its tests, starts the two processes (on DATABASE_URL and
 * REDIS_URL; skipped with a message without them, a failure under CI=true); after them, stops
 * them and drops the schema (the Redis keys go with `useRedisServer`'s prefix).
 */
export function useTwoProcesses(options: TwoProcessOptions): () => TwoProcesses {
  const schema = `mfakit_scale_${randomBytes(6).toString('hex')}`;
  let running: TwoProcesses | undefined;
  let databaseUrl = '';
  let dir = '';
  before(async function () {
    this.timeout(60_000);
    databaseUrl = requireEnv(this, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/test');
    requireEnv(this, 'REDIS_URL', 'redis://127.0.0.1:6379');
    dir = await mkdtemp(join(tmpdir(), 'mfakit-scale-'));
    const front = await startFrontProxy();
    const secrets = generateSecrets();
    const config = {
      issuer: front.url,
      displayName: 'Scale test',
      dataFile: join(dir, 'unused.sqlite'),
      passkeys: { enabled: false },
      users: options.users,
      relyingParties: [
        {
          clientId: 'rp',
          clientSecret: clientSecretOf('rp'),
          redirectUris: [RP_REDIRECT],
          postLogoutRedirectUris: [RP_BYE],
        },
      ],
      ...(options.policies ? { policies: options.policies } : {}),
    };
    const env = {
      FED_TEST_CONFIG: JSON.stringify(config),
      DATABASE_URL: databaseUrl,
      FED_DATABASE_SCHEMA: schema,
      REDIS_URL: redis.url,
      FED_REDIS_PREFIX: redis.freshPrefix(),
      FED_SEALING_KEYS: formatSealingKeys(secrets.sealingKeys),
      FED_COOKIE_KEYS: secrets.cookieKeys.join(','),
      FED_SIGNING_JWK: JSON.stringify(secrets.signingJwk),
    };
    const [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    front.backends = { a: a.url, b: b.url };
    running = { a, b, front, fedUrl: front.url };
  });
  after(async function () {
    this.timeout(30_000);
    if (running) {
      await Promise.all([running.a.stop(), running.b.stop()]);
      await running.front.close();
      running = undefined;
    }
    if (databaseUrl) {
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      await admin.query('SET client_min_messages = warning');
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  // Its `after` deletes the run's keys: registered after ours, it runs once the processes stopped.
  const redis = useRedisServer();
  return () => {
    if (!running) throw new Error('the two processes run inside the tests only');
    return running;
  };
}
