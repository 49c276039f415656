import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stores } from 'mfakit';
import { createMemoryStores } from 'mfakit/adapters/memory';
import { createSqliteStores } from 'mfakit/adapters/sqlite';
// Below the public API: the engine's own code check, and the authenticator side (its RFC 6238 arithmetic).
import { createEngineContext } from '../src/engine/engine-context.ts';
import { base32Decode } from '../src/methods/otp/base32.ts';
import { runGuardBench } from './guard.ts';
import { asyncOpsPerSecond, harmonic, opsPerSecond } from './measure.ts';
import { runOidcFlowBench } from './oidc-flow.ts';
import { runPasskeyBench } from './passkey.ts';
import { runPolicyBench } from './policy.ts';
import { runRoundTripBench } from './round-trips.ts';
import { runServerMemoryBench } from './server-memory.ts';
import { rawTotpVerifier, STEP_MS, totpAt } from './totp-raw.ts';
import { runTotpServerBench } from './totp-servers.ts';
import { runTwoProcessBench } from './two-processes.ts';

/**
 * npm run bench — every figure is a ratio against a baseline measured in the same run,
 * printed with the absolute numbers. Never part of npm test. The PostgreSQL and Redis parts
 * (TOTP on the servers, two processes vs one, memory on PostgreSQL) need DATABASE_URL and
 * REDIS_URL and are skipped, saying so, without them. `npm run bench -- NAME` runs one part:
 * policy, guard, passkey, oidc, totp, scale, memory, trips.
 */
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
const results: Array<{ name: string; value: number; baseline: number; unit: string; target: number }> = [];

/** One figure against its same-run baseline; `target` null: reported beside a targeted one, no target of its own. */
function report(name: string, value: number, baseline: number, unit: string, target: number | null) {
  const ratio = value / baseline;
  const verdict =
    target === null ? '(no target)' : `(target ≥ ${target}) ${ratio >= target ? 'OK' : 'BELOW TARGET'}`;
  if (target !== null) results.push({ name, value, baseline, unit, target });
  console.log(
    `${name}: ${value.toFixed(0)} vs ${baseline.toFixed(0)} ${unit} → ratio ${ratio.toFixed(3)} ${verdict}`,
  );
}

// ---------- TOTP verify with replay guard vs raw otplib verify ----------
async function totpBenchmark(
  label: string,
  makeStores: (clock: { now(): number }) => Stores,
  target: number | null,
) {
  const N = 40_000;
  let now = Date.UTC(2026, 0, 1);
  const clock = { now: () => now };
  const stores = makeStores(clock);
  // The engine's own one-time-code check (methods + replay guard), below the public API.
  const engine = createEngineContext({
    stores,
    clock,
    issuer: 'bench',
    sealingKeys: [{ id: 'k', key: Buffer.alloc(32, 5) }],
    audit: () => {},
  });
  const totp = engine.methods.get('totp');
  if (!totp?.enrollment) throw new Error('bench: the totp method is not enabled');
  const draft = await totp.enrollment.begin('alice', 'alice');
  const seed = base32Decode(String(draft.fields.secret));
  const confirmed = await totp.enrollment.confirm('alice', draft.draftId, { code: totpAt(seed, now) }, '');
  if (!confirmed.ok) throw new Error('bench enrollment failed');
  const start = now + STEP_MS;
  // Codes for N consecutive time steps, made before timing starts.
  const codes = Array.from({ length: N }, (_, i) => totpAt(seed, start + i * STEP_MS));
  const rawAt = rawTotpVerifier(seed, start, N);
  // Each guarded verification consumes a fresh time step. A code equal to its neighbour's (about
  // one pair in 10^6) would be read, within the ±1 step tolerance, as the already used step.
  const fresh = codes.flatMap((c, i) => (c !== codes[i - 1] && c !== codes[i + 1] ? [i] : []));
  let next = 0;
  const guardedAt = async () => {
    const i = fresh[next++] ?? 0;
    now = start + i * STEP_MS;
    const records = await engine.repository.listMethods('alice', { lastUsed: false });
    const r = await totp.verify('alice', { code: codes[i] ?? '' }, records, 'bench');
    if (!r.ok) throw new Error(`guarded verify failed: ${r.detail}`);
  };
  // Warm both paths, then measure in ABBA rounds so JIT and GC drift weigh on both alike.
  const slice = N / 10;
  opsPerSecond(rawAt, slice);
  await asyncOpsPerSecond(guardedAt, slice);
  const rawRates: number[] = [];
  const guardedRates: number[] = [];
  for (let round = 0; round < 2; round++) {
    rawRates.push(opsPerSecond(rawAt, slice));
    guardedRates.push(await asyncOpsPerSecond(guardedAt, slice));
    guardedRates.push(await asyncOpsPerSecond(guardedAt, slice));
    rawRates.push(opsPerSecond(rawAt, slice));
  }
  const raw = harmonic(rawRates);
  const guarded = harmonic(guardedRates);
  report(
    `TOTP verify + replay guard (${label}) vs raw otplib verify`,
    guarded,
    raw,
    'verifications/s',
    target,
  );
  await stores.close?.();
}

async function main() {
  // `node bench/run.ts policy` (or BENCH_ONLY=policy): only the conditional-access benchmark.
  const only = process.argv[2] ?? process.env.BENCH_ONLY;
  if (only === 'policy') {
    await runPolicyBench();
    return;
  }
  // `node bench/run.ts guard`: only requireMfa against the bare route.
  if (only === 'guard') {
    await runGuardBench(report, DURATION_S);
    return;
  }
  // `node bench/run.ts passkey`: only passkey assertions beside TOTP.
  if (only === 'passkey') {
    await runPasskeyBench(report);
    return;
  }
  // `node bench/run.ts oidc`: only the full code flow through the sample IdP.
  if (only === 'oidc') {
    await runOidcFlowBench(report);
    return;
  }
  // `node bench/run.ts scale`: only code flows through two server processes vs one (PostgreSQL + Redis).
  if (only === 'scale') {
    await runTwoProcessBench(report);
    return;
  }
  // `node bench/run.ts trips`: only the store round trips per sign-in flow (PostgreSQL + Redis).
  if (only === 'trips') {
    await runRoundTripBench();
    return;
  }
  // `node bench/run.ts memory`: only the federation server's resident memory with many records.
  if (only === 'memory') {
    await runServerMemoryBench();
    return;
  }
  console.log(`mfakit benchmarks — node ${process.version}, ${DURATION_S} s per HTTP run\n`);
  // DESIGN.md, performance targets: TOTP verify with replay guard ≥ 0.8× raw otplib verify on the
  // memory store, ≥ 0.35× on SQLite (its one durable write per accepted code is most of the cost).
  await totpBenchmark('memory store', (clock) => createMemoryStores({ clock }), 0.8);
  const totpOnly = only === 'totp';
  const dir = mkdtempSync(join(tmpdir(), 'mfakit-bench-'));
  try {
    await totpBenchmark(
      'SQLite store',
      (clock) => createSqliteStores({ path: join(dir, 'bench.sqlite'), clock }),
      0.35,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await runTotpServerBench(report);
  await runPasskeyBench(report);
  // `node bench/run.ts totp`: only the TOTP verification figures.
  if (!totpOnly) {
    await runGuardBench(report, DURATION_S);
    await runOidcFlowBench(report);
    await runTwoProcessBench(report);
    await runServerMemoryBench();
    await runRoundTripBench();
    await runPolicyBench();
  }
  const below = results.filter((r) => r.value / r.baseline < r.target);
  console.log(`\n${results.length - below.length} of ${results.length} ratios at or above target`);
}

await main();
