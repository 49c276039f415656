/**
 * Conditional-access decisions per second on one core: the compiled policy set
 * (`compilePolicySet(doc).evaluate`) against the naive reference evaluator on the same
 * document and the same contexts, measured in the same run, for 10, 100 and 1,000 policies
 * over 10,000 CIDR ranges. Documents and contexts come from a seeded PRNG
 * (bench/policy-workload.ts), so every run measures the same workload.
 */

import { compilePolicySet, naiveEvaluator, type PolicyContext, type PolicyEvaluation } from 'mfakit/policy';
import {
  CIDR_COUNT,
  CONTEXT_COUNT,
  LOCATION_COUNT,
  makeContexts,
  makeDocument,
  makeLocations,
  prng,
} from './policy-workload.ts';

const TARGET_PER_S = 200_000;
const POLICY_COUNTS = [10, 100, 1000] as const;
const TARGET_POLICIES = 100;
const ROUND_MS = Number(process.env.BENCH_POLICY_ROUND_MS ?? 400);
const ROUNDS = 5;
const WARMUP_MS = 300;

// ---------- measurement ----------
type Evaluate = (ctx: PolicyContext) => PolicyEvaluation;
let sink = 0;

/** Decisions per second over at least `ms`, cycling through the pool from `state.next`. */
function round(evaluate: Evaluate, pool: readonly PolicyContext[], ms: number, state: { next: number }) {
  const budget = BigInt(Math.round(ms * 1e6));
  const start = process.hrtime.bigint();
  let done = 0;
  let i = state.next;
  let elapsed = 0n;
  for (;;) {
    // Check the clock every 16 decisions: cheap next to a decision, and fine-grained enough
    // for the naive evaluator at 1,000 policies, where one decision can take a millisecond.
    for (let k = 0; k < 16; k++) {
      const r = evaluate(pool[i] as PolicyContext);
      sink = (sink + r.results.length + r.action.length) | 0;
      if (++i === pool.length) i = 0;
    }
    done += 16;
    elapsed = process.hrtime.bigint() - start;
    if (elapsed >= budget) break;
  }
  state.next = i;
  return done / (Number(elapsed) / 1e9);
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

/** Compiled and naive must decide alike; returns the compiled candidates per decision. */
function agree(compiled: Evaluate, naive: Evaluate, pool: readonly PolicyContext[], count: number) {
  const candidates: number[] = [];
  const actions = { allow: 0, mfa: 0, block: 0 };
  pool.forEach((ctx, i) => {
    const a = compiled(ctx);
    const b = naive(ctx);
    const key = (e: PolicyEvaluation) =>
      JSON.stringify([e.action, e.blockedBy, e.requirements.map((r) => r.source), e.sessionControls]);
    if (a.action !== b.action || key(a) !== key(b))
      throw new Error(
        `policy bench: compiled and naive disagree at ${count} policies on context ${i} (${JSON.stringify(ctx)}): compiled ${key(a)}, naive ${key(b)}`,
      );
    candidates.push(a.results.length);
    actions[a.action]++;
  });
  return { candidates, actions };
}

export interface PolicyBenchRow {
  policies: number;
  compiled: number;
  naive: number;
  candidatesMedian: number;
  candidatesMean: number;
}

export async function runPolicyBench(): Promise<{ rows: PolicyBenchRow[]; ok: boolean }> {
  console.log(
    `\nConditional access: decisions/s on one core, ${CIDR_COUNT.toLocaleString('en-US')} CIDRs in ${LOCATION_COUNT} named locations, ${CONTEXT_COUNT.toLocaleString('en-US')} contexts`,
  );
  const { ranges } = makeLocations(prng(0x10ca7e));
  const pool = makeContexts(ranges);
  const rows: PolicyBenchRow[] = [];
  for (const count of POLICY_COUNTS) {
    const doc = makeDocument(count);
    const set = compilePolicySet(doc);
    const compiled: Evaluate = (ctx) => set.evaluate(ctx);
    const naive = naiveEvaluator(doc);
    const { candidates, actions } = agree(compiled, naive, pool, count);

    const cState = { next: 0 };
    const nState = { next: 0 };
    round(compiled, pool, WARMUP_MS, cState);
    round(naive, pool, WARMUP_MS, nState);
    const cRates: number[] = [];
    const nRates: number[] = [];
    // Alternate the two so drift (GC, JIT, thermal) weighs on both alike.
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        cRates.push(round(compiled, pool, ROUND_MS, cState));
        nRates.push(round(naive, pool, ROUND_MS, nState));
      } else {
        nRates.push(round(naive, pool, ROUND_MS, nState));
        cRates.push(round(compiled, pool, ROUND_MS, cState));
      }
    }
    const row: PolicyBenchRow = {
      policies: count,
      compiled: median(cRates),
      naive: median(nRates),
      candidatesMedian: median(candidates),
      candidatesMean: candidates.reduce((a, b) => a + b, 0) / candidates.length,
    };
    rows.push(row);
    const live = doc.policies.filter((p) => p.state !== 'off').length;
    console.log(
      `  ${count} policies (${live} not off): ${actions.allow} allow / ${actions.mfa} mfa / ${actions.block} block over the pool; compiled and naive agree on all ${pool.length}`,
    );
  }

  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const table = [
    ['policies', 'compiled/s', 'naive/s', 'compiled÷naive', 'candidates/decision (median, mean)'],
    ...rows.map((r) => [
      String(r.policies),
      fmt(r.compiled),
      fmt(r.naive),
      `${(r.compiled / r.naive).toFixed(1)}×`,
      `${r.candidatesMedian}, ${r.candidatesMean.toFixed(1)}`,
    ]),
  ];
  const widths = (table[0] ?? []).map((_, c) => Math.max(...table.map((row) => (row[c] ?? '').length)));
  for (const row of table)
    console.log(
      `  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ')}`,
    );
  const target = rows.find((r) => r.policies === TARGET_POLICIES);
  const ok = target !== undefined && target.compiled >= TARGET_PER_S;
  console.log(
    `  compiled at ${TARGET_POLICIES} policies: ${fmt(target?.compiled ?? 0)} decisions/s (target ≥ ${fmt(TARGET_PER_S)}) ${ok ? 'OK' : 'BELOW TARGET'}`,
  );
  if (sink === 0.5) console.log(''); // keep the results observable
  return { rows, ok };
}
