// Store round trips per sign-in flow through the sample federation server on PostgreSQL + Redis
// (the recommended production shape, bench/bench-stores.ts), counted in this process by
// bench/store-trips.ts: one browser at a time, so every command belongs to the flow under way.
// Kinds of flow (bench/code-flow.ts), each run once to warm up and then RUNS times:
//   - password + TOTP: authorization request → identifier → password → TOTP code → back at the
//     client → token endpoint (a first sign-in in a fresh browser);
//   - password only: the same without the code (a user whose MFA is disabled);
//   - single sign-on: a signed-in browser's next authorization request → code → token endpoint.
// Prints, per kind, the Redis commands and PostgreSQL queries of one flow (and how many of them
// were waited for alone, per server: those sent together to one server cost one wait);
// BENCH_VERBOSE=1 lists them per request. Counts, not timings: the machine's load does not change
// them — but a cached read (the user's sign-in epoch, kept a few seconds) is made again when its
// entry has run out, so a run may show one query more. Skipped without DATABASE_URL and REDIS_URL.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFederationConfig } from '../sample-idp/federation/config.ts';
import { createFederationServer } from '../sample-idp/federation/server.ts';
import { Browser } from '../test/helpers/browser.ts';
import { type BenchStoreSpec, dropBenchStores, openBenchStores, runName } from './bench-stores.ts';
import { benchFederationConfig, benchUsers, createCodeFlows, enrollTotpUsers } from './code-flow.ts';
import { countTrips, installTripCounter, type Trip, tally, within } from './store-trips.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const VERBOSE = process.env.BENCH_VERBOSE === '1';

const KINDS = [
  { mode: 'totp', name: 'password + TOTP code flow' },
  { mode: 'password', name: 'password-only code flow' },
  { mode: 'sso', name: 'single sign-on (signed-in browser)' },
] as const;

/** One flow's trips, listed per request (BENCH_VERBOSE=1). */
function list(trips: Trip[]) {
  let label = '';
  for (const t of trips) {
    if (t.label !== label) console.log(`    ${t.label}`);
    label = t.label;
    console.log(`      ${t.wait ? ' ' : '+'} ${t.server === 'redis' ? 'R' : 'P'} ${t.what}`);
  }
}

const summary = (t: Trip[]) => {
  const r = tally(t, 'redis');
  const p = tally(t, 'postgres');
  return `Redis ${r.count} commands (${r.waits} waits), PostgreSQL ${p.count} queries (${p.waits} waits)`;
};

export async function runRoundTripBench(): Promise<void> {
  const url = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!url || !redisUrl) {
    console.log('store round trips per flow: skipped (needs DATABASE_URL and REDIS_URL)');
    return;
  }
  installTripCounter();
  const name = runName();
  const spec: BenchStoreSpec = { kind: 'postgres+redis', url, schema: name, redisUrl, prefix: name };
  const stores = await openBenchStores(spec);
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  const users = await benchUsers(2 * (RUNS + 1));
  const config = await parseFederationConfig(
    benchFederationConfig(issuer, join(tmpdir(), `${name}.sqlite`), users),
    {},
    { source: 'bench' },
  );
  const server = await createFederationServer(config, { stores, audit: () => {} });
  listener.on('request', (req, res) =>
    within(`${req.method} ${new URL(req.url ?? '/', issuer).pathname}`, () => server.app(req, res)),
  );
  const { flow } = createCodeFlows(issuer, await enrollTotpUsers(server.mfa, users));
  console.log(
    `Store round trips per flow through the sample federation server (PostgreSQL + Redis), ${RUNS} runs each:`,
  );
  try {
    for (const kind of KINDS) {
      const browser = new Browser();
      if (kind.mode === 'sso') await flow('password', 0, browser);
      const run = () => flow(kind.mode, 0, kind.mode === 'sso' ? browser : new Browser());
      await run(); // warm-up: scripts loaded, connections open, caches filled
      const runs: Trip[][] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await countTrips(run));
      const lines = [...new Set(runs.map(summary))];
      console.log(`  ${kind.name}: ${lines.join(' | ')}${lines.length > 1 ? ' (runs differ)' : ''}`);
      if (VERBOSE) list(runs[runs.length - 1] ?? []);
    }
  } finally {
    listener.closeAllConnections();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    await server.close();
    await stores.close();
    await dropBenchStores(spec);
  }
}
