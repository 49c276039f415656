// The authorization-code flow the HTTP benchmarks drive through the sample federation server,
// written once: the users and the relying party of the bench configuration, TOTP enrollment,
// and browsers that go authorization request → identifier → password (scrypt) → [TOTP prompt
// → code] → back at the client → token endpoint, checking the ID token's amr. A browser that
// keeps its cookies can also run the flow again on its sign-in session (single sign-on: no
// password, no code), which costs what a signed-in user's visit to another application costs.
import { createHash, randomBytes } from 'node:crypto';
import type { Mfa } from 'mfakit';
import { hashPassword } from '../sample-idp/password-hash.ts';
import { base32Decode } from '../src/methods/otp/base32.ts';
import { Browser, formAction, inputValue, type Page } from '../test/helpers/browser.ts';
import { totpAt } from './totp-raw.ts';

export const RP = 'http://bench-rp.example/cb';
export const CLIENT_ID = 'bench';
const CLIENT_SECRET = 'bench-client-secret-0123456789abcdef';
const PASSWORD = 'bench password 0123';
/** Browsers at once, at most: one password-only user each. */
export const MAX_CONCURRENCY = Number(process.env.BENCH_BROWSERS ?? 8);

export interface BenchUser {
  id: string;
  name: string;
  email: string;
  passwordHash: string;
  mfaState: 'disabled' | 'enforced';
}

let passwordHash: Promise<string> | undefined;

/**
 * One password-only user per concurrent browser (the first-factor gate checks one attempt per
 * account at a time, so browsers sharing an account would wait on each other), then `totp`
 * users whose MFA is enforced. All share one `passwordHash` of the bench password, made once
 * per bench run: a server (each worker of a cluster) then starts without hashing hundreds.
 */
export async function benchUsers(totp: number): Promise<BenchUser[]> {
  passwordHash ??= hashPassword(PASSWORD);
  const hash = await passwordHash;
  const user = (id: string, mfaState: BenchUser['mfaState']): BenchUser => ({
    id,
    name: id,
    email: `${id}@bench.test`,
    passwordHash: hash,
    mfaState,
  });
  return [
    ...Array.from({ length: MAX_CONCURRENCY }, (_, i) => user(`plain${i}`, 'disabled')),
    ...Array.from({ length: totp }, (_, i) => user(`totp${i}`, 'enforced')),
  ];
}

/** The federation configuration of the benchmarks (before parseFederationConfig). */
export function benchFederationConfig(issuer: string, dataFile: string, users: BenchUser[]) {
  return {
    issuer,
    displayName: 'Bench IdP',
    dataFile,
    // Browsers refuse passkeys on an IP address: the flows here type codes.
    passkeys: { enabled: false },
    users,
    relyingParties: [
      { clientId: CLIENT_ID, displayName: 'Bench', clientSecret: CLIENT_SECRET, redirectUris: [RP] },
    ],
  };
}

/** Registers an authenticator app for each enforced user; their base32 secrets by user id. */
export async function enrollTotpUsers(mfa: Mfa, users: BenchUser[]): Promise<Map<string, string>> {
  const secrets = new Map<string, string>();
  for (const u of users.filter((x) => x.mfaState === 'enforced')) {
    const draft = await mfa.enrollment.begin('totp', u.id, u.id);
    const secret = String(draft.fields.secret);
    // The step before now: the flows may use the current one.
    const code = totpAt(base32Decode(secret), Date.now() - 30_000);
    const done = await mfa.enrollment.confirm('totp', u.id, draft.draftId, { code }, 'app', {
      ip: '127.0.0.1',
    });
    if (!done.ok) throw new Error(`bench: enrolling ${u.id} failed`);
    secrets.set(u.id, secret);
  }
  return secrets;
}

export interface FlowStats {
  flows: number;
  seconds: number;
}

export function createCodeFlows(issuer: string, secrets: Map<string, string>) {
  const pool = [...secrets.keys()];
  // A TOTP step is accepted once per method: each flow takes a user whose last step is older.
  const lastStep = new Map<string, number>();
  let cursor = 0;
  const nextTotpUser = () => {
    const step = Math.floor(Date.now() / 30_000);
    for (let tries = 0; tries < pool.length; tries++) {
      const id = pool[cursor++ % pool.length] as string;
      if ((lastStep.get(id) ?? 0) < step) {
        lastStep.set(id, step);
        return id;
      }
    }
    throw new Error(`all ${pool.length} TOTP users were used in this 30 s step: raise BENCH_TOTP_USERS`);
  };

  const submit = (b: Browser, page: Page, contains: string, fields: Record<string, string>) =>
    b.go(new URL(formAction(page.text, contains), issuer).href, {
      form: { _csrf: inputValue(page.text, '_csrf'), ...fields },
      stopAt: (u) => u.origin === new URL(RP).origin,
    });

  /**
   * One flow, in `browser` (a fresh one: a first sign-in). `sso`: the browser is already signed
   * in as `plain<worker>`, so the authorization request comes straight back with a code.
   */
  async function flow(mode: 'totp' | 'password' | 'sso', worker: number, browser = new Browser()) {
    const user = mode === 'totp' ? nextTotpUser() : `plain${worker}`;
    const verifier = randomBytes(32).toString('base64url');
    const auth = new URL('/auth', issuer);
    auth.search = new URLSearchParams({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: RP,
      scope: 'openid',
      state: randomBytes(8).toString('hex'),
      nonce: randomBytes(8).toString('hex'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    let at = await browser.go(auth.href, { stopAt: (u) => u.origin === new URL(RP).origin });
    if (mode !== 'sso') {
      const passwordPage = await submit(browser, at, '/identify', { identifier: user });
      at = await submit(browser, passwordPage, '/login', { identifier: user, password: PASSWORD });
    }
    if (mode === 'totp') {
      const secret = secrets.get(user) ?? '';
      at = await submit(browser, at, '/mfa/prompt', { code: totpAt(base32Decode(secret), Date.now()) });
    }
    const authCode = new URL(at.url).searchParams.get('code');
    if (!authCode)
      throw new Error(`${mode} flow for ${user} ended at ${at.url} (${at.status}): ${at.text.slice(0, 200)}`);
    const token = await fetch(new URL('/token', issuer), {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
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
    if ((mode === 'totp') !== amr.includes('otp')) throw new Error(`unexpected amr ${amr} for ${user}`);
  }

  /**
   * Flows completed by `concurrency` browsers over `seconds` (signed in first for `sso`);
   * `starting` runs just before the timed flows, after those sign-ins.
   */
  async function measure(
    mode: 'totp' | 'password' | 'sso',
    seconds: number,
    concurrency: number,
    starting?: () => Promise<void>,
  ): Promise<FlowStats> {
    const workers = Math.min(concurrency, MAX_CONCURRENCY);
    const browsers = Array.from({ length: workers }, () => new Browser());
    if (mode === 'sso') await Promise.all(browsers.map((b, worker) => flow('password', worker, b)));
    await starting?.();
    const until = Date.now() + seconds * 1000;
    const started = Date.now();
    let flows = 0;
    await Promise.all(
      browsers.map(async (browser, worker) => {
        while (Date.now() < until) {
          await flow(mode, worker, mode === 'sso' ? browser : new Browser());
          flows++;
        }
      }),
    );
    return { flows, seconds: (Date.now() - started) / 1000 };
  }

  return { flow, measure };
}
