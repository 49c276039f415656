// Redis stopped in the middle of a flow: an app on PostgreSQL (durable records) and a Redis of
// the test's own (pending sign-ins, lockout counters, drafts, invalidation) signs users in to the
// pending step; then Redis is killed. Every step that needs it — the code prompt, a code, a
// step-up, a new sign-in, registering a method — answers 503 at once with a clear page or JSON
// error: no session completes, no factor is skipped, nothing answers 500 or hangs. The guard
// reads only durable records, so it lets a completed session through and keeps refusing a
// pending one. The outage is audited once (in PostgreSQL); when Redis is back on the same port
// the next sign-in works.
import assert from 'node:assert/strict';
import { OUTAGE_ANSWER } from '../../src/web/outage.ts';
import { codeFor, makeApp } from '../helpers/app.ts';
import { csrfFrom, enrolUser, passwordStep, signIn } from '../helpers/flows.ts';
import { testClock } from '../helpers/test-clock.ts';
import { eventually, useOutageStores } from './outage-stores.ts';

/** Each answer during the outage comes within this (no hang until Redis returns). */
const PROMPT_MS = 2_000;

describe('faults: Redis stopped in the middle of a flow', function () {
  this.timeout(30_000);
  const outage = useOutageStores();

  async function appOnPostgresAndRedis() {
    const clock = testClock();
    const built = makeApp({ stores: await outage.stores(clock), clock });
    // The test app's login route hands errors to Express's own handler: no stack traces on stderr.
    built.app.set('env', 'test');
    await built.mfa.ready();
    return built;
  }

  /** Runs one request and checks it answered in time. */
  async function timed<T>(what: string, request: () => PromiseLike<T>): Promise<T> {
    const started = Date.now();
    const res = await request();
    const elapsed = Date.now() - started;
    assert.ok(elapsed < PROMPT_MS, `${what} took ${elapsed} ms`);
    return res;
  }

  function assertOutageJson(
    res: { status: number; body: unknown; headers: Record<string, string> },
    what: string,
  ) {
    assert.equal(res.status, 503, `${what}: ${JSON.stringify(res.body)}`);
    assert.deepEqual(res.body, { error: 'service_unavailable', message: OUTAGE_ANSWER.message }, what);
    assert.equal(res.headers['retry-after'], String(OUTAGE_ANSWER.retryAfterSeconds));
  }

  function assertOutagePage(
    res: { status: number; text: string; headers: Record<string, string> },
    what: string,
  ) {
    assert.equal(res.status, 503, what);
    assert.match(res.headers['content-type'] ?? '', /text\/html/, what);
    assert.ok(res.text.includes(OUTAGE_ANSWER.title), `${what}: the page says sign-in is unavailable`);
    assert.equal(res.headers['cache-control'], 'no-store');
  }

  it('fails closed with 503 at every step that needs Redis, audits the outage once, and signs in again once Redis is back', async () => {
    const { app, mfa, clock, events } = await appOnPostgresAndRedis();
    const { secret } = await enrolUser(app, clock, 'alice');
    // bob: signed in completely (an authenticator app, then a code), before the outage.
    const bobSecret = (await enrolUser(app, clock, 'bob')).secret;
    const bob = (await signIn(app, clock, 'bob', bobSecret)).agent;
    // …long enough ago that a sensitive page asks him for a step-up.
    clock.advance(mfa.settings.reauthMaxAgeSeconds * 1000 + 1000);
    assert.equal((await bob.get('/admin')).status, 401);
    // alice: password done, second factor pending; her prompt page (with its form token) loaded.
    const alice = (await passwordStep(app, 'alice')).agent;
    const prompt = await alice.get('/mfa/prompt').set('Accept', 'text/html');
    assert.equal(prompt.status, 200);
    const csrf = csrfFrom(prompt.text);
    // svc: password done, no method yet: must register one.
    const svc = (await passwordStep(app, 'svc')).agent;

    await outage.redis.stop();
    const code = codeFor(secret, clock);

    // The code prompt: the page, and the code sent from it or through the API.
    assertOutagePage(
      await timed('prompt page', () => alice.get('/mfa/prompt').set('Accept', 'text/html')),
      'prompt',
    );
    assertOutagePage(
      await timed('prompt form', () =>
        alice.post('/mfa/prompt').set('Accept', 'text/html').type('form').send({ _csrf: csrf, code }),
      ),
      'prompt form',
    );
    assertOutageJson(await timed('verify', () => alice.post('/mfa/api/verify').send({ code })), 'verify');
    // Nothing completed: the guard still refuses the pending session.
    const aliceAccount = await timed('guard (pending)', () => alice.get('/account'));
    assert.equal(aliceAccount.status, 401);
    assert.equal(aliceAccount.body.reason, 'second_factor_pending');

    // Step-up of a completed session needs the lockout counters: refused, never waved through.
    assertOutageJson(
      await timed('step-up', () => bob.post('/mfa/api/step-up').send({ code: codeFor(bobSecret, clock) })),
      'step-up',
    );
    const admin = await timed('guard (fresh)', () => bob.get('/admin'));
    assert.equal(admin.status, 401, 'a step-up that failed leaves the session unfresh');
    // The guard reads durable records only (session epochs, devices, policies): bob's completed
    // session stands.
    assert.equal((await timed('guard (complete)', () => bob.get('/account'))).status, 200);

    // Registering a first method, and a new sign-in, need Redis too.
    assertOutageJson(await timed('enroll', () => svc.post('/mfa/api/enroll/totp').send({})), 'enroll');
    const login = await timed('new sign-in', () =>
      alice.post('/login').send({ username: 'alice', password: 'alice-pw' }),
    );
    assert.equal(login.status, 503, 'beginSignIn hands the StoreError (503) to the application');
    assert.equal((await alice.get('/account')).status, 401);

    // Audited once for the whole burst, in the sink and in PostgreSQL (reachable throughout).
    const reported = events.filter((e) => e.type === 'store_unavailable');
    assert.equal(reported.length, 1, JSON.stringify(reported));
    assert.equal(reported[0]?.type === 'store_unavailable' && reported[0].detail, 'redis');
    const stored = (await mfa.admin.auditLog({ limit: 20 })).filter((e) => e.type === 'store_unavailable');
    assert.equal(stored.length, 1);
    assert.equal(stored[0]?.data.detail, 'redis');
    assert.match(String((stored[0]?.data.data as { message?: unknown })?.message), /^redis: /);

    // A minute later, still down: one more event, counting the failures left unrecorded.
    clock.advance(61_000);
    assertOutageJson(
      await alice.post('/mfa/api/verify').send({ code: codeFor(secret, clock) }),
      'verify later',
    );
    const again = events.filter((e) => e.type === 'store_unavailable');
    assert.equal(again.length, 2);
    const second = again[1];
    assert.ok(second?.type === 'store_unavailable' && second.data.suppressed >= 5, JSON.stringify(second));

    // Redis is back on the same port (empty: what it held is gone). The pending sign-in it held
    // is no more; the next sign-in works.
    await outage.redis.start();
    const restarted = await eventually(10_000, async () => {
      const res = await alice.post('/login').send({ username: 'alice', password: 'alice-pw' });
      return res.status === 200 ? res : undefined;
    });
    assert.ok(restarted, 'the sign-in starts again once Redis is back');
    assert.equal(restarted.body.status, 'mfa_required');
    clock.advance(30_000);
    const verified = await alice.post('/mfa/api/verify').send({ code: codeFor(secret, clock) });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal((await alice.get('/account')).status, 200);
    const stepUp = await bob.post('/mfa/api/step-up').send({ code: codeFor(bobSecret, clock) });
    assert.equal(stepUp.status, 200, JSON.stringify(stepUp.body));
    assert.equal((await bob.get('/admin')).status, 200);
  });
});
