import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFederationConfig } from '../sample-idp/federation/config.ts';
import { createFederationServer } from '../sample-idp/federation/server.ts';
import { hashPassword } from '../sample-idp/password-hash.ts';
import { benchFederationConfig, benchUsers, createCodeFlows, enrollTotpUsers } from './code-flow.ts';

/**
 * Full authorization-code flows per second through the sample federation server (SQLite):
 * authorization request → identifier → password (scrypt) → [TOTP prompt → code] → back at
 * the client → token endpoint (bench/code-flow.ts). The same flow with and without the TOTP
 * step, alternated in one run; the password KDF is timed alone and printed, since it
 * dominates both.
 */
const POOL = Number(process.env.BENCH_TOTP_USERS ?? 300);

export async function runOidcFlowBench(
  report: (n: string, v: number, b: number, u: string, t: number) => void,
) {
  const dir = mkdtempSync(join(tmpdir(), 'mfakit-bench-oidc-'));
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  const users = await benchUsers(POOL);
  const config = await parseFederationConfig(
    benchFederationConfig(issuer, join(dir, 'bench.sqlite'), users),
    {},
    { source: 'bench' },
  );
  const server = await createFederationServer(config, { audit: () => {} });
  listener.on('request', server.app);
  const { measure } = createCodeFlows(issuer, await enrollTotpUsers(server.mfa, users));

  try {
    const kdfStart = performance.now();
    for (let i = 0; i < 5; i++) await hashPassword('bench password 0123');
    const kdfMs = (performance.now() - kdfStart) / 5;
    console.log(`password KDF: scrypt N=2^15, r=8, p=1 — ${kdfMs.toFixed(1)} ms per hash here`);
    const seconds = Number(process.env.BENCH_SECONDS ?? 5);
    await measure('password', 1, 4); // warm-up
    await measure('totp', 1, 4);
    const totals = { password: { flows: 0, seconds: 0 }, totp: { flows: 0, seconds: 0 } };
    for (const mode of ['password', 'totp', 'totp', 'password'] as const) {
      const r = await measure(mode, seconds, 4);
      totals[mode].flows += r.flows;
      totals[mode].seconds += r.seconds;
    }
    report(
      'full code flow through the sample IdP, with TOTP vs without (SQLite, 4 concurrent browsers)',
      totals.totp.flows / totals.totp.seconds,
      totals.password.flows / totals.password.seconds,
      'flows/s',
      0.7,
    );
  } finally {
    listener.closeAllConnections();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
