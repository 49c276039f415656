// TOTP verification with the replay guard on the servers of a scaled-out deployment, beside raw
// otplib verification in the same run (informational: a network round trip costs far more than
// an HMAC). Two figures, each with 32 users verifying at once (one code per user per time step,
// the clock moved by hand between steps):
//   - the method's own check (list the user's methods, match the code, move the step counter
//     atomically) on PostgreSQL: the replay guard is a durable counter, so it is there in every
//     deployment, Redis or not;
//   - the whole second step through the engine (beginSignIn, then verifyPending: the pending
//     sign-in, the lockout counters, the check above, the audit record) on PostgreSQL alone and
//     on PostgreSQL with the short-lived state on Redis.
// Skipped with a message without DATABASE_URL (and the Redis figure without REDIS_URL).
import { createMfa, type Mfa } from 'mfakit';
import { createEngineContext } from '../src/engine/engine-context.ts';
import { base32Decode } from '../src/methods/otp/base32.ts';
import {
  type BenchStoreSpec,
  describeSpec,
  dropBenchStores,
  openBenchStores,
  runName,
} from './bench-stores.ts';
import { harmonic, opsPerSecond, type Report, serverSetting } from './measure.ts';
import { rawTotpVerifier, STEP_MS, totpAt } from './totp-raw.ts';

const USERS = 32;
/** Time steps per timed run: each step, every user verifies once. */
const STEPS = Number(process.env.BENCH_TOTP_STEPS ?? 40);
const KEYS = [{ id: 'k', key: Buffer.alloc(32, 5) }];
const CTX = { ip: '198.51.100.20' };

export async function runTotpServerBench(report: Report): Promise<void> {
  const url = serverSetting('DATABASE_URL', 'TOTP verify on PostgreSQL and Redis');
  if (!url) return;
  const redisUrl = serverSetting('REDIS_URL', 'TOTP second step with the short-lived state on Redis');
  const specs: BenchStoreSpec[] = [{ kind: 'postgres', url, schema: runName() }];
  if (redisUrl) specs.push({ kind: 'postgres+redis', url, schema: runName(), redisUrl, prefix: runName() });
  for (const spec of specs) {
    try {
      await measure(spec, report);
    } finally {
      await dropBenchStores(spec);
    }
  }
}

async function measure(spec: BenchStoreSpec, report: Report) {
  let now = Date.UTC(2026, 0, 1);
  const clock = { now: () => now };
  const stores = await openBenchStores(spec, { clock, invalidation: false });
  try {
    const options = { stores, clock, issuer: 'bench', sealingKeys: KEYS, audit: () => {} };
    const mfa = createMfa(options);
    const users = Array.from({ length: USERS }, (_, i) => `user${i}`);
    const seeds = new Map<string, Uint8Array>();
    for (const user of users) seeds.set(user, await enroll(mfa, user, now));

    // Every user's code for every step to come, made before timing; a code equal to the step
    // before's (about one in 10^6) would read as that step, already used: that turn is skipped.
    let step = 0;
    const turn = async (check: (user: string, code: string) => Promise<boolean>) => {
      step++;
      now += STEP_MS;
      const done = await Promise.all(
        users.map(async (user) => {
          const seed = seeds.get(user) as Uint8Array;
          const code = totpAt(seed, now);
          if (code === totpAt(seed, now - STEP_MS)) return 0;
          if (!(await check(user, code)))
            throw new Error(`${user}: a fresh code was refused at step ${step}`);
          return 1;
        }),
      );
      return done.reduce<number>((a, b) => a + b, 0);
    };
    const rate = async (check: (user: string, code: string) => Promise<boolean>) => {
      const started = process.hrtime.bigint();
      let verified = 0;
      for (let s = 0; s < STEPS; s++) verified += await turn(check);
      return verified / (Number(process.hrtime.bigint() - started) / 1e9);
    };

    const seed = seeds.get('user0') as Uint8Array;
    const raw = rawTotpVerifier(seed, now, 4000);
    const compare = async (label: string, check: (user: string, code: string) => Promise<boolean>) => {
      opsPerSecond(raw, 4000);
      await rate(check); // warm-up
      const rawRates: number[] = [];
      const guardedRates: number[] = [];
      // ABBA order, twice: drift over the run weighs on both sides alike.
      for (let round = 0; round < 2; round++) {
        rawRates.push(opsPerSecond(raw, 4000));
        guardedRates.push(await rate(check));
        guardedRates.push(await rate(check));
        rawRates.push(opsPerSecond(raw, 4000));
      }
      report(label, harmonic(guardedRates), harmonic(rawRates), 'verifications/s', null);
    };

    if (spec.kind === 'postgres') {
      // The method's own check, below the public API (as bench/run.ts measures it on memory and SQLite).
      const engine = createEngineContext(options);
      const totp = engine.methods.get('totp');
      if (!totp) throw new Error('bench: the totp method is not enabled');
      await compare(
        `TOTP verify + replay guard (PostgreSQL, ${USERS} users at once) vs raw otplib verify`,
        async (user, code) => {
          const records = await engine.repository.listMethods(user, { lastUsed: false });
          return (await totp.verify(user, { code }, records, 'bench')).ok;
        },
      );
    }
    await compare(
      `TOTP second step through the engine (${describeSpec(spec)}, ${USERS} users at once) vs raw otplib verify`,
      async (user, code) => {
        const started = await mfa.beginSignIn({ userId: user, amr: ['pwd'], ip: CTX.ip });
        if (started.status !== 'mfa') throw new Error(`${user}: expected an MFA step, got ${started.status}`);
        return (await mfa.verifyPending(started.pending.id, { code }, CTX)).ok;
      },
    );
  } finally {
    await stores.close();
  }
}

/** Registers an authenticator app for `user` at `at`; returns its seed. */
async function enroll(mfa: Mfa, user: string, at: number): Promise<Uint8Array> {
  const draft = await mfa.enrollment.begin('totp', user, user);
  const seed = base32Decode(String(draft.fields.secret));
  const done = await mfa.enrollment.confirm('totp', user, draft.draftId, { code: totpAt(seed, at) }, '', CTX);
  if (!done.ok) throw new Error(`bench: enrolling ${user} failed`);
  return seed;
}
