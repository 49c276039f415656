/** The policy administration API's what-if, its audit of changes, and a failing authorize. */

import assert from 'node:assert/strict';
import request from 'supertest';
import { HOSTILE_REQUEST_IDS } from '../../helpers/hostile-request-ids.ts';
import {
  ADMIN,
  BASE,
  baseDocument,
  blockPayroll,
  HOME_IP,
  mfaOutsideOffice,
  OFFICE_IP,
  setup,
} from './fixtures.ts';

describe('policy admin API', () => {
  it('what-if explains every policy and writes no audit event', async () => {
    const { app, events } = setup();
    const inside = await request(app)
      .post(`${BASE}/what-if`)
      .set(ADMIN)
      .send({ userId: 'alice', app: 'payroll', ip: OFFICE_IP, time: '2026-12-01T09:30:00Z' });
    assert.equal(inside.status, 200, JSON.stringify(inside.body));
    assert.equal(inside.body.action, 'allow');
    const policy = inside.body.policies.find(
      (p: { policyId: string }) => p.policyId === 'mfa-outside-office',
    );
    assert.equal(policy.matched, false);
    const location = policy.conditions.find((c: { condition: string }) => c.condition === 'locations');
    assert.equal(location.matched, false);
    assert.match(location.detail, /203\.0\.113\.9 is in excluded/);
    assert.deepEqual(inside.body.reportOnly, []);

    const outside = await request(app)
      .post(`${BASE}/what-if`)
      .set(ADMIN)
      .send({
        userId: 'alice',
        ip: HOME_IP,
        groups: ['staff'],
        clientAppType: 'browser',
        deviceRemembered: true,
        deviceAgeDays: 3,
        risk: { newDevice: false },
        time: Date.UTC(2026, 11, 1),
      });
    assert.equal(outside.status, 200, JSON.stringify(outside.body));
    assert.equal(outside.body.action, 'mfa');
    assert.deepEqual(outside.body.requirements, [
      { source: 'mfa-outside-office', operator: 'requireAll', strengths: ['mfa'] },
    ]);
    assert.ok(outside.body.sessionControls);
    assert.ok(outside.body.reasons.some((r: { code: string }) => r.code === 'policy_requires'));
    assert.equal(outside.body.policies[0].matched, true);

    const invalid = await request(app)
      .post(`${BASE}/what-if`)
      .set(ADMIN)
      .send({ userId: 'alice', ip: 'nowhere' });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.issues[0].path, 'ip');
    const typo = await request(app)
      .post(`${BASE}/what-if`)
      .set(ADMIN)
      .send({ userId: 'alice', ip: HOME_IP, group: ['x'] });
    assert.equal(typo.status, 400);
    const badTime = await request(app)
      .post(`${BASE}/what-if`)
      .set(ADMIN)
      .send({ userId: 'alice', ip: HOME_IP, time: 'next tuesday' });
    assert.equal(badTime.status, 400);

    assert.deepEqual(
      events.map((e) => e.type),
      [],
    );
    assert.ok(!events.some((e) => e.type.startsWith('signin_')));
  });

  it('what-if of a user action: registering security info is decided by user-action policies only', async () => {
    const registerFromOffice = {
      id: 'register-from-office',
      name: 'Register security info only from the office or with a Temporary Access Pass',
      state: 'on',
      assignments: { users: { include: ['all'] }, userActions: ['registerSecurityInfo'] },
      conditions: { locations: { include: ['any'], exclude: ['trusted'] } },
      grant: { controls: ['mfa'] },
    };
    const { app, events } = setup({
      policies: { ...baseDocument(), policies: [mfaOutsideOffice, blockPayroll, registerFromOffice] },
    });
    const whatIf = (body: object) => request(app).post(`${BASE}/what-if`).set(ADMIN).send(body);

    const home = await whatIf({ userId: 'alice', ip: HOME_IP, userAction: 'registerSecurityInfo' });
    assert.equal(home.status, 200, JSON.stringify(home.body));
    assert.equal(home.body.action, 'mfa');
    assert.equal(home.body.userAction, 'registerSecurityInfo');
    assert.deepEqual(home.body.requirements, [
      { source: 'register-from-office', operator: 'requireAll', strengths: ['mfa'] },
    ]);
    const byId = (id: string) => home.body.policies.find((p: { policyId: string }) => p.policyId === id);
    for (const id of ['mfa-outside-office', 'block-payroll']) {
      assert.equal(byId(id).matched, false);
      assert.equal(byId(id).failedCondition, 'applications');
      assert.match(byId(id).conditions[0].detail, /not to the user action registerSecurityInfo/);
    }
    const office = await whatIf({ userId: 'alice', ip: OFFICE_IP, userAction: 'registerSecurityInfo' });
    assert.equal(office.body.action, 'allow');

    // a sign-in what-if has no userAction in its answer, and the user-action policy did not match
    const signIn = await whatIf({ userId: 'alice', ip: OFFICE_IP, app: 'portal' });
    assert.equal(signIn.body.userAction, undefined);
    assert.equal(
      signIn.body.policies.find((p: { policyId: string }) => p.policyId === 'register-from-office')
        .failedCondition,
      'userActions',
    );

    const unknown = await whatIf({ userId: 'alice', ip: HOME_IP, userAction: 'resetPassword' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.issues[0].path, 'userAction');
    const withApp = await whatIf({
      userId: 'alice',
      ip: HOME_IP,
      app: 'payroll',
      userAction: 'registerSecurityInfo',
    });
    assert.equal(withApp.status, 400);
    assert.equal(withApp.body.issues[0].path, 'userAction');
    assert.match(withApp.body.message, /not a sign-in to an app/);
    assert.deepEqual(events, []);
  });

  it('a change is audited as policies_changed by the administrator', async () => {
    const { app, events } = setup({ trustedProxies: ['loopback'] });
    const res = await request(app)
      .post(`${BASE}/policies`)
      .set(ADMIN)
      .set('If-Match', '"1"')
      .set('X-Forwarded-For', '192.0.2.44')
      .set('X-Request-Id', 'req-7')
      .send(blockPayroll);
    assert.equal(res.status, 201);
    const changed = events.filter((e) => e.type === 'policies_changed');
    assert.equal(changed.length, 1);
    assert.equal(changed[0]?.detail, 'carol');
    assert.equal(changed[0]?.ip, '192.0.2.44');
    assert.equal(changed[0]?.requestId, 'req-7');
    assert.deepEqual(changed[0]?.data, { version: 2, policies: 2 });
    // A refused write is not audited as a change.
    await request(app).post(`${BASE}/policies`).set(ADMIN).set('If-Match', '"1"').send(blockPayroll);
    assert.equal(events.filter((e) => e.type === 'policies_changed').length, 1);
  });

  it('attack: a hostile X-Request-Id on an admin write never reaches the policies_changed event', async () => {
    const { app, events } = setup();
    let version = 1;
    for (const hostile of Object.values(HOSTILE_REQUEST_IDS)) {
      const res = await request(app)
        .post(`${BASE}/policies`)
        .set(ADMIN)
        .set('If-Match', `"${version}"`)
        .set('X-Request-Id', hostile)
        .send({ ...blockPayroll, id: `block-payroll-${version}` });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      version += 1;
    }
    const changed = events.filter((e) => e.type === 'policies_changed');
    assert.equal(changed.length, Object.keys(HOSTILE_REQUEST_IDS).length);
    assert.deepEqual(
      changed.map((e) => e.requestId).filter((id) => id !== undefined),
      [],
    );
  });

  it('an authorize that fails answers 503 and lets nobody in', async () => {
    const { app, mfa } = setup({
      authorize: () => {
        throw new Error('session store down');
      },
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const res = await request(app).delete(`${BASE}/policies/mfa-outside-office`).set('If-Match', '"1"');
      assert.equal(res.status, 503);
      assert.doesNotMatch(JSON.stringify(res.body), /session store down/);
      // The operator sees the cause; the caller does not.
      assert.ok(warnings.some((w) => w.includes('session store down')));
    } finally {
      process.off('warning', onWarning);
    }
    assert.equal((await mfa.policies.current()).version, 1);
  });
});
