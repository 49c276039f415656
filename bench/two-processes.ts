// Full authorization-code flows per second through two sample federation server processes vs
// one, on PostgreSQL + Redis, in the same run (target ≥ 1.7 on 2 cores). The bench starts the
// servers as `npm run start:cluster` does: node:cluster workers of one primary sharing the
// issuer's one port (bench/federation-cluster.ts; the primary hands each new connection to the
// next listening worker and is in no request's path), compiled, over the same schema, key prefix
// and secrets. "One process": the second worker stops accepting connections; "two": both accept,
// and a browser's requests take whichever of its pooled connections is free, so a flow's
// requests go to either process. Two figures, each over 8 concurrent browsers, alternated ABBA:
//   - a first sign-in with password (scrypt) and TOTP code, then the token endpoint;
//   - a signed-in browser's next authorization (single sign-on: no password, no code), which is
//     what the processes themselves cost when the password hash is not the bulk of the work.
// Beside flows/s it prints where the CPU went, per flow: each server process (and how busy its
// event loop was), the browsers (this process), and the rest of the machine (PostgreSQL, Redis,
// anything else running) from /proc/stat — and the most two processes could reach on these
// cores at that cost, and the store work per flow (PostgreSQL transactions, Redis commands:
// bench/server-activity.ts), which stays the same with two processes when nothing per process
// (a cache, a connection's state) is lost by spreading the flows. Skipped without DATABASE_URL
// and REDIS_URL.
// With BENCH_CPU_QUOTA=<share of a core> (e.g. 0.4), the same flows are measured once more with
// each server process held to that share by a cgroup CPU quota (bench/cpu-quota.ts), so that the
// processes rather than the machine are the limit: that shows whether throughput grows with
// processes (no shared bottleneck), not the 2-core target, which stays as measured above.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMfa } from 'mfakit';
import type { SealingKey } from 'mfakit/cli';
import { generateSecrets } from '../sample-idp/federation/secrets.ts';
import { type BenchStoreSpec, dropBenchStores, openBenchStores, runName } from './bench-stores.ts';
import {
  type BenchUser,
  benchFederationConfig,
  benchUsers,
  createCodeFlows,
  enrollTotpUsers,
  MAX_CONCURRENCY,
} from './code-flow.ts';
import { cpuQuotas, type QuotaGroup } from './cpu-quota.ts';
import { type Report, serverSetting } from './measure.ts';
import { openActivityProbe } from './server-activity.ts';
import { type ServerProcess, startServerCluster } from './server-process.ts';

const POOL = Number(process.env.BENCH_TOTP_USERS ?? 300);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

/** Registers the TOTP users' apps through an engine of the bench's own over the servers' stores and key. */
async function enrollOver(spec: BenchStoreSpec, sealingKeys: SealingKey[], users: BenchUser[]) {
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

/** A loopback port free now (the issuer's, chosen before the servers that listen on it start). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Busy and total CPU time of the whole machine so far (ms, all cores), from /proc/stat. */
function machineCpuMs(): { busy: number; total: number } {
  const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const values = ticks.slice(0, 8).map(Number); // user nice system idle iowait irq softirq steal
  const total = values.reduce((a, b) => a + b, 0) * 10;
  return { busy: total - ((values[3] ?? 0) + (values[4] ?? 0)) * 10, total };
}

interface Tally {
  flows: number;
  seconds: number;
  serverCpuMs: number[];
  loopMs: number[];
  ownMs: number;
  primaryMs: number;
  machineBusyMs: number;
  /** PostgreSQL transactions committed and Redis commands processed (bench/server-activity.ts). */
  pgTransactions: number;
  redisCommands: number;
  /** Per server, under a CPU quota: enforcement periods it ran in, and was throttled in. */
  periods: number[];
  throttled: number[];
}

const emptyTally = (servers: number): Tally => ({
  flows: 0,
  seconds: 0,
  serverCpuMs: Array(servers).fill(0),
  loopMs: Array(servers).fill(0),
  ownMs: 0,
  primaryMs: 0,
  machineBusyMs: 0,
  pgTransactions: 0,
  redisCommands: 0,
  periods: Array(servers).fill(0),
  throttled: Array(servers).fill(0),
});

/** Per flow: each server's CPU, the browsers', the rest of the machine's (ms). */
function perFlow(t: Tally, active: number) {
  const servers = t.serverCpuMs.slice(0, active).map((ms) => ms / t.flows);
  const server = servers.reduce((a, b) => a + b, 0);
  const browsers = (t.ownMs + t.primaryMs) / t.flows;
  const machine = t.machineBusyMs / t.flows;
  return { servers, server, browsers, rest: Math.max(0, machine - server - browsers), machine };
}

function describe(label: string, t: Tally, active: number, cores: number) {
  const f = perFlow(t, active);
  const wallMs = t.seconds * 1000;
  const each = f.servers.map((ms, i) => {
    const loop = (100 * (t.loopMs[i] ?? 0)) / wallMs;
    const cpu = (100 * (t.serverCpuMs[i] ?? 0)) / wallMs;
    const periods = t.periods[i] ?? 0;
    const throttled =
      periods > 0
        ? `, throttled in ${((100 * (t.throttled[i] ?? 0)) / periods).toFixed(0)}% of its periods`
        : '';
    return `${ms.toFixed(2)} ms (${cpu.toFixed(0)}% CPU, event loop busy ${loop.toFixed(0)}%${throttled})`;
  });
  console.log(
    `  ${label}: ${(t.flows / t.seconds).toFixed(1)} flows/s; CPU per flow: server ${each.join(' + ')}, ` +
      `browsers (and the cluster primary) ${f.browsers.toFixed(2)} ms, rest of the machine ${f.rest.toFixed(2)} ms ` +
      `(PostgreSQL, Redis, anything else); machine busy ${((100 * t.machineBusyMs) / wallMs).toFixed(0)}% of ${cores * 100}%; ` +
      `store work per flow: ${(t.pgTransactions / t.flows).toFixed(1)} PostgreSQL transactions, ${(t.redisCommands / t.flows).toFixed(1)} Redis commands`,
  );
  return f;
}

type Mode = 'totp' | 'sso';
type Cluster = Awaited<ReturnType<typeof startServerCluster>>;
type Measure = ReturnType<typeof createCodeFlows>['measure'];
type ActivityProbe = Awaited<ReturnType<typeof openActivityProbe>>;

/** Flows/s and where the CPU went with one accepting process, and with two, alternated ABBA. */
async function compare(
  cluster: Cluster,
  measure: Measure,
  probe: ActivityProbe,
  mode: Mode,
  groups: QuotaGroup[] = [],
) {
  const workers = cluster.workers;
  const accepting = async (count: number) => {
    // Every connection closed, so the browsers' next ones are handed out afresh.
    for (const w of workers) await w.serve(false);
    for (const w of workers.slice(0, count)) await w.serve(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
  };
  const snapshot = async (servers: ServerProcess[]) => ({
    usage: await Promise.all(servers.map((s) => s.usage(false))),
    own: process.cpuUsage(),
    primary: cluster.primaryCpuMs(),
    machine: machineCpuMs(),
    activity: await probe.read(),
    quota: groups.map((g) => g.stat()),
  });
  await accepting(2);
  await measure(mode, 1, MAX_CONCURRENCY); // warm-up, both processes
  const tally = { one: emptyTally(2), two: emptyTally(2) };
  for (const count of ['one', 'two', 'two', 'one'] as const) {
    await accepting(count === 'one' ? 1 : 2);
    let before = await snapshot(workers);
    const r = await measure(mode, SECONDS, MAX_CONCURRENCY, async () => {
      before = await snapshot(workers);
    });
    const after = await snapshot(workers);
    const t = tally[count];
    t.flows += r.flows;
    t.seconds += r.seconds;
    after.usage.forEach((u, i) => {
      t.serverCpuMs[i] = (t.serverCpuMs[i] ?? 0) + u.cpuMs - (before.usage[i]?.cpuMs ?? 0);
      t.loopMs[i] = (t.loopMs[i] ?? 0) + u.loopMs - (before.usage[i]?.loopMs ?? 0);
    });
    after.quota.forEach((q, i) => {
      t.periods[i] = (t.periods[i] ?? 0) + q.periods - (before.quota[i]?.periods ?? 0);
      t.throttled[i] = (t.throttled[i] ?? 0) + q.throttled - (before.quota[i]?.throttled ?? 0);
    });
    const own = process.cpuUsage(before.own);
    t.ownMs += (own.user + own.system) / 1000;
    t.primaryMs += after.primary - before.primary;
    t.machineBusyMs += after.machine.busy - before.machine.busy;
    t.pgTransactions += after.activity.pgTransactions - before.activity.pgTransactions;
    t.redisCommands += after.activity.redisCommands - before.activity.redisCommands;
  }
  return tally;
}

const flowName = (mode: Mode) =>
  mode === 'totp'
    ? `full code flows, password + TOTP, two processes vs one (PostgreSQL + Redis, ${MAX_CONCURRENCY} browsers)`
    : `code flows on a signed-in session (SSO), two processes vs one (PostgreSQL + Redis, ${MAX_CONCURRENCY} browsers)`;

/** The scale-out check: each server process held to `share` of a core, one process vs two. */
async function underQuota(
  report: Report,
  cluster: Cluster,
  measure: Measure,
  probe: ActivityProbe,
  modes: Mode[],
  share: number,
) {
  const quotas = cpuQuotas(share);
  if ('unavailable' in quotas) {
    console.log(
      `each server process under a CPU quota (BENCH_CPU_QUOTA=${share}): cannot run: ${quotas.unavailable}`,
    );
    return;
  }
  const cores = availableParallelism();
  try {
    const groups = cluster.workers.map((w) => quotas.hold(w.pid));
    console.log(
      `each server process now held to ${share} of a core (cgroup ${quotas.version} CPU quota, one cgroup each): ` +
        'this shows whether throughput grows with processes when they are the limit (scale-out), not the 2-core target above',
    );
    for (const mode of modes) {
      const tally = await compare(cluster, measure, probe, mode, groups);
      const one = tally.one.flows / tally.one.seconds;
      const two = tally.two.flows / tally.two.seconds;
      report(`${flowName(mode)}, each process held to ${share} of a core`, two, one, 'flows/s', null);
      const f1 = describe('one process  ', tally.one, 1, cores);
      const f2 = describe('two processes', tally.two, 2, cores);
      verdict(tally, share, cores);
      // With the quota the limit, two processes reach 2× only at the same server CPU per flow.
      console.log(
        `  server CPU per flow, two processes vs one: ${f2.server.toFixed(2)} vs ${f1.server.toFixed(2)} ms ` +
          `(×${(f2.server / f1.server).toFixed(2)}): at the quota, two processes can reach ≈ ×${((2 * f1.server) / f2.server).toFixed(2)}`,
      );
    }
  } finally {
    quotas.remove();
  }
}

/**
 * Whether the quota was the limit: every active process ran at ≥ 90% of its quota (and was
 * throttled, as printed) — its requests waited for CPU time the quota withheld. The machine's
 * busy share counts everything running on it, other work included.
 */
function verdict(tally: { one: Tally; two: Tally }, share: number, cores: number) {
  const runs = [
    { t: tally.one, active: 1 },
    { t: tally.two, active: 2 },
  ];
  const atQuota = runs.every(({ t, active }) =>
    t.serverCpuMs.slice(0, active).every((ms) => ms / (t.seconds * 1000) >= 0.9 * share),
  );
  const busiest = Math.max(...runs.map(({ t }) => t.machineBusyMs / (t.seconds * 1000 * cores)));
  const machine = `the machine was up to ${(100 * busiest).toFixed(0)}% busy (all of it, other work included)`;
  console.log(
    atQuota
      ? `  every active process ran at ≥ 90% of its quota: the quota was the limit; ${machine}`
      : `  a process ran below 90% of its quota: something else limited it too; ${machine}` +
          (busiest >= 0.9 ? ', saturated: try a smaller BENCH_CPU_QUOTA or a quieter machine' : ''),
  );
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
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const users = await benchUsers(POOL);
  const config = benchFederationConfig(issuer, join(tmpdir(), 'mfakit-bench-unused.sqlite'), users);
  const secrets = generateSecrets();
  const cores = availableParallelism();
  const modes = (process.env.BENCH_MODES ?? 'totp,sso').split(',') as Mode[];
  const began = Date.now();
  const cluster = await startServerCluster({ config, stores: spec, secrets }, 2, port);
  const probe = await openActivityProbe(url, redisUrl);
  try {
    console.log(
      `two federation server processes (node:cluster workers) on PostgreSQL + Redis up in ` +
        `${((Date.now() - began) / 1000).toFixed(1)} s (${users.length} users, configured with a passwordHash each)`,
    );
    const { measure } = createCodeFlows(issuer, await enrollOver(spec, secrets.sealingKeys, users));
    for (const mode of modes) {
      const tally = await compare(cluster, measure, probe, mode);
      const one = tally.one.flows / tally.one.seconds;
      const two = tally.two.flows / tally.two.seconds;
      report(flowName(mode), two, one, 'flows/s', 1.7);
      const f1 = describe('one process  ', tally.one, 1, cores);
      const f2 = describe('two processes', tally.two, 2, cores);
      // All the machine's cores spent at the two-process cost per flow: the most two could do here.
      const ceiling = (1000 * cores) / f2.machine;
      console.log(
        `  server CPU per flow, two processes vs one: ${f2.server.toFixed(2)} vs ${f1.server.toFixed(2)} ms ` +
          `(×${(f2.server / f1.server).toFixed(2)}); at ${f2.machine.toFixed(2)} ms of CPU per flow in all, ` +
          `${cores} cores allow at most ${ceiling.toFixed(0)} flows/s: ratio ≤ ${(ceiling / one).toFixed(2)} on this machine` +
          // More than a core's worth in one process: the password hash runs on libuv's thread pool.
          (f1.server * one > 1000
            ? ' (one process already used more than one core: scrypt runs on its thread pool)'
            : ''),
      );
    }
    const share = process.env.BENCH_CPU_QUOTA;
    if (share) await underQuota(report, cluster, measure, probe, modes, Number(share));
  } finally {
    await probe.close();
    await cluster.stop();
    await dropBenchStores(spec);
  }
}
