// PostgreSQL lost in the middle of a flow (through a relay the test cuts, so the server other
// tests share keeps running): the guard cannot tell whether a session still stands, so it lets
// nothing through — 503 with a clear page or JSON error — and so do the code prompt and the API.
// The outage is audited: the sink hears of it at once, the audit log (in PostgreSQL itself) as
// soon as the server is back, with the time it happened. Then everything works again.
import assert from 'node:assert/strict';
import { OUTAGE_ANSWER } from '../../src/web/outage.ts';
import { codeFor, makeApp } from '../helpers/app.ts';
import { enrolUser, passwordStep, signIn } from '../helpers/flows.ts';
import { testClock } from '../helpers/test-clock.ts';
import { usePostgresBehindRelay } from './postgres-behind-relay.ts';

describe('faults: PostgreSQL lost in the middle of a flow', function () {
  this.timeout(30_000);
  const postgres = usePostgresBehindRelay();

  it('the guard, the prompt and the API answer 503; the outage reaches the audit log once PostgreSQL is back', async () => {
    const clock = testClock();
    const { stores, relay, schema } = await postgres.open(clock);
    const { app, clock: appClock, events } = makeApp({ stores, clock });
    const { secret } = await enrolUser(app, appClock, 'alice');
    const alice = (await signIn(app, clock, 'alice', secret)).agent;
    const bob = (await passwordStep(app, 'bob')).agent;
    assert.equal((await alice.get('/account')).status, 200);

    await relay.cut();
    // Past the one-second cache of the session check: the guard must ask the store again.
    clock.advance(2_000);
    const outageAt = clock.now();
    for (const accept of ['application/json', 'text/html']) {
      const started = Date.now();
      const res = await alice.get('/account').set('Accept', accept);
      assert.ok(Date.now() - started < 2_000, 'answered at once');
      assert.equal(res.status, 503, `guard (${accept})`);
      assert.equal(res.headers['retry-after'], String(OUTAGE_ANSWER.retryAfterSeconds));
      if (accept === 'text/html') assert.ok(res.text.includes(OUTAGE_ANSWER.title));
      else assert.deepEqual(res.body, { error: 'service_unavailable', message: OUTAGE_ANSWER.message });
    }
    const verify = await bob.post('/mfa/api/verify').send({ code: '123456' });
    assert.equal(verify.status, 503);
    assert.equal(verify.body.error, 'service_unavailable');
    assert.equal((await bob.get('/mfa/prompt').set('Accept', 'text/html')).status, 503);

    const reported = events.filter((e) => e.type === 'store_unavailable');
    assert.equal(reported.length, 1, 'the sink heard of it at once, once');
    assert.equal(reported[0]?.type === 'store_unavailable' && reported[0].detail, 'postgres');
    const storedOutages = async () =>
      (
        await postgres.admin.query<{ at: string; data: string }>(
          `SELECT at, data FROM "${schema}".audit_events WHERE type = 'store_unavailable'`,
        )
      ).rows;
    assert.deepEqual(await storedOutages(), [], 'the audit log is in the store that failed');

    await relay.restore();
    const deadline = Date.now() + 5_000;
    let stored = await storedOutages();
    while (stored.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stored = await storedOutages();
    }
    assert.equal(stored.length, 1, 'written once the audit store is reachable');
    assert.equal(Number(stored[0]?.at), outageAt, 'with the time of the outage');
    assert.equal(JSON.parse(stored[0]?.data ?? '{}').detail, 'postgres');

    assert.equal((await alice.get('/account')).status, 200, 'the session stands again');
    const bobEnrolls = await bob.post('/mfa/api/enroll/totp').send({});
    assert.equal(bobEnrolls.status, 201, 'the pending sign-in (kept in PostgreSQL) carries on');
    const confirmed = await bob
      .post('/mfa/api/enroll/totp/confirm')
      .send({ draftId: bobEnrolls.body.draftId, code: codeFor(bobEnrolls.body.secret, clock) });
    assert.equal(confirmed.status, 200);
    assert.equal((await bob.get('/account')).status, 200);
  });
});
