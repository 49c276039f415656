// Redis stopped during an OpenID Connect sign-in (oidc-provider with mfakit/oidc, its models and
// mfakit's short-lived state on a Redis of the test's own, durable records on PostgreSQL): the
// user has passed the password and sits at mfakit's code prompt when Redis dies. Reloading the
// prompt and sending the code answer 503 with a clear page: the interaction is not finished, no
// code reaches the client. oidc-provider's own endpoints that need Redis answer 503
// `temporarily_unavailable` too (never 500 server_error): /auth shows its error page (no
// redirect, so no code), /token, /me and /session/end issue and end nothing. The outage is
// audited once; once Redis is back, a new sign-in completes.
import assert from 'node:assert/strict';
import { systemClock } from '../../src/engine/capabilities.ts';
import { OUTAGE_ANSWER } from '../../src/web/outage.ts';
import { codeFor } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import {
  atRp,
  authorizationUrl,
  enrolDirect,
  password,
  signIn,
  startAuthorization,
  startTestIdp,
  submitCode,
  type TestIdp,
  tokenRequest,
} from '../helpers/oidc-idp.ts';
import { eventually, useOutageStores } from './outage-stores.ts';

describe('faults: Redis stopped during an OpenID Connect sign-in', function () {
  this.timeout(30_000);
  const outage = useOutageStores();
  let idp: TestIdp | undefined;
  afterEach(async () => {
    await idp?.close().catch(() => {});
    idp = undefined;
  });

  it("mfakit's prompt answers 503 and finishes nothing; a new sign-in completes once Redis is back", async () => {
    // The provider's models expire on real time: the stores follow the system clock here.
    idp = await startTestIdp({ stores: await outage.stores(systemClock) });
    await idp.mfa.ready();
    const secret = await enrolDirect(idp, 'alice');
    const b = new Browser();
    const { page } = await startAuthorization(b, idp);
    const prompt = await password(b, idp, page, 'alice');
    assert.match(prompt.url, /\/interaction\/[\w-]+\/mfa$/);

    await outage.redis.stop();
    const reload = await b.go(prompt.url, { stopAt: atRp });
    assert.equal(reload.status, 503);
    assert.ok(reload.text.includes(OUTAGE_ANSWER.title), reload.text.slice(0, 300));
    assert.equal(reload.headers.get('retry-after'), String(OUTAGE_ANSWER.retryAfterSeconds));
    const sent = await submitCode(b, idp, prompt, codeFor(secret, idp.clock));
    assert.equal(sent.status, 503, 'the code is not taken while Redis is away');
    assert.ok(!atRp(new URL(sent.url)), 'no authorization code reached the client');
    const reported = idp.events.filter((e) => e.type === 'store_unavailable');
    assert.equal(reported.length, 1);
    assert.equal(reported[0]?.type === 'store_unavailable' && reported[0].detail, 'redis');

    await outage.redis.start();
    idp.clock.advance(30_000);
    const again = await eventually(10_000, () => signIn(new Browser(), idp as TestIdp, 'alice', { secret }));
    assert.ok(again, 'a new sign-in completes once Redis is back');
    assert.equal(again.claims.sub, 'alice');
    assert.deepEqual(again.claims.amr, ['pwd', 'otp', 'mfa']);
  });

  it("oidc-provider's endpoints answer 503 temporarily_unavailable, issue nothing, and serve again once Redis is back (every model on Redis)", async () => {
    idp = await startTestIdp({ stores: await outage.stores(systemClock, { oidcModels: 'redis' }) });
    await idp.mfa.ready();
    const secret = await enrolDirect(idp, 'alice');
    const b = new Browser();
    await signIn(b, idp, 'alice', { secret });
    // Signed in: the next authorization request gives a code at once; one redeemed, one kept.
    const codeFrom = async () => {
      const { request, page } = await startAuthorization(b, idp as TestIdp);
      const code = atRp(new URL(page.url)) ? new URL(page.url).searchParams.get('code') : null;
      assert.ok(code, `a code for the signed-in browser: ${page.url}`);
      return { request, code };
    };
    const redeemed = await codeFrom();
    const tokens = (await (await tokenRequest(idp, redeemed.code, redeemed.request)).json()) as {
      access_token?: string;
    };
    assert.ok(tokens.access_token);
    const kept = await codeFrom();

    await outage.redis.stop();
    const unavailable = {
      error: 'temporarily_unavailable',
      error_description: OUTAGE_ANSWER.message,
    };
    const retryAfter = String(OUTAGE_ANSWER.retryAfterSeconds);

    // A browser at /auth — new, or signed in — gets the provider's error page, and stays there.
    for (const [who, browser] of [
      ['a new browser', new Browser()],
      ['the signed-in browser', b],
    ] as const) {
      const page = await browser.go(authorizationUrl(idp).url, { stopAt: atRp });
      assert.equal(page.status, 503, `${who}: ${page.text.slice(0, 300)}`);
      assert.ok(!atRp(new URL(page.url)), `${who}: no redirect to the client, so no code`);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.ok(page.text.includes('temporarily_unavailable'), page.text.slice(0, 500));
      assert.doesNotMatch(page.text, /redis|server_error/i, 'the store is not named to the user');
      assert.equal(page.headers.get('retry-after'), retryAfter);
    }

    // The client's back channel: JSON, nothing issued.
    const token = await tokenRequest(idp, kept.code, kept.request);
    assert.equal(token.status, 503);
    assert.equal(token.headers.get('retry-after'), retryAfter);
    assert.deepEqual(await token.json(), unavailable, 'no token for the code');
    const me = await fetch(new URL('/me', idp.issuer), {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(me.status, 503);
    assert.deepEqual(await me.json(), unavailable);
    const logout = await b.go(new URL('/session/end', idp.issuer).href, { stopAt: atRp });
    assert.equal(logout.status, 503, 'the session is not ended half-way');

    const reported = idp.events.filter((e) => e.type === 'store_unavailable');
    assert.equal(reported.length, 1, `audited once for the burst: ${JSON.stringify(reported)}`);
    assert.equal(reported[0]?.type === 'store_unavailable' && reported[0].detail, 'redis');
    // The audit log is in PostgreSQL, reachable throughout: it took the event.
    const stored = await eventually(5_000, async () => {
      const found = (await (idp as TestIdp).mfa.admin.auditLog({ limit: 20 })).filter(
        (e) => e.type === 'store_unavailable',
      );
      return found.length > 0 ? found : undefined;
    });
    assert.equal(stored?.length, 1);
    assert.equal(stored?.[0]?.data.detail, 'redis');

    await outage.redis.start();
    idp.clock.advance(30_000);
    const again = await eventually(10_000, () => signIn(new Browser(), idp as TestIdp, 'alice', { secret }));
    assert.ok(again, 'a new sign-in completes once Redis is back');
    assert.equal(again.claims.sub, 'alice');
  });

  it("with the sample's split, a signed-in browser gets no code while Redis is down and keeps its session: a code once Redis is back, without signing in again", async () => {
    idp = await startTestIdp({ stores: await outage.stores(systemClock) });
    await idp.mfa.ready();
    const secret = await enrolDirect(idp, 'alice');
    const b = new Browser();
    await signIn(b, idp, 'alice', { secret });

    await outage.redis.stop();
    // The session and its stamp are on PostgreSQL; the code would be on Redis.
    const page = await b.go(authorizationUrl(idp).url, { stopAt: atRp });
    assert.equal(page.status, 503, page.text.slice(0, 300));
    assert.ok(!atRp(new URL(page.url)), 'no code while its store is down');
    assert.ok(page.text.includes('temporarily_unavailable'));
    assert.equal(page.headers.get('retry-after'), String(OUTAGE_ANSWER.retryAfterSeconds));
    const reported = idp.events.filter((e) => e.type === 'store_unavailable');
    assert.equal(reported.length, 1);
    assert.equal(reported[0]?.type === 'store_unavailable' && reported[0].detail, 'redis');

    await outage.redis.start();
    const back = await eventually(10_000, async () => {
      const again = await b.go(authorizationUrl(idp as TestIdp).url, { stopAt: atRp });
      return atRp(new URL(again.url)) ? again : undefined;
    });
    assert.ok(back, 'the same browser is still signed in once Redis is back');
    assert.ok(new URL(back.url).searchParams.get('code'), `a code without a new sign-in: ${back.url}`);
  });
});
