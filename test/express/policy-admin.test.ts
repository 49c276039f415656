import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import { createPolicyAdminRouter } from '../../src/express/index.ts';
import { type AuditEvent, createMfa, type MfaOptions, type Stores } from '../../src/index.ts';
import { HOSTILE_REQUEST_IDS } from '../helpers/hostile-request-ids.ts';
import { testClock } from '../helpers/test-clock.ts';

/**
 * The policy administration API as an admin console uses it: authorized by the application,
 * every write a compare-and-set on the version read, the whole document validated, and a
 * change in force for the next decision.
 */
const BASE = '/admin/policies-api';
const ADMIN = { 'X-Admin': 'carol' };
const OFFICE_IP = '203.0.113.9';
const HOME_IP = '198.51.100.7';

const mfaOutsideOffice = {
  id: 'mfa-outside-office',
  name: 'MFA outside the office',
  state: 'on',
  assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
  conditions: { locations: { include: ['any'], exclude: ['trusted'] } },
  grant: { controls: ['mfa'] },
};

const blockPayroll = {
  id: 'block-payroll',
  name: 'No payroll for contractors',
  state: 'on',
  assignments: { users: { include: ['all'] }, applications: { include: ['payroll'] } },
  grant: { block: true },
};

const baseDocument = () => ({
  namedLocations: [{ id: 'office', name: 'Office', trusted: true, cidrs: ['203.0.113.0/24'] }],
  authenticationStrengths: [],
  policies: [mfaOutsideOffice],
});

function setup(
  overrides: Partial<MfaOptions> & {
    authorize?: (req: express.Request) => string | null | Promise<string | null>;
    stores?: Stores;
  } = {},
) {
  const clock = overrides.clock ?? testClock();
  const events: AuditEvent[] = [];
  const { authorize, ...rest } = overrides;
  const mfa = createMfa({
    stores: createMemoryStores({ clock }),
    clock,
    issuer: 'Test Co',
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 1) }],
    defaultUserState: 'disabled',
    policies: baseDocument(),
    audit: (e) => {
      events.push(e);
    },
    ...rest,
  });
  const app = express();
  app.use(
    BASE,
    createPolicyAdminRouter(mfa, { authorize: authorize ?? ((req) => req.get('x-admin') ?? null) }),
  );
  return { app, mfa, events, clock };
}

/** Which request a response answers, for assertion messages. */
const where = (res: request.Response) => {
  const req = (res as unknown as { req?: { method?: string; path?: string } }).req;
  return `${req?.method} ${req?.path}`;
};

const decideAt = (mfa: ReturnType<typeof setup>['mfa'], ip: string, app?: string) =>
  mfa.decide({ userId: 'alice', ip, ...(app ? { app } : {}) });

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

describe('policy admin API with policies from the store', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mfakit-admin-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts with no document at version 0; the first save is version 1, audited in the repository', async () => {
    const { app, mfa } = setup({ policies: 'store' });
    const empty = await request(app).get(`${BASE}/document`).set(ADMIN);
    assert.equal(empty.status, 200);
    assert.equal(empty.headers.etag, '"0"');
    assert.deepEqual(empty.body, {
      version: 0,
      document: { namedLocations: [], authenticationStrengths: [], policies: [] },
    });
    assert.equal((await decideAt(mfa, HOME_IP)).action, 'allow');

    const saved = await request(app)
      .put(`${BASE}/document`)
      .set(ADMIN)
      .set('If-Match', '"0"')
      .send(baseDocument());
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.deepEqual(saved.body, { version: 1 });
    assert.equal(saved.headers.etag, '"1"');
    const record = await mfa.policies.saved();
    assert.equal(record?.version, 1);
    assert.equal(record?.updatedBy, 'carol');
    assert.equal((await decideAt(mfa, HOME_IP)).action, 'mfa');
    const audit = await mfa.admin.auditLog({ limit: 10 });
    assert.equal(audit.find((e) => e.type === 'policies_changed')?.data.detail, 'carol');

    const again = await request(app)
      .put(`${BASE}/document`)
      .set(ADMIN)
      .set('If-Match', '"0"')
      .send(baseDocument());
    assert.equal(again.status, 409);
    assert.equal((await mfa.policies.saved())?.version, 1);
  });

  it("edits what the store holds, not a process's cached copy: another process's change is seen at once", async () => {
    const clock = testClock();
    const stores = createMemoryStores({ clock });
    await stores.repository.putPolicyDocument(baseDocument(), 0, clock.now(), 'seed');
    const a = setup({ clock, stores, policies: 'store', policyRefreshSeconds: 600 });
    const b = setup({ clock, stores, policies: 'store', policyRefreshSeconds: 600 });
    assert.equal((await request(b.app).get(`${BASE}/policies`).set(ADMIN)).body.version, 1); // b caches version 1

    const created = await request(a.app)
      .post(`${BASE}/policies`)
      .set(ADMIN)
      .set('If-Match', '"1"')
      .send(blockPayroll);
    assert.equal(created.status, 201);

    const seen = await request(b.app).get(`${BASE}/policies`).set(ADMIN);
    assert.equal(seen.headers.etag, '"2"');
    assert.deepEqual(
      seen.body.policies.map((p: { id: string }) => p.id),
      ['mfa-outside-office', 'block-payroll'],
    );
    const off = await request(b.app)
      .post(`${BASE}/policies/block-payroll/state`)
      .set(ADMIN)
      .set('If-Match', '"2"')
      .send({ state: 'off' });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(off.headers.etag, '"3"');
    // The earlier version, in either process, is refused.
    const stale = await request(a.app)
      .delete(`${BASE}/policies/block-payroll`)
      .set(ADMIN)
      .set('If-Match', '"2"');
    assert.equal(stale.status, 409);
    const record = await stores.repository.getPolicyDocument();
    assert.equal(record?.version, 3);
    const saved = record?.document as { policies: { id: string; state: string }[] } | undefined;
    assert.equal(saved?.policies.find((p) => p.id === 'block-payroll')?.state, 'off');
  });

  it('an invalid document saved around the engine is reported with its version and can be replaced', async () => {
    const clock = testClock();
    const stores = createMemoryStores({ clock });
    await stores.repository.putPolicyDocument({ policies: [{ id: 'x' }] }, 0, clock.now(), 'someone');
    const { app, mfa } = setup({ clock, stores, policies: 'store' });
    const shown = await request(app).get(`${BASE}/document`).set(ADMIN);
    assert.equal(shown.status, 500);
    assert.equal(shown.body.error, 'stored_policies_invalid');
    assert.equal(shown.body.version, 1);
    assert.equal(shown.headers.etag, '"1"');
    assert.ok(shown.body.issues.some((i: { path: string }) => i.path.startsWith('policies.0.')));
    const whatIf = await request(app)
      .post(`${BASE}/what-if`)
      .set(ADMIN)
      .send({ userId: 'alice', ip: HOME_IP });
    assert.equal(whatIf.status, 500);
    assert.equal(whatIf.body.error, 'stored_policies_invalid');
    // Editing one policy needs the saved document; replacing all of it does not.
    const edit = await request(app)
      .post(`${BASE}/policies`)
      .set(ADMIN)
      .set('If-Match', '"1"')
      .send(blockPayroll);
    assert.equal(edit.status, 500);
    const fixed = await request(app)
      .put(`${BASE}/document`)
      .set(ADMIN)
      .set('If-Match', '"1"')
      .send(baseDocument());
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    assert.equal(fixed.body.version, 2);
    assert.equal((await decideAt(mfa, HOME_IP)).action, 'mfa');
  });

  it('two processes writing on the same version to one SQLite database: one succeeds, one gets 409', async () => {
    const path = join(dir, 'shared.sqlite');
    const seed = createSqliteStores({ path });
    await seed.repository.putPolicyDocument(baseDocument(), 0, Date.now(), 'seed');
    await seed.close?.();
    const storesA = createSqliteStores({ path });
    const storesB = createSqliteStores({ path });
    try {
      const a = setup({ stores: storesA, policies: 'store' });
      const b = setup({ stores: storesB, policies: 'store' });
      for (let round = 1; round <= 3; round++) {
        const version = `"${round}"`;
        const [ra, rb] = await Promise.all([
          request(a.app)
            .post(`${BASE}/policies/mfa-outside-office/state`)
            .set(ADMIN)
            .set('If-Match', version)
            .send({ state: round % 2 ? 'off' : 'on' }),
          request(b.app)
            .put(`${BASE}/policies/mfa-outside-office`)
            .set(ADMIN)
            .set('If-Match', version)
            .send({ ...mfaOutsideOffice, name: `Renamed ${round}` }),
        ]);
        assert.deepEqual(
          [ra.status, rb.status].filter((s) => s === 409).length,
          1,
          `${ra.status} ${rb.status}`,
        );
        assert.ok([ra.status, rb.status].includes(200));
        const record = await storesA.repository.getPolicyDocument();
        assert.equal(record?.version, round + 1);
      }
    } finally {
      await storesA.close?.();
      await storesB.close?.();
    }
  });
});
