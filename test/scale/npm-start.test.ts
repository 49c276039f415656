// `npm start` with several processes and its start-up failures, as a user runs it:
// `npm run start:cluster` (node sample-idp/start.ts --cluster) on PostgreSQL and Redis prints its
// two worker processes and both answer on the one port (which process holds a connection is read
// from /proc: Linux), and a worker killed is replaced; PostgreSQL unreachable at start ends it with one line naming DATABASE_URL
// and exit status 1, alone or with workers, and so does a worker that cannot start. The cluster
// test needs DATABASE_URL and REDIS_URL.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { requireEnv } from '../helpers/peers.ts';
import { useRedisServer } from '../helpers/redis.ts';
import { connectionOwner } from './connection-owner.ts';

interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the output once the guide is printed (or rejects with it if the process exits). */
  guide: Promise<string>;
  /** Resolves with stdout once it matches `pattern` (rejects after 45 s). */
  until(pattern: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; stderr: string; stdout: string }>;
}

/** `node sample-idp/start.ts …args` on free ports and a fresh data directory, with `env` on top. */
function startSample(dir: string, env: Record<string, string>, args: string[] = []): Started {
  const child = spawn(process.execPath, ['sample-idp/start.ts', ...args], {
    env: {
      ...process.env,
      WORKERS: '',
      DATABASE_URL: '',
      REDIS_URL: '',
      FED_PORT: '0',
      PARTNER_PORT: '0',
      DEMO_RP_PORT: '0',
      FED_DATA_FILE: join(dir, 'federation.sqlite'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stderr, stdout })),
  );
  const guide = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no guide printed:\n${stdout}${stderr}`)), 45_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.includes('Ctrl-C')) {
        clearTimeout(timer);
        resolve(stdout);
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${stdout}${stderr}`));
    });
  });
  guide.catch(() => {});
  const until = async (pattern: RegExp) => {
    for (let waited = 0; !pattern.test(stdout); waited += 100) {
      if (waited > 45_000 || child.exitCode !== null)
        throw new Error(`no ${pattern} in:\n${stdout}${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return stdout;
  };
  return { child, output: () => stdout + stderr, guide, until, exited };
}

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Discovery over a new connection: the issuer it names, and which of `pids` answered. */
async function discoveryFrom(port: number, pids: number[]): Promise<{ issuer: string; pid: number | null }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    return await new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/.well-known/openid-configuration', agent }, (res) => {
        const clientPort = res.socket.localPort ?? 0;
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          assert.equal(res.statusCode, 200, body);
          // The connection is still open (keep-alive): its server end is in the worker that answered.
          resolve({
            issuer: (JSON.parse(body) as { issuer: string }).issuer,
            pid: connectionOwner(pids, port, clientPort),
          });
        });
      }).on('error', reject);
    });
  } finally {
    agent.destroy();
  }
}

describe('npm start with several processes', function () {
  this.timeout(60_000);
  let dir = '';
  let running: Started | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mfakit-npm-start-'));
  });
  afterEach(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGTERM');
      await running.exited;
    }
    running = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  describe('on PostgreSQL and Redis', () => {
    const schema = `mfakit_npm_start_${randomBytes(6).toString('hex')}`;
    let databaseUrl = '';
    before(function () {
      databaseUrl = requireEnv(this, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/test');
    });
    after(async () => {
      if (!databaseUrl) return;
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      await admin.query('SET client_min_messages = warning');
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });
    const redis = useRedisServer();

    it('npm run start:cluster: two worker processes on one port, printed, each serving discovery; Ctrl-C stops them all', async () => {
      running = startSample(
        dir,
        {
          DATABASE_URL: databaseUrl,
          FED_DATABASE_SCHEMA: schema,
          REDIS_URL: redis.url,
          FED_REDIS_PREFIX: redis.freshPrefix(),
        },
        ['--cluster'],
      );
      const guide = await running.guide;
      const workers =
        /^Federation server: 2 worker processes on (http:\/\/localhost:(\d+)) \(pids (\d+), (\d+)\)$/m.exec(
          guide,
        );
      assert.ok(workers, guide);
      const [, fedUrl, port, ...pids] = workers as unknown as [string, string, string, string, string];
      assert.match(
        guide,
        new RegExp(`^Stores: PostgreSQL postgres://\\S+ \\(schema ${schema}\\) for the records; Redis `, 'm'),
      );
      // One worker saved them; the other found them saved: either reports first.
      assert.match(
        guide,
        /^Policies: the config's(, saved in the store as version 1| \(version 1 in the store\))$/m,
      );
      const workerPids = pids.map(Number);
      const answeredBy = new Set<number | null>();
      for (let i = 0; i < 20 && answeredBy.size < 2; i++) {
        const { issuer, pid } = await discoveryFrom(Number(port), workerPids);
        assert.equal(issuer, fedUrl);
        answeredBy.add(pid);
      }
      const byNumber = (x: number | null, y: number | null) => (x ?? 0) - (y ?? 0);
      assert.deepEqual([...answeredBy].sort(byNumber), workerPids.toSorted(byNumber), 'each worker answered');

      // A worker killed outright is replaced; the other answers meanwhile.
      const [killed = 0, survivor = 0] = workerPids;
      process.kill(killed, 'SIGKILL');
      const replaced = new RegExp(
        `^federation server: worker ${killed} exited \\(signal SIGKILL\\); starting another\\nfederation server: worker (\\d+) ready$`,
        'm',
      );
      const replacement = Number(replaced.exec(await running.until(replaced))?.[1]);
      const { pid } = await discoveryFrom(Number(port), [survivor, replacement]);
      assert.ok(pid === survivor || pid === replacement);

      running.child.kill('SIGINT');
      const { code, stdout } = await running.exited;
      assert.equal(code, 0);
      assert.match(stdout, /stopped\n$/);
      for (const gone of [survivor, replacement])
        assert.throws(() => process.kill(gone, 0), 'the worker is gone');
    });
  });

  it('a worker that cannot start (its port is taken) ends npm run start:cluster with its one line, exit status 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as { port: number };
      running = startSample(dir, { FED_PORT: String(port) }, ['--cluster']);
      const { code, stderr, stdout } = await running.exited;
      assert.equal(code, 1, stdout + stderr);
      assert.equal(stdout, '');
      assert.equal(
        stderr,
        `FED_PORT: 127.0.0.1:${port} is already in use (set another port, or 0 for any free one)\n`,
      );
    } finally {
      taken.close();
    }
  });

  for (const [mode, args] of [
    ['one process', []],
    ['with workers', ['--cluster']],
  ] as const) {
    it(`PostgreSQL unreachable at start (${mode}): one line naming DATABASE_URL, exit status 1`, async () => {
      const port = await closedPort();
      running = startSample(dir, { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test` }, [...args]);
      const { code, stderr, stdout } = await running.exited;
      assert.equal(code, 1, stdout + stderr);
      assert.equal(stdout, '');
      const lines = stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line, no stack trace:\n${stderr}`);
      assert.match(
        lines[0] ?? '',
        new RegExp(
          `^postgres: cannot connect to postgres://postgres@127\\.0\\.0\\.1:${port}/test \\(DATABASE_URL\\): `,
        ),
      );
    });
  }
});
