/**
 * The demo relying party against a real oidc-provider, both listening on ephemeral
 * 127.0.0.1 ports. The test OP has its own tiny interaction route instead of a login form,
 * so each test decides what the OP answers: who signed in, with which acr and amr, or an
 * error. A "browser" keeps one cookie jar per origin and follows redirects by hand.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import Provider, { type Configuration, interactionPolicy } from 'oidc-provider';
import request from 'supertest';
import {
  ACR_MFA,
  ACR_PASSWORD,
  ACR_PHISHING_RESISTANT,
  acrAtLeast,
  acrRank,
} from '../../sample-idp/demo-rp/acr.ts';
import { createDemoRp, type DemoRpConfig } from '../../sample-idp/demo-rp/rp-app.ts';
import { close, type Listening, listen } from '../helpers/listen.ts';

const CLIENT_ID = 'demo-rp';
const CLIENT_SECRET = 'demo-rp-secret-that-is-long-enough';
const SIGNING_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

/** What the test OP's interaction route answers next. */
type OpAnswer =
  | { accountId: string; acr: string; amr: string[]; ts?: number }
  | { error: string; error_description: string };

/**
 * The OP's login prompt, plus one check the default policy lacks: `acr_values` asking for more
 * than the OP session has starts a new login (a step-up). After the interaction, whatever it
 * answered stands, so the OP can "answer pwd anyway".
 */
function stepUpPolicy() {
  const policy = interactionPolicy.base();
  policy.get('login')?.checks.add(
    new interactionPolicy.Check('acr_values_step_up', 'a stronger sign-in was requested', (ctx) => {
      const wanted = ctx.oidc.params?.acr_values;
      if (typeof wanted !== 'string' || ctx.oidc.result?.login)
        return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return wanted.split(' ').includes(String(ctx.oidc.acr))
        ? interactionPolicy.Check.NO_NEED_TO_PROMPT
        : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

async function startOp(op: Listening, rpUrl: string) {
  const state = {
    answer: { accountId: 'alice', acr: ACR_PASSWORD, amr: ['pwd'] } as OpAnswer,
    /** The authorization request parameters of each login interaction. */
    logins: [] as Array<Record<string, unknown>>,
  };
  const configuration: Configuration = {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${rpUrl}/callback`],
        post_logout_redirect_uris: [`${rpUrl}/signed-out`],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    claims: {
      openid: ['sub'],
      profile: ['name'],
      email: ['email'],
      acr: null,
      amr: null,
      auth_time: null,
    },
    acrValues: [ACR_PASSWORD, ACR_MFA, ACR_PHISHING_RESISTANT],
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, name: `User ${sub}`, email: `${sub}@example.test` }),
    }),
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    interactions: { policy: stepUpPolicy(), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    jwks: { keys: [{ ...SIGNING_KEY, kid: 'test', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['test-op-cookie-key-0123456789'] },
  };
  const provider = new Provider(op.url, configuration);
  const app = express();
  app.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        state.logins.push(details.params);
        const answer = state.answer;
        if ('error' in answer) return await provider.interactionFinished(req, res, answer);
        return await provider.interactionFinished(req, res, { login: answer });
      }
      const accountId = details.session?.accountId ?? '';
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      if (!grant) throw new Error('grant vanished');
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    } catch (err) {
      next(err);
    }
  });
  app.use(provider.callback());
  op.handle(app);
  return state;
}

type Agent = ReturnType<typeof request.agent>;
type Res = Awaited<ReturnType<Agent['get']>>;

/** One cookie jar per origin, like a browser (which would also separate them by port for the OP's `__Host-` cookies). */
class Browser {
  private readonly agents = new Map<string, Agent>();
  agent(origin: string): Agent {
    let agent = this.agents.get(origin);
    if (!agent) {
      agent = request.agent(origin);
      this.agents.set(origin, agent);
    }
    return agent;
  }
  get(url: string): Promise<Res> {
    const u = new URL(url);
    return this.agent(u.origin)
      .get(u.pathname + u.search)
      .redirects(0);
  }
  post(url: string, form: Record<string, string>): Promise<Res> {
    const u = new URL(url);
    return this.agent(u.origin)
      .post(u.pathname + u.search)
      .type('form')
      .send(form)
      .redirects(0);
  }
  /** GETs `url` and follows redirects; stops before a URL `stopAt` accepts. */
  async follow(url: string, stopAt: (u: URL) => boolean = () => false) {
    const trail: string[] = [];
    let current = url;
    for (let i = 0; i < 20; i++) {
      trail.push(current);
      const res = await this.get(current);
      const location = res.headers.location;
      if (res.status < 300 || res.status >= 400 || typeof location !== 'string')
        return { res, url: current, trail };
      const next = new URL(location, current);
      if (stopAt(next)) return { res, url: current, trail, next: next.href };
      current = next.href;
    }
    throw new Error(`too many redirects: ${trail.join(' -> ')}`);
  }
}

const claimCell = (page: string, claim: string) =>
  new RegExp(`data-claim="${claim}">([^<]*)<`).exec(page)?.[1];
const csrfFrom = (page: string) => {
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m?.[1]) throw new Error(`no CSRF token in page: ${page}`);
  return m[1];
};
const sessionCookie = (res: Res): string | undefined => {
  const raw = res.headers['set-cookie'] as unknown;
  const cookies = Array.isArray(raw) ? (raw as string[]) : [];
  return cookies.find((c) => c.startsWith('demo_rp_sid='));
};
const jwtPayload = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));

describe('the demo relying party (openid-client) against oidc-provider', function () {
  this.timeout(60_000);
  let op: Listening;
  let rp: Listening;
  let opState: Awaited<ReturnType<typeof startOp>>;
  let rpConfig: DemoRpConfig;

  before(async () => {
    op = await listen();
    rp = await listen();
    opState = await startOp(op, rp.url);
    rpConfig = {
      issuer: op.url,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: `${rp.url}/callback`,
      postLogoutRedirectUri: `${rp.url}/signed-out`,
      baseUrl: rp.url,
      sessionSecret: 'a-session-secret-for-the-demo-rp-tests',
      allowInsecureHttp: true,
    };
    const { app } = await createDemoRp(rpConfig);
    rp.handle(app);
  });
  after(async () => {
    await close(rp);
    await close(op);
  });
  beforeEach(() => {
    opState.answer = { accountId: 'alice', acr: ACR_PASSWORD, amr: ['pwd'] };
    opState.logins.length = 0;
  });

  const isCallback = (u: URL) => u.origin === rp.url && u.pathname === '/callback';

  /** Signs in from /login through the OP and back; returns the browser and the final page. */
  async function signIn(browser = new Browser(), path = '/login') {
    const flow = await browser.follow(`${rp.url}${path}`);
    return { browser, ...flow };
  }

  /** Runs the flow up to (not into) the RP's callback; returns the callback URL the OP sent. */
  async function callbackUrl(browser: Browser, path = '/login') {
    const flow = await browser.follow(`${rp.url}${path}`, isCallback);
    assert.ok(
      flow.next,
      `the OP did not send the browser back: ${flow.trail.join(' -> ')} (${flow.res.status})`,
    );
    return new URL(flow.next);
  }

  it('signs in with the code flow (PKCE S256, state, nonce) and shows sub, name, email, amr, acr and auth_time', async () => {
    const before = Math.floor(Date.now() / 1000);
    opState.answer = { accountId: 'alice', acr: ACR_PASSWORD, amr: ['pwd', 'otp'] };
    const { res, url, trail } = await signIn();
    assert.equal(res.status, 200, res.text);
    assert.equal(url, `${rp.url}/`);
    const auth = new URL(trail.find((u) => u.startsWith(`${op.url}/auth?`)) ?? '');
    assert.equal(auth.searchParams.get('response_type'), 'code');
    assert.equal(auth.searchParams.get('client_id'), CLIENT_ID);
    assert.equal(auth.searchParams.get('redirect_uri'), `${rp.url}/callback`);
    assert.equal(auth.searchParams.get('scope'), 'openid profile email');
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assert.match(auth.searchParams.get('code_challenge') ?? '', /^[\w-]{43}$/);
    assert.ok((auth.searchParams.get('state') ?? '').length >= 20);
    assert.ok((auth.searchParams.get('nonce') ?? '').length >= 20);
    assert.deepEqual(JSON.parse(auth.searchParams.get('claims') ?? '{}'), {
      id_token: { acr: null, amr: null, auth_time: { essential: true } },
    });
    assert.equal(opState.logins.length, 1);

    assert.equal(claimCell(res.text, 'sub'), 'alice');
    assert.equal(claimCell(res.text, 'name'), 'User alice');
    assert.equal(claimCell(res.text, 'email'), 'alice@example.test');
    assert.equal(claimCell(res.text, 'amr'), 'pwd, otp');
    assert.equal(claimCell(res.text, 'acr'), ACR_PASSWORD);
    assert.equal(claimCell(res.text, 'iss'), op.url);
    const authTime = Date.parse(claimCell(res.text, 'auth_time') ?? '') / 1000;
    assert.ok(authTime >= before - 1 && authTime <= Date.now() / 1000 + 1, `auth_time ${authTime}`);
    assert.match(res.text, /<form method="post" action="\/logout">/);
    assert.match(res.text, /href="\/sensitive"/);
  });

  it('the home page of a signed-out visitor has a "Sign in" link and sets no cookie', async () => {
    const res = await request(rp.url).get('/');
    assert.equal(res.status, 200);
    assert.match(res.text, /<a href="\/login">Sign in<\/a>/);
    assert.equal(sessionCookie(res), undefined);
  });

  it('the session cookie is demo_rp_sid, HttpOnly and SameSite=Lax, and gets a new id at sign-in', async () => {
    const browser = new Browser();
    const login = await browser.get(`${rp.url}/login`);
    assert.equal(login.status, 303);
    const first = sessionCookie(login);
    assert.ok(first, 'no session cookie when the flow starts');
    assert.match(first, /HttpOnly/i);
    assert.match(first, /SameSite=Lax/i);
    const back = await browser.follow(login.headers.location ?? '', isCallback);
    assert.ok(back.next);
    const callback = await browser.get(back.next);
    assert.equal(callback.status, 303);
    assert.equal(callback.headers.location, '/');
    const second = sessionCookie(callback);
    assert.ok(second, 'no new session cookie at sign-in');
    assert.notEqual(second.split(';')[0], first.split(';')[0]);
  });

  it('passes ?prompt=login and ?max_age=N through to the OP, and refuses bad values', async () => {
    const { browser } = await signIn();
    const again = await browser.follow(`${rp.url}/login?prompt=login&max_age=300`);
    assert.equal(again.res.status, 200, again.res.text);
    const auth = new URL(again.trail.find((u) => u.startsWith(`${op.url}/auth?`)) ?? '');
    assert.equal(auth.searchParams.get('prompt'), 'login');
    assert.equal(auth.searchParams.get('max_age'), '300');
    assert.equal(opState.logins.length, 2, 'prompt=login makes the OP ask again');
    assert.equal(Number(opState.logins[1]?.max_age), 300);
    const bad = await browser.get(`${rp.url}/login?max_age=soon`);
    assert.equal(bad.status, 400);
    const badPrompt = await browser.get(`${rp.url}/login?prompt=<script>`);
    assert.equal(badPrompt.status, 400);
    assert.doesNotMatch(badPrompt.text, /<script>/);
  });

  it('an ID token whose auth_time is older than the max_age sent is rejected (400)', async () => {
    opState.answer = {
      accountId: 'alice',
      acr: ACR_PASSWORD,
      amr: ['pwd'],
      ts: Math.floor(Date.now() / 1000) - 3600,
    };
    const { res, url } = await signIn(new Browser(), '/login?max_age=300');
    assert.ok(url.startsWith(`${rp.url}/callback?`), url);
    assert.equal(res.status, 400);
    assert.match(res.text, /failed a security check/);
    assert.match(res.text, /too much time has elapsed since the last End-User authentication/);
  });

  it('a callback whose state does not match is rejected with 400 and says so; the sign-in it spoiled cannot be finished', async () => {
    const browser = new Browser();
    const cb = await callbackUrl(browser);
    const forged = new URL(cb);
    forged.searchParams.set('state', 'not-the-state-this-browser-sent');
    const res = await browser.get(forged.href);
    assert.equal(res.status, 400);
    assert.match(res.text, /state mismatch/);
    assert.equal(sessionCookie(res)?.includes('Max-Age=0') ?? false, false);
    const late = await browser.get(cb.href);
    assert.equal(late.status, 400);
    assert.match(late.text, /No sign-in in progress/);
    const home = await browser.get(`${rp.url}/`);
    assert.equal(claimCell(home.text, 'sub'), undefined);
  });

  it('a replayed callback is rejected with 400 and a clear message, and does not sign anyone in', async () => {
    const browser = new Browser();
    const cb = await callbackUrl(browser);
    const ok = await browser.get(cb.href);
    assert.equal(ok.status, 303);
    const replay = await browser.get(cb.href);
    assert.equal(replay.status, 400);
    assert.match(replay.text, /No sign-in in progress/);
    const stranger = new Browser();
    const elsewhere = await stranger.get(cb.href);
    assert.equal(elsewhere.status, 400);
    assert.match(elsewhere.text, /No sign-in in progress/);
    assert.equal(claimCell((await stranger.get(`${rp.url}/`)).text, 'sub'), undefined);
  });

  it("a code from another browser's sign-in, under this browser's state, fails the PKCE check at the OP (400, not signed in)", async () => {
    const victim = new Browser();
    const started = await victim.get(`${rp.url}/login`);
    const victimState = new URL(started.headers.location ?? '').searchParams.get('state') ?? '';
    const attacker = new Browser();
    const attackerCb = await callbackUrl(attacker);
    const injected = new URL(attackerCb);
    injected.searchParams.set('state', victimState);
    const res = await victim.get(injected.href);
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /did not accept this sign-in response/);
    assert.match(res.text, /invalid_grant/);
    assert.equal(claimCell((await victim.get(`${rp.url}/`)).text, 'sub'), undefined);
  });

  it('an error from the OP shows a page with error and error_description, escaped, not a 5xx', async () => {
    opState.answer = { error: 'access_denied', error_description: 'The user <b>cancelled</b> & left' };
    const { res, url } = await signIn();
    assert.ok(url.startsWith(`${rp.url}/callback?`), url);
    assert.equal(res.status, 400);
    assert.match(res.text, /data-field="error">access_denied</);
    assert.match(
      res.text,
      /data-field="error_description">The user &lt;b&gt;cancelled&lt;\/b&gt; &amp; left</,
    );
    assert.doesNotMatch(res.text, /<b>cancelled/);
  });

  it('prompt=none without an OP session comes back as login_required, shown as a page', async () => {
    const { res, url } = await signIn(new Browser(), '/login?prompt=none');
    assert.ok(url.startsWith(`${rp.url}/callback?`), url);
    assert.equal(res.status, 400);
    assert.match(res.text, /data-field="error">login_required</);
    assert.equal(opState.logins.length, 0);
  });

  it('an OP error with a state that is not ours is not echoed', async () => {
    const browser = new Browser();
    await browser.get(`${rp.url}/login`);
    const res = await browser.get(
      `${rp.url}/callback?error=access_denied&error_description=${encodeURIComponent('Call +1 555 0100')}&state=x`,
    );
    assert.equal(res.status, 400);
    assert.doesNotMatch(res.text, /555/);
    assert.match(res.text, /state mismatch/);
  });

  it('/sensitive with a pwd session sends the browser to the OP with acr_values=urn:mfakit:acr:mfa', async () => {
    const { browser } = await signIn();
    const res = await browser.get(`${rp.url}/sensitive`);
    assert.equal(res.status, 303);
    const auth = new URL(res.headers.location ?? '');
    assert.equal(auth.origin + auth.pathname, `${op.url}/auth`);
    assert.equal(auth.searchParams.get('acr_values'), ACR_MFA);
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(auth.searchParams.get('state'));
    assert.ok(auth.searchParams.get('nonce'));
  });

  it('an OP that answers the step-up with acr pwd anyway gets 403 from /sensitive', async () => {
    const { browser } = await signIn();
    opState.answer = { accountId: 'alice', acr: ACR_PASSWORD, amr: ['pwd'] };
    const { res, url } = await browser.follow(`${rp.url}/sensitive`);
    assert.equal(opState.logins.length, 2, 'the OP was asked again');
    assert.equal(opState.logins[1]?.acr_values, ACR_MFA);
    assert.equal(url, `${rp.url}/sensitive`);
    assert.equal(res.status, 403);
    assert.match(res.text, /This action needs a stronger sign-in/);
    assert.doesNotMatch(res.text, /<h1>Sensitive action/);
    // Asking again goes back to the OP rather than looping or granting.
    const again = await browser.get(`${rp.url}/sensitive`);
    assert.equal(again.status, 303);
    assert.equal(new URL(again.headers.location ?? '').searchParams.get('acr_values'), ACR_MFA);
  });

  it('an OP that answers an unknown acr is treated as the lowest level (403)', async () => {
    const { browser } = await signIn();
    opState.answer = { accountId: 'alice', acr: 'urn:example:acr:gold', amr: ['pwd', 'otp'] };
    const { res } = await browser.follow(`${rp.url}/sensitive`);
    assert.equal(res.status, 403);
    assert.match(res.text, /urn:example:acr:gold/);
  });

  it('an OP that answers the step-up with acr mfa gets the sensitive page', async () => {
    const { browser } = await signIn();
    opState.answer = { accountId: 'alice', acr: ACR_MFA, amr: ['pwd', 'otp', 'mfa'] };
    const { res, url } = await browser.follow(`${rp.url}/sensitive`);
    assert.equal(url, `${rp.url}/sensitive`);
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /<h1>Sensitive action<\/h1>/);
    assert.equal(claimCell(res.text, 'acr'), ACR_MFA);
    assert.equal(claimCell(res.text, 'amr'), 'pwd, otp, mfa');
    // Now strong enough: no new trip to the OP.
    const again = await browser.get(`${rp.url}/sensitive`);
    assert.equal(again.status, 200);
    assert.equal(opState.logins.length, 2);
  });

  it('a phishing-resistant (phr) session is enough for /sensitive straight away', async () => {
    opState.answer = { accountId: 'alice', acr: ACR_PHISHING_RESISTANT, amr: ['hwk', 'mfa'] };
    const { browser } = await signIn();
    const res = await browser.get(`${rp.url}/sensitive`);
    assert.equal(res.status, 200);
    assert.equal(opState.logins.length, 1);
  });

  it('/payments needs …:phr: a session at …:mfa is sent to the OP with acr_values …:phr; a weaker answer is 403 there only', async () => {
    opState.answer = { accountId: 'alice', acr: ACR_MFA, amr: ['pwd', 'otp', 'mfa'] };
    const { browser, res: home } = await signIn();
    assert.match(home.text, /href="\/payments">Approve payments<\/a>/);
    const { res, url } = await browser.follow(`${rp.url}/payments`);
    assert.equal(opState.logins[1]?.acr_values, ACR_PHISHING_RESISTANT);
    assert.equal(url, `${rp.url}/payments`);
    assert.equal(res.status, 403);
    assert.match(res.text, /needs at least <code>urn:mfakit:acr:phr<\/code>/);
    assert.match(res.text, /<a href="\/payments">Try again<\/a>/);
    // The session at …:mfa still opens the sensitive page (the refusal belongs to /payments).
    opState.answer = { accountId: 'alice', acr: ACR_PHISHING_RESISTANT, amr: ['hwk', 'user', 'mfa'] };
    assert.equal((await browser.get(`${rp.url}/sensitive`)).status, 200);
    const approved = await browser.follow(`${rp.url}/payments`);
    assert.equal(approved.res.status, 200);
    assert.match(approved.res.text, /<h1>Approve payments<\/h1>/);
    assert.equal(claimCell(approved.res.text, 'acr'), ACR_PHISHING_RESISTANT);
  });

  it('logout clears the local session and redirects to end_session with id_token_hint and post_logout_redirect_uri; the OP then sends the browser to /signed-out', async () => {
    const { browser, res: home } = await signIn();
    const res = await browser.post(`${rp.url}/logout`, { _csrf: csrfFrom(home.text) });
    assert.equal(res.status, 303);
    const end = new URL(res.headers.location ?? '');
    assert.equal(end.origin + end.pathname, `${op.url}/session/end`);
    assert.equal(end.searchParams.get('post_logout_redirect_uri'), `${rp.url}/signed-out`);
    assert.equal(end.searchParams.get('client_id'), CLIENT_ID);
    const hint = jwtPayload(end.searchParams.get('id_token_hint') ?? '');
    assert.equal(hint.sub, 'alice');
    assert.equal(hint.aud, CLIENT_ID);
    assert.equal(hint.iss, op.url);
    assert.match(sessionCookie(res) ?? '', /demo_rp_sid=;/);

    const after = await browser.get(`${rp.url}/`);
    assert.equal(claimCell(after.text, 'sub'), undefined);
    assert.match(after.text, /Sign in/);

    // The OP accepts the hint and the redirect URI: its confirmation form ends at /signed-out.
    const confirm = await browser.get(end.href);
    assert.equal(confirm.status, 200, confirm.text);
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.text)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.text)?.[1];
    assert.ok(action && xsrf, confirm.text);
    const done = await browser.post(new URL(action, end).href, { xsrf, logout: 'yes' });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, `${rp.url}/signed-out`);
    const signedOut = await browser.get(done.headers.location ?? '');
    assert.equal(signedOut.status, 200);
    assert.match(signedOut.text, /You are signed out/);
  });

  it('a logout POST without (or with a wrong) CSRF token is refused with 403 and the session stays', async () => {
    const { browser } = await signIn();
    const none = await browser.post(`${rp.url}/logout`, {});
    assert.equal(none.status, 403);
    const wrong = await browser.post(`${rp.url}/logout`, { _csrf: 'forged' });
    assert.equal(wrong.status, 403);
    assert.equal(claimCell((await browser.get(`${rp.url}/`)).text, 'sub'), 'alice');
  });

  it('an OP that cannot be reached gives 503 pages, and is discovered once it is up', async () => {
    const later = await listen();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const { app } = await createDemoRp({ ...rpConfig, issuer: later.url });
      const res = await request(app).get('/login');
      assert.equal(res.status, 503);
      assert.match(res.text, /cannot be reached/);
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(warnings.some((w) => w.includes('discovery')));
      // The same app finds the OP once it answers discovery.
      later.handle((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            issuer: later.url,
            authorization_endpoint: `${later.url}/auth`,
            token_endpoint: `${later.url}/token`,
          }),
        );
      });
      const now = await request(app).get('/login');
      assert.equal(now.status, 303);
      assert.ok(String(now.headers.location).startsWith(`${later.url}/auth?`));
    } finally {
      process.off('warning', onWarning);
      await close(later);
    }
  });

  it('rejects a bad config with an error naming each field', async () => {
    await assert.rejects(
      createDemoRp({ ...rpConfig, allowInsecureHttp: false }),
      /issuer: is http:\/\/.*allowInsecureHttp/,
    );
    const { clientSecret: _omitted, ...noSecret } = rpConfig;
    await assert.rejects(createDemoRp(noSecret as DemoRpConfig), /clientSecret: is required/);
    await assert.rejects(
      createDemoRp({ ...rpConfig, redirectUri: `${rp.url}/cb`, sessionSecret: 'short' }),
      (err: Error) =>
        /redirectUri: must end in \/callback/.test(err.message) &&
        /sessionSecret: must be at least 16/.test(err.message),
    );
    await assert.rejects(
      createDemoRp({ ...rpConfig, acrForSensitive: 'gold' }),
      /acrForSensitive: must be one of/,
    );
    await assert.rejects(createDemoRp({ ...rpConfig, scope: 'profile' }), /scope: must include 'openid'/);
  });
});

describe('demo RP acr ordering', () => {
  it('pwd < mfa < phr, and an unknown or missing acr is below all of them', () => {
    assert.ok(acrRank(ACR_PASSWORD) < acrRank(ACR_MFA));
    assert.ok(acrRank(ACR_MFA) < acrRank(ACR_PHISHING_RESISTANT));
    assert.ok(acrRank('urn:example:other') < acrRank(ACR_PASSWORD));
    assert.ok(acrRank(undefined) < acrRank(ACR_PASSWORD));
    assert.equal(acrAtLeast(ACR_MFA, ACR_MFA), true);
    assert.equal(acrAtLeast(ACR_PHISHING_RESISTANT, ACR_MFA), true);
    assert.equal(acrAtLeast(ACR_PASSWORD, ACR_MFA), false);
    assert.equal(acrAtLeast('urn:example:other', ACR_PASSWORD), false);
    assert.equal(acrAtLeast(undefined, ACR_PASSWORD), false);
  });
});
