// Redis stopped during an OpenID Connect sign-in (oidc-provider with mfakit/oidc, its models and
// mfakit's short-lived state on a Redis of the test's own, durable records on PostgreSQL): the
// user has passed the password and sits at mfakit's code prompt when Redis dies. Reloading the
// prompt and sending the code answer 503 with a clear page: the interaction is not finished, no
// code reaches the client. The outage is audited; once Redis is back, a new sign-in completes.
import assert from 'node:assert/strict';
import { systemClock } from '../../src/engine/capabilities.ts';
import { OUTAGE_ANSWER } from '../../src/web/outage.ts';
import { codeFor } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import {
  atRp,
  enrolDirect,
  password,
  signIn,
  startAuthorization,
  startTestIdp,
  submitCode,
  type TestIdp,
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
});
