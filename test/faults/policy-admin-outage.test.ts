// The policy administration API while PostgreSQL (where the policy document is saved) is lost,
// through a relay the test cuts: reading and writing policies answer 503 `service_unavailable`
// with Retry-After, as every other route does — never the store's message, never a write that
// half happened. The outage is audited once (store_unavailable), in the audit log as soon as
// PostgreSQL is back; then the API works again, at the version it had.
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { createPolicyAdminRouter } from '../../src/express/index.ts';
import { type AuditEvent, createMfa } from '../../src/index.ts';
import { OUTAGE_ANSWER } from '../../src/web/outage.ts';
import { testClock } from '../helpers/test-clock.ts';
import { usePostgresBehindRelay } from './postgres-behind-relay.ts';

const BASE = '/admin/policies-api';

const mfaEverywhere = {
  id: 'mfa-everywhere',
  name: 'MFA everywhere',
  state: 'on',
  assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
  grant: { controls: ['mfa'] },
};

describe('faults: the policy administration API while PostgreSQL is lost', function () {
  this.timeout(30_000);
  const postgres = usePostgresBehindRelay();

  it('answers 503 service_unavailable, writes nothing, audits the outage once, and works again once PostgreSQL is back', async () => {
    const clock = testClock();
    const { stores, relay, schema } = await postgres.open(clock);
    const events: AuditEvent[] = [];
    const mfa = createMfa({
      stores,
      clock,
      issuer: 'Test Co',
      sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 1) }],
      policies: 'store',
      audit: (e) => {
        events.push(e);
      },
    });
    await mfa.ready();
    const app = express();
    app.use(BASE, createPolicyAdminRouter(mfa, { authorize: (req) => req.get('x-admin') ?? null }));
    const admin = request.agent(app).set('X-Admin', 'carol');

    const saved = await admin
      .put(`${BASE}/document`)
      .set('If-Match', '"0"')
      .send({ namedLocations: [], authenticationStrengths: [], policies: [mfaEverywhere] });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const version = saved.body.version as number;

    await relay.cut();
    const v = `"${version}"`;
    const during: [string, request.Response][] = [
      ['GET /policies', await admin.get(`${BASE}/policies`)],
      ['GET /document', await admin.get(`${BASE}/document`)],
      [
        'POST /policies/:id/state',
        await admin.post(`${BASE}/policies/mfa-everywhere/state`).set('If-Match', v).send({ state: 'off' }),
      ],
      ['DELETE /policies/:id', await admin.delete(`${BASE}/policies/mfa-everywhere`).set('If-Match', v)],
      [
        'PUT /document',
        await admin
          .put(`${BASE}/document`)
          .set('If-Match', v)
          .send({ namedLocations: [], authenticationStrengths: [], policies: [] }),
      ],
    ];
    for (const [what, res] of during) {
      assert.equal(res.status, 503, `${what}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body, { error: 'service_unavailable', message: OUTAGE_ANSWER.message }, what);
      assert.equal(res.headers['retry-after'], String(OUTAGE_ANSWER.retryAfterSeconds), what);
      assert.equal(res.headers['cache-control'], 'no-store', what);
    }
    // The caller still learns nothing without authorization, outage or not.
    assert.equal((await request(app).get(`${BASE}/policies`)).status, 403);

    const reported = events.filter((e) => e.type === 'store_unavailable');
    assert.equal(reported.length, 1, 'audited once for the burst');
    assert.equal(reported[0]?.type === 'store_unavailable' && reported[0].detail, 'postgres');
    assert.equal(reported[0]?.ip, '127.0.0.1', 'with the caller');

    await relay.restore();
    const storedOutages = async () =>
      (
        await postgres.admin.query<{ data: string }>(
          `SELECT data FROM "${schema}".audit_events WHERE type = 'store_unavailable'`,
        )
      ).rows;
    const deadline = Date.now() + 5_000;
    let stored = await storedOutages();
    while (stored.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stored = await storedOutages();
    }
    assert.equal(stored.length, 1, 'in the audit log once PostgreSQL is back');
    assert.equal(JSON.parse(stored[0]?.data ?? '{}').detail, 'postgres');

    const after = await admin.get(`${BASE}/policies`);
    assert.equal(after.status, 200);
    assert.equal(after.headers.etag, `"${version}"`, 'nothing was written during the outage');
    assert.deepEqual(
      after.body.policies.map((p: { id: string; state: string }) => [p.id, p.state]),
      [['mfa-everywhere', 'on']],
    );
    const changed = await admin
      .post(`${BASE}/policies/mfa-everywhere/state`)
      .set('If-Match', `"${version}"`)
      .send({ state: 'off' });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
  });
});
