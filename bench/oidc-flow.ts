import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../sample-idp/directory.ts';
import { parseFederationConfig } from '../sample-idp/federation/config.ts';
import { createFederationServer } from '../sample-idp/federation/server.ts';
import { base32Decode } from '../src/methods/otp/base32.ts';
import { totpCode } from '../src/methods/otp/otp.ts';
import { Browser, formAction, inputValue, type Page } from '../test/helpers/browser.ts';

/**
 * Full authorization-code flows per second through the sample federation server (SQLite):
 * authorization request → identifier → password (scrypt) → [TOTP prompt → code] → back at
 * the client → token endpoint. The same flow with and without the TOTP step, alternated in
 * one run; the password KDF is timed alone and printed, since it dominates both.
 */
const RP = 'http://bench-rp.example/cb';
const CLIENT_SECRET = 'bench-client-secret-0123456789abcdef';
const PASSWORD = 'bench password 0123';
const MAX_CONCURRENCY = 8;
const POOL = Number(process.env.BENCH_TOTP_USERS ?? 300);

interface FlowStats {
  flows: number;
  seconds: number;
}

export async function runOidcFlowBench(
  report: (n: string, v: number, b: number, u: string, t: number) => void,
) {
  const dir = mkdtempSync(join(tmpdir(), 'mfakit-bench-oidc-'));
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  const users = [
    // One password-only user per concurrent browser: the first-factor gate checks one attempt per
    // account at a time, so browsers sharing an account would wait on each other (429).
    ...Array.from({ length: MAX_CONCURRENCY }, (_, i) => ({
      id: `plain${i}`,
      name: `Plain ${i}`,
      email: `plain${i}@bench.test`,
      password: PASSWORD,
      mfaState: 'disabled',
    })),
    ...Array.from({ length: POOL }, (_, i) => ({
      id: `totp${i}`,
      name: `TOTP ${i}`,
      email: `totp${i}@bench.test`,
      password: PASSWORD,
      mfaState: 'enforced',
    })),
  ];
  const config = await parseFederationConfig(
    {
      issuer,
      displayName: 'Bench IdP',
      dataFile: join(dir, 'bench.sqlite'),
      users,
      relyingParties: [
        { clientId: 'bench', displayName: 'Bench', clientSecret: CLIENT_SECRET, redirectUris: [RP] },
      ],
    },
    {},
    { source: 'bench' },
  );
  const server = await createFederationServer(config, { audit: () => {} });
  listener.on('request', server.app);
  const ctx = { ip: '127.0.0.1' };
  const secrets = new Map<string, string>();
  for (const u of users.filter((x) => x.mfaState === 'enforced')) {
    const draft = await server.mfa.enrollment.begin('totp', u.id, u.id);
    const secret = String(draft.fields.secret);
    const now = Math.floor(Date.now() / 1000);
    await server.mfa.enrollment.confirm(
      'totp',
      u.id,
      draft.draftId,
      { code: code(secret, now - 30) },
      'app',
      ctx,
    );
    secrets.set(u.id, secret);
  }

  // A TOTP step is accepted once per method: each flow takes a user whose last step is older.
  const lastStep = new Map<string, number>();
  let cursor = 0;
  const nextTotpUser = () => {
    const step = Math.floor(Date.now() / 30_000);
    for (let tries = 0; tries < POOL; tries++) {
      const id = `totp${cursor++ % POOL}`;
      if ((lastStep.get(id) ?? 0) < step) {
        lastStep.set(id, step);
        return id;
      }
    }
    throw new Error(`all ${POOL} TOTP users were used in this 30 s step: raise BENCH_TOTP_USERS`);
  };

  const submit = (b: Browser, page: Page, contains: string, fields: Record<string, string>) =>
    b.go(new URL(formAction(page.text, contains), issuer).href, {
      form: { _csrf: inputValue(page.text, '_csrf'), ...fields },
      stopAt: (u) => u.origin === new URL(RP).origin,
    });

  async function flow(withTotp: boolean, worker: number): Promise<void> {
    const b = new Browser();
    const user = withTotp ? nextTotpUser() : `plain${worker}`;
    const verifier = randomBytes(32).toString('base64url');
    const auth = new URL('/auth', issuer);
    auth.search = new URLSearchParams({
      client_id: 'bench',
      response_type: 'code',
      redirect_uri: RP,
      scope: 'openid',
      state: randomBytes(8).toString('hex'),
      nonce: randomBytes(8).toString('hex'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const identify = await b.go(auth.href);
    const passwordPage = await submit(b, identify, '/identify', { identifier: user });
    let at = await submit(b, passwordPage, '/login', { identifier: user, password: PASSWORD });
    if (withTotp) {
      const secret = secrets.get(user) ?? '';
      at = await submit(b, at, '/mfa/prompt', { code: code(secret, Math.floor(Date.now() / 1000)) });
    }
    const callback = new URL(at.url);
    const authCode = callback.searchParams.get('code');
    if (!authCode)
      throw new Error(`flow for ${user} ended at ${at.url} (${at.status}): ${at.text.slice(0, 200)}`);
    const token = await fetch(new URL('/token', issuer), {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`bench:${CLIENT_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: authCode,
        redirect_uri: RP,
        code_verifier: verifier,
      }),
    });
    const body = (await token.json()) as { id_token?: string };
    if (!body.id_token) throw new Error(`token endpoint: ${JSON.stringify(body)}`);
    const amr = JSON.parse(Buffer.from(body.id_token.split('.')[1] ?? '', 'base64url').toString())
      .amr as string[];
    if (withTotp !== amr.includes('otp')) throw new Error(`unexpected amr ${amr} for ${user}`);
  }

  async function measure(withTotp: boolean, seconds: number, concurrency: number): Promise<FlowStats> {
    const until = Date.now() + seconds * 1000;
    const started = Date.now();
    let flows = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, MAX_CONCURRENCY) }, async (_, worker) => {
        while (Date.now() < until) {
          await flow(withTotp, worker);
          flows++;
        }
      }),
    );
    return { flows, seconds: (Date.now() - started) / 1000 };
  }

  try {
    const kdfStart = performance.now();
    for (let i = 0; i < 5; i++) await hashPassword(PASSWORD);
    const kdfMs = (performance.now() - kdfStart) / 5;
    console.log(`password KDF: scrypt N=2^15, r=8, p=1 — ${kdfMs.toFixed(1)} ms per hash here`);
    const seconds = Number(process.env.BENCH_SECONDS ?? 5);
    await measure(false, 1, 4); // warm-up
    await measure(true, 1, 4);
    const totals = { plain: { flows: 0, seconds: 0 }, totp: { flows: 0, seconds: 0 } };
    for (const order of [false, true, true, false]) {
      const r = await measure(order, seconds, 4);
      const t = order ? totals.totp : totals.plain;
      t.flows += r.flows;
      t.seconds += r.seconds;
    }
    report(
      'full code flow through the sample IdP, with TOTP vs without (SQLite, 4 concurrent browsers)',
      totals.totp.flows / totals.totp.seconds,
      totals.plain.flows / totals.plain.seconds,
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

function code(secret: string, epochSeconds: number): string {
  return totpCode(base32Decode(secret), { algorithm: 'sha1', digits: 6, period: 30, epochSeconds });
}
