// Two federation-server processes sharing PostgreSQL and Redis behind one address
// (test/scale/two-processes.ts): what a user relies on holds whichever process answers. One
// valid code sent fifty times at once signs in once; failed codes count on both; a remembered
// device revoked, a user reset, a policy saved on one apply on the other at once (the other had
// just cached the old answer: only the invalidation channel tells it); an authorization code
// redeemed on one is refused on the other. Each test has a user of its own. Needs DATABASE_URL
// and REDIS_URL (skipped without, required under CI=true).
import assert from 'node:assert/strict';
import { Browser, formAction, inputValue, type Page } from '../helpers/browser.ts';
import { exchangeCode } from '../helpers/code-flow-rp.ts';
import {
  atRp,
  authorizationRequest,
  redeem,
  secretOnPage,
  signInWithPassword,
  submitCode,
} from '../helpers/federation-stack.ts';
import { chooseAuthenticatorApp } from '../helpers/first-method.ts';
import { totpNow } from '../helpers/totp-now.ts';
import type { Route } from './front-proxy.ts';
import { useTwoProcesses } from './two-processes.ts';

const user = (id: string, mfaState: 'enabled' | 'disabled') => ({
  id,
  name: id,
  email: `${id}@contoso.test`,
  password: `${id} password`,
  mfaState,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A six-digit code the authenticator shows at no time near now. */
function wrongCode(secret: string): string {
  const near = new Set([-2, -1, 0, 1, 2].map((step) => totpNow(secret, step)));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!near.has(candidate)) return candidate;
  }
}

describe('several federation-server processes on PostgreSQL and Redis, behind one address', function () {
  this.timeout(30_000);
  const two = useTwoProcesses({
    users: [
      user('alice', 'enabled'),
      user('bob', 'enabled'),
      user('carol', 'enabled'),
      user('dave', 'enabled'),
      user('dana', 'disabled'),
      user('frank', 'disabled'),
      user('erin', 'disabled'),
    ],
  });
  /** Requests from now on go to this process (or each in turn). */
  const via = (route: Route) => {
    two().front.route = route;
  };
  const signIn = (b: Browser, id: string) => signInWithPassword(b, two(), id, `${id} password`);
  /** The prompt's form: where it posts and its token. */
  const promptForm = (page: Page) => {
    assert.match(page.text, /name="code"/, page.text.slice(0, 500));
    return {
      action: new URL(formAction(page.text, '/mfa/prompt'), two().fedUrl).href,
      csrf: inputValue(page.text, '_csrf'),
    };
  };
  const post = async (b: Browser, form: { action: string; csrf: string }, code: string) => {
    const res = await b.fetch(form.action, { form: { _csrf: form.csrf, code } });
    return { status: res.status, location: res.headers.get('location'), text: await res.text() };
  };
  const isSignInPage = (page: Page) =>
    !atRp(new URL(page.url)) && /name="(identifier|password)"/.test(page.text);

  beforeEach(() => via('alternate'));

  it('one valid code submitted 50 times at once across both processes: exactly one sign-in succeeds', async () => {
    const t = two();
    const secret = String(await t.a.command('enrol', 'alice'));
    const b = new Browser();
    const { request, page } = await signIn(b, 'alice');
    const form = promptForm(page);
    const code = totpNow(secret);
    const served = { ...t.front.served };
    const answers = await Promise.all(Array.from({ length: 50 }, () => post(b, form, code)));
    assert.ok(
      t.front.served.a - served.a >= 25 && t.front.served.b - served.b >= 25,
      'both processes answered',
    );
    const won = answers.filter((a) => a.status >= 300 && a.status < 400);
    assert.equal(won.length, 1, `statuses: ${answers.map((a) => a.status).join(' ')}`);
    for (const a of answers.filter((x) => x !== won[0]))
      assert.ok(a.status >= 400 && a.status < 500, `a refused submission is a 4xx, not ${a.status}`);
    const back = await b.go(new URL(won[0]?.location ?? '', t.fedUrl).href, { stopAt: atRp });
    const { claims } = await redeem(t, back, request);
    assert.equal(claims.sub, 'alice');
    assert.ok(claims.amr?.includes('otp'), JSON.stringify(claims.amr));
  });

  it('failed codes count on both processes: three make the next wait, five lock the account on both', async () => {
    const t = two();
    const secret = String(await t.a.command('enrol', 'bob'));
    const b = new Browser();
    const form = promptForm((await signIn(b, 'bob')).page);
    const attempt = (route: Route, code: string) => {
      via(route);
      return post(b, form, code);
    };
    const wrong = wrongCode(secret);
    for (const route of ['a', 'b', 'a'] as const) assert.equal((await attempt(route, wrong)).status, 401);
    // b has seen one failure, the account three: the right code must wait.
    const early = await attempt('b', totpNow(secret));
    assert.equal(early.status, 429);
    assert.match(early.text, /Wait \d+ seconds/);
    await sleep(1100);
    assert.equal((await attempt('b', wrong)).status, 401);
    await sleep(2100);
    assert.equal((await attempt('a', wrong)).status, 401);
    for (const route of ['b', 'a'] as const) {
      const locked = await attempt(route, totpNow(secret));
      assert.equal(locked.status, 429, `locked on ${route}`);
      assert.match(locked.text, /Too many attempts\. Try again later\./);
    }
  });

  it('a remembered device revoked on one process is refused on the other at once, with the session it admitted', async () => {
    const t = two();
    const secret = String(await t.a.command('enrol', 'carol'));
    const phone = new Browser();
    const { page } = await signIn(phone, 'carol');
    const done = await submitCode(phone, t, page, totpNow(secret), true);
    assert.ok(atRp(new URL(done.url)), done.text.slice(0, 300));
    const remembered = phone.cookies.filter((c) => c.name === 'mfakit_rd');
    assert.equal(remembered.length, 1, 'the device is remembered');

    via('b');
    const laptop = new Browser();
    laptop.cookies.push(...remembered);
    const skipped = await signIn(laptop, 'carol');
    assert.ok(atRp(new URL(skipped.page.url)), 'on b, the remembered device skips the code');
    const sso = await laptop.go(authorizationRequest(t).url, { stopAt: atRp });
    assert.ok(atRp(new URL(sso.url)), 'on b, the session it admitted signs in again without asking');

    assert.equal(await t.a.command('revokeDevices', 'carol'), 1);
    const after = await laptop.go(authorizationRequest(t).url, { stopAt: atRp });
    assert.ok(isSignInPage(after), `the session ended on b: ${after.url}`);
    const another = new Browser();
    another.cookies.push(...remembered);
    const asked = await signIn(another, 'carol');
    assert.match(asked.page.text, /name="code"/, 'on b, the revoked device no longer skips the code');
  });

  it('an administrator resetting a user on one process signs them out on the other at once', async () => {
    const t = two();
    const secret = String(await t.a.command('enrol', 'dave'));
    const b = new Browser();
    const { page } = await signIn(b, 'dave');
    assert.ok(atRp(new URL((await submitCode(b, t, page, totpNow(secret))).url)));
    via('b');
    const sso = await b.go(authorizationRequest(t).url, { stopAt: atRp });
    assert.ok(atRp(new URL(sso.url)), 'signed in on b');
    await t.a.command('resetUser', 'dave');
    const after = await b.go(authorizationRequest(t).url, { stopAt: atRp });
    assert.ok(isSignInPage(after), `signed out on b: ${after.url}`);
  });

  it('a policy saved on one process applies on the other at once', async () => {
    const t = two();
    via('b');
    const before = await signIn(new Browser(), 'dana');
    assert.ok(new URL(before.page.url).searchParams.get('code'), 'dana signs in on b with her password');
    const version = await t.a.command('addPolicy', {
      id: 'block-dana',
      name: 'Dana may not use the RP',
      state: 'on',
      assignments: { users: { include: ['dana'], exclude: [] }, applications: { include: ['rp'] } },
      grant: { block: true },
    });
    assert.equal(version, 2, 'the config seeded version 1, once for both processes');
    const blocked = await signIn(new Browser(), 'dana');
    const at = new URL(blocked.page.url);
    assert.ok(atRp(at), blocked.page.text.slice(0, 300));
    assert.equal(at.searchParams.get('code'), null);
    assert.equal(at.searchParams.get('error'), 'access_denied');
  });

  it('an authorization code redeemed on one process cannot be redeemed on the other; raced on both, it issues tokens once', async () => {
    const t = two();
    const codeOf = async () => {
      via('alternate');
      const { request, page } = await signIn(new Browser(), 'frank');
      const code = new URL(page.url).searchParams.get('code');
      assert.ok(code);
      return { request, code };
    };
    const first = await codeOf();
    via('a');
    assert.equal((await exchangeCode(t.fedUrl, first.code, first.request)).status, 200);
    via('b');
    const replay = await exchangeCode(t.fedUrl, first.code, first.request);
    assert.equal(replay.status, 400);
    assert.equal(((await replay.json()) as { error?: string }).error, 'invalid_grant');

    const second = await codeOf();
    const statuses = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await exchangeCode(t.fedUrl, second.code, second.request);
        await res.arrayBuffer();
        return res.status;
      }),
    );
    assert.deepEqual(
      statuses.toSorted((x, y) => x - y),
      [200, ...Array(9).fill(400)],
    );
  });

  it('the security-info portal works whichever process answers each request: sign-in, setup of a method, settings', async () => {
    const t = two();
    const b = new Browser();
    const served = { ...t.front.served };
    const portal = await b.go(`${t.fedUrl}/account`);
    // erin's MFA state is disabled, yet the portal needs MFA: she sets up a method first.
    const chooser = await b.go(`${t.fedUrl}/account/login`, {
      form: { identifier: 'erin', password: 'erin password', _csrf: inputValue(portal.text, '_csrf') },
    });
    assert.equal(new URL(chooser.url).pathname, '/account/mfa/enroll', chooser.text.slice(0, 300));
    const setup = await chooseAuthenticatorApp(b, t.fedUrl, chooser);
    const saved = await b.go(new URL(formAction(setup.text, '/enroll'), t.fedUrl).href, {
      form: {
        _csrf: inputValue(setup.text, '_csrf'),
        draftId: inputValue(setup.text, 'draftId'),
        code: totpNow(secretOnPage(setup.text)),
      },
    });
    assert.match(saved.text, /recovery codes/i);
    const settings = await b.go(`${t.fedUrl}/account/mfa/settings`);
    assert.equal(new URL(settings.url).pathname, '/account/mfa/settings');
    assert.match(settings.text, /Authenticator app/);
    assert.ok(t.front.served.a > served.a && t.front.served.b > served.b, 'both processes answered');
  });
});
