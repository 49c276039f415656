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
// cores at that cost. Skipped without DATABASE_URL and REDIS_URL.
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
import { type Report, serverSetting } from './measure.ts';
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
}

const emptyTally = (servers: number): Tally => ({
  flows: 0,
  seconds: 0,
  serverCpuMs: Array(servers).fill(0),
  loopMs: Array(servers).fill(0),
  ownMs: 0,
  primaryMs: 0,
  machineBusyMs: 0,
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
    return `${ms.toFixed(2)} ms (${cpu.toFixed(0)}% CPU, event loop busy ${loop.toFixed(0)}%)`;
  });
  console.log(
    `  ${label}: ${(t.flows / t.seconds).toFixed(1)} flows/s; CPU per flow: server ${each.join(' + ')}, ` +
      `browsers (and the cluster primary) ${f.browsers.toFixed(2)} ms, rest of the machine ${f.rest.toFixed(2)} ms ` +
      `(PostgreSQL, Redis, anything else); machine busy ${((100 * t.machineBusyMs) / wallMs).toFixed(0)}% of ${cores * 100}%`,
  );
  return f;
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
  const began = Date.now();
  const cluster = await startServerCluster({ config, stores: spec, secrets }, 2, port);
  try {
    console.log(
      `two federation server processes (node:cluster workers) on PostgreSQL + Redis up in ` +
        `${((Date.now() - began) / 1000).toFixed(1)} s (${users.length} users, configured with a passwordHash each)`,
    );
    const { measure } = createCodeFlows(issuer, await enrollOver(spec, secrets.sealingKeys, users));
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
    });

    for (const mode of (process.env.BENCH_MODES ?? 'totp,sso').split(',') as Array<'totp' | 'sso'>) {
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
        const own = process.cpuUsage(before.own);
        t.ownMs += (own.user + own.system) / 1000;
        t.primaryMs += after.primary - before.primary;
        t.machineBusyMs += after.machine.busy - before.machine.busy;
      }
      const one = tally.one.flows / tally.one.seconds;
      const two = tally.two.flows / tally.two.seconds;
      report(
        mode === 'totp'
          ? `full code flows, password + TOTP, two processes vs one (PostgreSQL + Redis, ${MAX_CONCURRENCY} browsers)`
          : `code flows on a signed-in session (SSO), two processes vs one (PostgreSQL + Redis, ${MAX_CONCURRENCY} browsers)`,
        two,
        one,
        'flows/s',
        1.7,
      );
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
  } finally {
    await cluster.stop();
    await dropBenchStores(spec);
  }
}
