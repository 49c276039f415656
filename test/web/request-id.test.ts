/**
 * X-Request-Id as an attacker sends it: oversized, with control characters, with markup. Every
 * audit event of the request must carry no request id rather than the attacker's text, and the
 * request itself must go through (no 4xx/5xx caused by the header).
 */
import assert from 'node:assert/strict';
import request from 'supertest';
import type { AuditEvent } from '../../src/index.ts';
import { codeFor, makeApp } from '../helpers/app.ts';
import { enrolUser } from '../helpers/flows.ts';
import { HOSTILE_REQUEST_IDS } from '../helpers/hostile-request-ids.ts';

const idsOf = (events: AuditEvent[]) => events.map((e) => e.requestId);

describe('X-Request-Id before it reaches an audit event', () => {
  for (const [name, hostile] of Object.entries(HOSTILE_REQUEST_IDS)) {
    it(`attack: ${name} — the sign-in and the guard still work; no event carries the header`, async () => {
      const { app, clock, events } = makeApp();
      const { secret } = await enrolUser(app, clock, 'alice');
      events.length = 0;
      const agent = request.agent(app);
      const login = await agent
        .post('/login')
        .set('X-Request-Id', hostile)
        .send({ username: 'alice', password: 'alice-pw' });
      assert.equal(login.status, 200);
      assert.equal(login.body.status, 'mfa_required');
      const wrong = await agent
        .post('/mfa/api/verify')
        .set('X-Request-Id', hostile)
        .send({ code: codeFor(secret, clock) === '000000' ? '111111' : '000000' });
      assert.equal(wrong.status, 401);
      const right = await agent
        .post('/mfa/api/verify')
        .set('X-Request-Id', hostile)
        .send({ code: codeFor(secret, clock) });
      assert.equal(right.status, 200);
      assert.equal((await agent.get('/account').set('X-Request-Id', hostile)).status, 200);
      const types = events.map((e) => e.type);
      for (const t of ['challenge_issued', 'verify_failed', 'verified', 'signin_completed'] as const)
        assert.ok(types.includes(t), `${t} in ${types.join(', ')}`);
      assert.deepEqual(
        idsOf(events).filter((id) => id !== undefined),
        [],
        'no event has a request id',
      );
    });
  }

  it('a well-formed X-Request-Id (≤ 128 of [A-Za-z0-9._:-]) is kept in every event', async () => {
    const { app, clock, events } = makeApp();
    const { secret } = await enrolUser(app, clock, 'alice');
    events.length = 0;
    const id = 'edge-7f3a:9b2c.REQ_01';
    const agent = request.agent(app);
    await agent.post('/login').set('X-Request-Id', id).send({ username: 'alice', password: 'alice-pw' });
    await agent
      .post('/mfa/api/verify')
      .set('X-Request-Id', id)
      .send({ code: codeFor(secret, clock) })
      .expect(200);
    assert.ok(events.length >= 3);
    assert.deepEqual(new Set(idsOf(events)), new Set([id]));
    const long = 'b'.repeat(128);
    events.length = 0;
    await request(app)
      .post('/login')
      .set('X-Request-Id', long)
      .send({ username: 'alice', password: 'alice-pw' });
    assert.deepEqual(new Set(idsOf(events)), new Set([long]));
  });

  it('CR/LF and other control characters given to the engine API directly never reach an event either', async () => {
    const { app, clock, mfa, events } = makeApp();
    await enrolUser(app, clock, 'alice');
    events.length = 0;
    for (const forged of ['req\r\n{"type":"verified","userId":"admin"}', 'a\u0000b', 'x\u001b[31m']) {
      const start = await mfa.beginSignIn({
        userId: 'alice',
        amr: ['pwd'],
        ip: '192.0.2.1',
        requestId: forged,
      });
      assert.equal(start.status, 'mfa');
    }
    assert.ok(events.length >= 3);
    assert.deepEqual(
      idsOf(events).filter((id) => id !== undefined),
      [],
    );
    const stored = await mfa.admin.auditLog({ userId: 'alice' });
    assert.ok(stored.every((r) => r.data.requestId === undefined || r.data.requestId === null));
  });
});
