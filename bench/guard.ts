// requireMfa() on a request already satisfied vs the same bare Express route (DESIGN: ≥ 0.95× the
// throughput, same run). The server runs as a child process (bench/guard-server.ts) so the load
// generator does not share its event loop; both routes sit behind the same session middleware.
// Beside the throughput ratio (the target), the server's own CPU time per request on each route:
// on a machine whose cores the load generator shares, throughput moves with whatever else runs,
// while CPU per request is what the guard itself adds (its inverse is the route's capacity).
import { type ChildProcess, fork } from 'node:child_process';
import autocannon from 'autocannon';
import type { Request, Response } from 'express';
import { createMfa } from 'mfakit';
import { createMemoryStores } from 'mfakit/adapters/memory';
import { createMfaExpress } from 'mfakit/express';
import { base32Decode } from '../src/methods/otp/base32.ts';
import { mean, type Report } from './measure.ts';
import { totpAt } from './totp-raw.ts';

/** The server's CPU time so far (ms, user + system), asked over IPC. */
function serverCpuMs(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m: { cpuMs: number }) => resolve(m.cpuMs));
    child.send('usage');
  });
}

/** Signs alice in and enrolls an authenticator app through the JSON API: a satisfied session's cookie. */
async function satisfiedSession(base: string): Promise<string> {
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"user":"alice"}',
  });
  let cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const draft = (await (
    await fetch(`${base}/mfa/api/enroll/totp`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: '{}',
    })
  ).json()) as { draftId: string; secret: string };
  const code = totpAt(base32Decode(draft.secret), Date.now());
  const done = await fetch(`${base}/mfa/api/enroll/totp/confirm`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ draftId: draft.draftId, code }),
  });
  cookie = (done.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const check = await fetch(`${base}/guarded`, { headers: { cookie } });
  if (check.status !== 200) throw new Error(`guarded route refused the benchmark session: ${check.status}`);
  return cookie;
}

/**
 * requireMfa's own work per request, timed in this process: the guard called directly on a
 * session holding a stamp from a real TOTP sign-in (memory store), less the same loop calling
 * `next` bare. No HTTP, so none of the machine's noise: what the guard adds to a request.
 */
async function guardWorkMicroseconds(): Promise<number> {
  const mfa = createMfa({
    stores: createMemoryStores(),
    issuer: 'bench',
    sealingKeys: [{ id: 'k', key: Buffer.alloc(32, 3) }],
    audit: () => {},
  });
  const ctx = { ip: '127.0.0.1' };
  const now = Date.now();
  const draft = await mfa.enrollment.begin('totp', 'alice', 'alice');
  const seed = base32Decode(String(draft.fields.secret));
  const code = (at: number) => ({ code: totpAt(seed, at) });
  await mfa.enrollment.confirm('totp', 'alice', draft.draftId, code(now - 30_000), '', ctx);
  const started = await mfa.beginSignIn({ userId: 'alice', amr: ['pwd'], ip: ctx.ip });
  if (started.status !== 'mfa') throw new Error(`bench: expected an MFA step, got ${started.status}`);
  const verified = await mfa.verifyPending(started.pending.id, code(now), ctx);
  if (!verified.ok) throw new Error(`bench: the TOTP sign-in failed: ${verified.error}`);
  const guard = createMfaExpress(mfa).requireMfa();
  // What the guard reads of a request on this path: the session (express-session's shape).
  const req = { session: { mfakit: { stamp: verified.stamp } }, headers: {} } as unknown as Request;
  const res = {} as Response;
  const through = () =>
    new Promise<void>((resolve, reject) =>
      guard(req, res, (err?: unknown) => (err === undefined ? resolve() : reject(err))),
    );
  const N = 100_000;
  const time = async (once: () => Promise<void>) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await once();
    return Number(process.hrtime.bigint() - start) / N / 1000;
  };
  await time(through); // warm-up
  const guarded = Math.min(await time(through), await time(through));
  const bare = Math.min(await time(() => Promise.resolve()), await time(() => Promise.resolve()));
  return guarded - bare;
}

export async function runGuardBench(report: Report, seconds: number): Promise<void> {
  const child = fork(new URL('./guard-server.ts', import.meta.url), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m: { port: number }) => resolve(m.port)),
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    const cookie = await satisfiedSession(base);
    const tally = {
      bare: { rates: [] as number[], cpuMs: 0, requests: 0 },
      guarded: { rates: [] as number[], cpuMs: 0, requests: 0 },
    };
    const run = async (route: 'bare' | 'guarded', counted = true) => {
      const before = await serverCpuMs(child);
      const r = await autocannon({
        url: `${base}/${route}`,
        connections: 20,
        duration: seconds,
        headers: { cookie },
      });
      const cpuMs = (await serverCpuMs(child)) - before;
      if (r.non2xx > 0) throw new Error(`/${route}: ${r.non2xx} non-2xx responses`);
      if (!counted) return;
      tally[route].rates.push(r.requests.average);
      tally[route].cpuMs += cpuMs;
      tally[route].requests += r.requests.total;
    };
    await run('bare', false); // warm-up
    // ABBA order, twice: drift over the run (JIT, GC, thermal) weighs on both sides alike.
    for (let i = 0; i < 2; i++) {
      await run('bare');
      await run('guarded');
      await run('guarded');
      await run('bare');
    }
    const { bare, guarded } = tally;
    report(
      'requireMfa, satisfied session vs bare route',
      mean(guarded.rates),
      mean(bare.rates),
      'req/s',
      0.95,
    );
    const perRequest = (t: typeof bare) => (1000 * t.cpuMs) / t.requests;
    console.log(
      `  server CPU per request: bare ${perRequest(bare).toFixed(1)} µs, guarded ${perRequest(guarded).toFixed(1)} µs ` +
        `→ the guarded route's capacity ${(perRequest(bare) / perRequest(guarded)).toFixed(3)}× the bare route's`,
    );
    const own = await guardWorkMicroseconds();
    console.log(
      `  the guard's own work, timed in process: ${own.toFixed(2)} µs per request ` +
        `(${((100 * own) / perRequest(bare)).toFixed(1)}% of the bare route's server CPU per request)`,
    );
  } finally {
    child.kill();
  }
}
