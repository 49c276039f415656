/**
 * The policy administration API's writes: the whole document validated, bad bodies refused with
 * 4xx, a change in force for the next decision, and concurrent writes on one version.
 */

import assert from 'node:assert/strict';
import request from 'supertest';
import {
  ADMIN,
  BASE,
  baseDocument,
  blockPayroll,
  decideAt,
  HOME_IP,
  mfaOutsideOffice,
  OFFICE_IP,
  setup,
} from './fixtures.ts';

describe('policy admin API', () => {
  it('a policy naming an unknown location is refused with the path of the problem; the document is unchanged', async () => {
    const { app, mfa } = setup();
    const bad = {
      ...blockPayroll,
      conditions: { locations: { include: ['headquarters'] } },
    };
    const res = await request(app).post(`${BASE}/policies`).set(ADMIN).set('If-Match', '"1"').send(bad);
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'policy_invalid');
    assert.match(res.body.message, /unknown named location "headquarters"/);
    assert.deepEqual(res.body.issues, [
      { path: 'policies.1.conditions.locations.include.0', message: 'unknown named location "headquarters"' },
    ]);

    // A bad CIDR in the whole document, and a location removed while a policy still uses it.
    const doc = baseDocument();
    const badCidr = await request(app)
      .put(`${BASE}/document`)
      .set(ADMIN)
      .set('If-Match', '"1"')
      .send({ ...doc, namedLocations: [{ ...doc.namedLocations[0], cidrs: ['203.0.113.0/33'] }] });
    assert.equal(badCidr.status, 400);
    assert.equal(badCidr.body.issues[0].path, 'namedLocations.0.cidrs.0');
    const byId = await request(app)
      .put(`${BASE}/policies/mfa-outside-office`)
      .set(ADMIN)
      .set('If-Match', '"1"')
      .send({
        ...mfaOutsideOffice,
        conditions: { locations: { include: ['any'], exclude: ['office', 'lab'] } },
      });
    assert.equal(byId.status, 400);
    assert.deepEqual(
      byId.body.issues.map((i: { path: string }) => i.path),
      ['policies.0.conditions.locations.exclude.1'],
    );

    const set = await mfa.policies.current();
    assert.equal(set.version, 1);
    assert.deepEqual(
      set.document.policies.map((p) => p.id),
      ['mfa-outside-office'],
    );
    assert.deepEqual(set.document.namedLocations[0]?.cidrs, ['203.0.113.0/24']);
  });

  it('malformed JSON is 400, a non-JSON body 415, an oversized body 413; the limits are 1 MB per policy and 8 MB per document', async () => {
    const { app, mfa } = setup();
    const malformed = await request(app)
      .post(`${BASE}/policies`)
      .set(ADMIN)
      .set('If-Match', '"1"')
      .set('Content-Type', 'application/json')
      .send('{"id": "x",');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error, 'malformed_json');

    const form = await request(app)
      .post(`${BASE}/policies`)
      .set(ADMIN)
      .set('If-Match', '"1"')
      .type('form')
      .send({ id: 'x' });
    assert.equal(form.status, 415);

    const notObject = await request(app)
      .put(`${BASE}/document`)
      .set(ADMIN)
      .set('If-Match', '"1"')
      .send([1, 2]);
    assert.equal(notObject.status, 400);

    const huge = await request(app)
      .post(`${BASE}/policies`)
      .set(ADMIN)
      .set('If-Match', '"1"')
      .send({ ...blockPayroll, description: 'x'.repeat(1_100_000) });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error, 'body_too_large');

    // A 1.5 MB document is fine where a 1.5 MB policy is not.
    const cidrs = Array.from({ length: 90_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`);
    const big = {
      ...baseDocument(),
      namedLocations: [...baseDocument().namedLocations, { id: 'big', name: 'Big', cidrs }],
    };
    assert.ok(JSON.stringify(big).length > 1_200_000);
    const bigPut = await request(app).put(`${BASE}/document`).set(ADMIN).set('If-Match', '"1"').send(big);
    assert.equal(bigPut.status, 200, JSON.stringify(bigPut.body).slice(0, 300));
    assert.equal(bigPut.headers.etag, '"2"');

    const tooBig = await request(app)
      .put(`${BASE}/document`)
      .set(ADMIN)
      .set('If-Match', '"2"')
      .set('Content-Type', 'application/json')
      .send(`{"policies": [], "pad": "${'x'.repeat(8.5 * 1024 * 1024)}"}`);
    assert.equal(tooBig.status, 413);
    assert.equal((await mfa.policies.current()).version, 2);
  });

  it('a change is in force for the next decision', async () => {
    const { app, mfa } = setup();
    assert.equal((await decideAt(mfa, OFFICE_IP, 'payroll')).action, 'allow');
    assert.equal((await decideAt(mfa, HOME_IP)).action, 'mfa');

    const created = await request(app)
      .post(`${BASE}/policies`)
      .set(ADMIN)
      .set('If-Match', '"1"')
      .send(blockPayroll);
    assert.equal(created.status, 201);
    assert.equal((await decideAt(mfa, OFFICE_IP, 'payroll')).action, 'block');

    const off = await request(app)
      .post(`${BASE}/policies/mfa-outside-office/state`)
      .set(ADMIN)
      .set('If-Match', created.headers.etag as string)
      .send({ state: 'off' });
    assert.equal(off.status, 200);
    assert.equal((await decideAt(mfa, HOME_IP)).action, 'allow');
    assert.equal((await mfa.whatIf({ userId: 'alice', ip: HOME_IP, app: 'payroll' })).action, 'block');
  });

  it('two concurrent writes on the same version: exactly one succeeds, the other gets 409', async () => {
    const { app, mfa } = setup();
    const [a, b] = await Promise.all([
      request(app)
        .post(`${BASE}/policies/mfa-outside-office/state`)
        .set(ADMIN)
        .set('If-Match', '"1"')
        .send({ state: 'off' }),
      request(app).post(`${BASE}/policies`).set(ADMIN).set('If-Match', '"1"').send(blockPayroll),
    ]);
    assert.equal([a, b].filter((r) => r.status === 409).length, 1, `${a.status} ${b.status}`);
    assert.ok(a.status === 200 || b.status === 201, `${a.status} ${b.status}`);
    const set = await mfa.policies.current();
    assert.equal(set.version, 2);
    // Exactly the winner's change, not both.
    const wonState = a.status === 200;
    assert.equal(set.document.policies[0]?.state, wonState ? 'off' : 'on');
    assert.equal(set.document.policies.length, wonState ? 1 : 2);
  });
});
