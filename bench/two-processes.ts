// Full authorization-code flows per second through two sample federation server processes vs
// one, on PostgreSQL + Redis, in the same run (target ≥ 1.7 on 2 cores). The bench starts the
// two processes itself (bench/federation-process.ts: createFederationServer over the same
// schema, key prefix and secrets, each on its own port) behind a round-robin loopback proxy
// (bench/round-robin-proxy.ts) that is the issuer's one address; "one process" sends every
// request to the first, "two" alternates them per request, so each flow crosses both processes.
// Two figures, each over 8 concurrent browsers, alternated ABBA:
//   - a first sign-in with password (scrypt) and TOTP code, then the token endpoint;
//   - a signed-in browser's next authorization (single sign-on: no password, no code), which is
//     what the processes themselves cost when the password hash is not the bulk of the work.
// The CPU time each process used, and this machine's cores and load, are printed with them: the
// ratio means something only where the two processes have the cores to themselves (not with the
// browsers, the proxy, PostgreSQL and Redis on the same two). Skipped without DATABASE_URL and REDIS_URL.
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMfa } from 'mfakit';
import type { SealingKey } from 'mfakit/cli';
import { generateSecrets } from '../sample-idp/federation/secrets.ts';
import { type BenchStoreSpec, dropBenchStores, openBenchStores, runName } from './bench-stores.ts';
import {
  benchFederationConfig,
  benchUsers,
  createCodeFlows,
  enrollTotpUsers,
  MAX_CONCURRENCY,
} from './code-flow.ts';
import { type Report, serverSetting } from './measure.ts';
import { startRoundRobinProxy } from './round-robin-proxy.ts';
import { type ServerProcess, startServerProcess } from './server-process.ts';

const POOL = Number(process.env.BENCH_TOTP_USERS ?? 300);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

/** Registers the TOTP users' apps through an engine of the bench's own over the servers' stores and key. */
async function enrollOver(
  spec: BenchStoreSpec,
  sealingKeys: SealingKey[],
  users: ReturnType<typeof benchUsers>,
) {
  const stores = await openBenchStores(spec, { invalidation: false });
  try {
    const mfa = createMfa({
      stores,
      issuer: 'Bench IdP',
      sealingKeys,
      audit: () => {},
    });
    return await enrollTotpUsers(mfa, users);
  } finally {
    await stores.close();
  }
}

export async function runTwoProcessBench(report: Report): Promise<void> {
  const url = serverSetting('DATABASE_URL', 'code flows through two processes vs one');
  const redisUrl = url && serverSetting('REDIS_URL', 'code flows through two processes vs one');
  if (!url || !redisUrl) return;
  const spec: BenchStoreSpec = {
    kind: 'postgres+redis',
    url,
    schema: runName(),
    redisUrl,
    prefix: runName(),
  };
  const proxy = await startRoundRobinProxy();
  const issuer = `http://127.0.0.1:${proxy.port}`;
  const users = benchUsers(POOL);
  const config = benchFederationConfig(issuer, join(tmpdir(), 'mfakit-bench-unused.sqlite'), users);
  const secrets = generateSecrets();
  const servers: ServerProcess[] = [];
  try {
    const began = Date.now();
    // Together: one applies the schema's migrations under the advisory lock, the other waits and finds them applied.
    servers.push(
      ...(await Promise.all([0, 1].map(() => startServerProcess({ config, stores: spec, secrets })))),
    );
    console.log(
      `two federation server processes on PostgreSQL + Redis up in ${((Date.now() - began) / 1000).toFixed(1)} s ` +
        `(each hashes the ${users.length} configured passwords at start)`,
    );
    const { measure } = createCodeFlows(issuer, await enrollOver(spec, secrets.sealingKeys, users));
    const [first, second] = servers as [ServerProcess, ServerProcess];

    for (const mode of ['totp', 'sso'] as const) {
      proxy.use([first.port, second.port]);
      await measure(mode, 1, MAX_CONCURRENCY); // warm-up, both processes
      const totals = { one: { flows: 0, seconds: 0 }, two: { flows: 0, seconds: 0 } };
      const cpuBefore = await Promise.all(servers.map((s) => s.usage()));
      const ownBefore = process.cpuUsage();
      for (const count of ['one', 'two', 'two', 'one'] as const) {
        proxy.use(count === 'one' ? [first.port] : [first.port, second.port]);
        const r = await measure(mode, SECONDS, MAX_CONCURRENCY);
        totals[count].flows += r.flows;
        totals[count].seconds += r.seconds;
      }
      const own = process.cpuUsage(ownBefore);
      const cpuAfter = await Promise.all(servers.map((s) => s.usage()));
      const cpu = cpuAfter.map((u, i) => ((u.cpuMs - (cpuBefore[i]?.cpuMs ?? 0)) / 1000).toFixed(1));
      report(
        mode === 'totp'
          ? `full code flows, password + TOTP, two processes vs one (PostgreSQL + Redis, ${MAX_CONCURRENCY} browsers)`
          : `code flows on a signed-in session (SSO), two processes vs one (PostgreSQL + Redis, ${MAX_CONCURRENCY} browsers)`,
        totals.two.flows / totals.two.seconds,
        totals.one.flows / totals.one.seconds,
        'flows/s',
        1.7,
      );
      console.log(
        `  CPU seconds over these ${(4 * SECONDS).toFixed(0)} s: server processes ${cpu.join(' and ')}, ` +
          `this process (browsers and proxy) ${((own.user + own.system) / 1e6).toFixed(1)}; ` +
          `${availableParallelism()} cores here, load average ${loadavg()[0]?.toFixed(1)} ` +
          '(PostgreSQL and Redis run on the same cores)',
      );
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await proxy.close();
    await dropBenchStores(spec);
  }
}
