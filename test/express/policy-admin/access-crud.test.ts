/**
 * The policy administration API as an admin console uses it: authorized by the application, and
 * every write a compare-and-set on the version read (create, list, show, update, state, delete).
 */

import assert from 'node:assert/strict';
import request from 'supertest';
import { createPolicyAdminRouter } from '../../../src/express/index.ts';
import { ADMIN, BASE, blockPayroll, HOME_IP, mfaOutsideOffice, setup, where } from './fixtures.ts';

describe('policy admin API', () => {
  it('refuses to be created without an authorize function', () => {
    const { mfa } = setup();
    assert.throws(() => createPolicyAdminRouter(mfa, {} as never), TypeError);
    assert.throws(() => createPolicyAdminRouter(mfa, undefined as never), TypeError);
  });

  it('an unauthorized caller gets 403 on every endpoint and changes nothing', async () => {
    const { app, mfa, events } = setup();
    const calls = [
      request(app).get(`${BASE}/policies`),
      request(app).get(`${BASE}/document`),
      request(app).post(`${BASE}/policies`).set('If-Match', '"1"').send(blockPayroll),
      request(app).put(`${BASE}/document`).set('If-Match', '"1"').send({ policies: [] }),
      request(app)
        .post(`${BASE}/policies/mfa-outside-office/state`)
        .set('If-Match', '"1"')
        .send({ state: 'off' }),
      request(app).delete(`${BASE}/policies/mfa-outside-office`).set('If-Match', '"1"'),
      request(app).post(`${BASE}/what-if`).send({ userId: 'alice', ip: HOME_IP }),
      request(app).get(`${BASE}/nonexistent`),
    ];
    for (const res of await Promise.all(calls)) {
      assert.equal(res.status, 403, where(res));
      assert.equal(res.body.error, 'forbidden');
      assert.equal(res.body.policies, undefined);
    }
    // Also an authorize that returns something other than a name, and an empty name.
    for (const authorize of [() => '', () => '   ', () => true as unknown as string, async () => null]) {
      const other = setup({ authorize });
      const res = await request(other.app)
        .delete(`${BASE}/policies/mfa-outside-office`)
        .set('If-Match', '"1"');
      assert.equal(res.status, 403);
      assert.equal((await other.mfa.policies.current()).version, 1);
    }
    const set = await mfa.policies.current();
    assert.equal(set.version, 1);
    assert.deepEqual(
      set.document.policies.map((p) => [p.id, p.state]),
      [['mfa-outside-office', 'on']],
    );
    assert.equal(events.length, 0);
  });

  it('create, list, show, update, change state and delete, each with its ETag', async () => {
    const { app, mfa } = setup();
    const list = await request(app).get(`${BASE}/policies`).set(ADMIN);
    assert.equal(list.status, 200);
    assert.equal(list.headers.etag, '"1"');
    assert.equal(list.body.version, 1);
    assert.deepEqual(
      list.body.policies.map((p: { id: string }) => p.id),
      ['mfa-outside-office'],
    );

    const created = await request(app)
      .post(`${BASE}/policies`)
      .set(ADMIN)
      .set('If-Match', '"1"')
      .send(blockPayroll);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.etag, '"2"');
    assert.equal(created.headers.location, `${BASE}/policies/block-payroll`);
    assert.equal(created.body.version, 2);
    assert.equal(created.body.policy.id, 'block-payroll');

    const shown = await request(app).get(`${BASE}/policies/block-payroll`).set(ADMIN);
    assert.equal(shown.status, 200);
    assert.equal(shown.headers.etag, '"2"');
    assert.equal(shown.body.name, 'No payroll for contractors');
    assert.deepEqual(shown.body.grant, { block: true });

    // A whole policy; the id may be left out of the body.
    const { id: _id, ...withoutId } = blockPayroll;
    const updated = await request(app)
      .put(`${BASE}/policies/block-payroll`)
      .set(ADMIN)
      .set('If-Match', '"2"')
      .send({ ...withoutId, name: 'Payroll closed', state: 'reportOnly' });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.headers.etag, '"3"');
    assert.equal(updated.body.policy.name, 'Payroll closed');
    assert.equal(updated.body.policy.state, 'reportOnly');

    const disabled = await request(app)
      .post(`${BASE}/policies/block-payroll/state`)
      .set(ADMIN)
      .query({ version: '3' })
      .send({ state: 'off' });
    assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
    assert.equal(disabled.headers.etag, '"4"');
    assert.equal(disabled.body.policy.state, 'off');
    assert.equal(disabled.body.policy.name, 'Payroll closed');

    const doc = await request(app).get(`${BASE}/document`).set(ADMIN);
    assert.equal(doc.headers.etag, '"4"');
    assert.deepEqual(
      doc.body.document.policies.map((p: { id: string; state: string }) => [p.id, p.state]),
      [
        ['mfa-outside-office', 'on'],
        ['block-payroll', 'off'],
      ],
    );
    assert.equal(doc.body.document.namedLocations[0].id, 'office');

    const deleted = await request(app)
      .delete(`${BASE}/policies/block-payroll`)
      .set(ADMIN)
      .set('If-Match', '"4"');
    assert.equal(deleted.status, 204);
    assert.equal(deleted.headers.etag, '"5"');
    assert.equal((await request(app).get(`${BASE}/policies/block-payroll`).set(ADMIN)).status, 404);
    const set = await mfa.policies.current();
    assert.equal(set.version, 5);
    assert.deepEqual(
      set.document.policies.map((p) => p.id),
      ['mfa-outside-office'],
    );
  });

  it('answers 404 for absent policies, 409 for a duplicate id, 400 for an id mismatch, and changes nothing', async () => {
    const { app, mfa } = setup();
    const cases = [
      [request(app).get(`${BASE}/policies/nope`), 404, 'policy_not_found'],
      [
        request(app)
          .put(`${BASE}/policies/nope`)
          .set('If-Match', '"1"')
          .send({ ...blockPayroll, id: 'nope' }),
        404,
        'policy_not_found',
      ],
      [
        request(app).post(`${BASE}/policies/nope/state`).set('If-Match', '"1"').send({ state: 'on' }),
        404,
        'policy_not_found',
      ],
      [request(app).delete(`${BASE}/policies/nope`).set('If-Match', '"1"'), 404, 'policy_not_found'],
      [
        request(app).post(`${BASE}/policies`).set('If-Match', '"1"').send(mfaOutsideOffice),
        409,
        'policy_exists',
      ],
      [
        request(app).put(`${BASE}/policies/mfa-outside-office`).set('If-Match', '"1"').send(blockPayroll),
        400,
        'id_mismatch',
      ],
      [
        request(app)
          .post(`${BASE}/policies/mfa-outside-office/state`)
          .set('If-Match', '"1"')
          .send({ state: 'maybe' }),
        400,
        'invalid_request',
      ],
    ] as const;
    for (const [req, status, error] of cases) {
      const res = await req.set(ADMIN);
      assert.equal(res.status, status, `${where(res)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, error);
    }
    assert.equal((await mfa.policies.current()).version, 1);
  });

  it('a write without If-Match is refused with 428, a stale one with 409, and nothing changes', async () => {
    const { app, mfa } = setup();
    const writes = () => [
      request(app).post(`${BASE}/policies`).set(ADMIN).send(blockPayroll),
      request(app).put(`${BASE}/policies/mfa-outside-office`).set(ADMIN).send(mfaOutsideOffice),
      request(app).post(`${BASE}/policies/mfa-outside-office/state`).set(ADMIN).send({ state: 'off' }),
      request(app).delete(`${BASE}/policies/mfa-outside-office`).set(ADMIN),
      request(app).put(`${BASE}/document`).set(ADMIN).send({ policies: [] }),
    ];
    for (const res of await Promise.all(writes())) {
      assert.equal(res.status, 428, where(res));
      assert.equal(res.body.error, 'precondition_required');
    }
    const star = await request(app)
      .delete(`${BASE}/policies/mfa-outside-office`)
      .set(ADMIN)
      .set('If-Match', '*');
    assert.equal(star.status, 428);
    assert.equal(
      (await request(app).delete(`${BASE}/policies/mfa-outside-office`).set(ADMIN).set('If-Match', '"x"'))
        .status,
      400,
    );

    // Move to version 2, then write on version 1.
    const ok = await request(app)
      .post(`${BASE}/policies`)
      .set(ADMIN)
      .set('If-Match', '"1"')
      .send(blockPayroll);
    assert.equal(ok.status, 201);
    for (const req of writes()) {
      const res = await req.set('If-Match', '"1"');
      assert.equal(res.status, 409, where(res));
      assert.equal(res.body.error, 'policy_version_conflict');
    }
    const stale = await request(app)
      .delete(`${BASE}/policies/block-payroll`)
      .set(ADMIN)
      .query({ version: '1' });
    assert.equal(stale.status, 409);
    const set = await mfa.policies.current();
    assert.equal(set.version, 2);
    assert.deepEqual(
      set.document.policies.map((p) => [p.id, p.state]),
      [
        ['mfa-outside-office', 'on'],
        ['block-payroll', 'on'],
      ],
    );
  });
});
