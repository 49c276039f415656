/** Attacks on the policy admin API, refused from the start (regression tests). */

import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { createPolicyAdminRouter } from '../../../src/express/policy-admin.ts';
import { makeApp } from '../../helpers/app.ts';
import { allUsers, doc } from '../../helpers/policies.ts';
import { payrollNeedsMfa } from './fixtures.ts';

describe('CA attacks: policy admin API (refused today)', () => {
  const setup = async () => {
    const made = makeApp({ policies: doc([payrollNeedsMfa()]) });
    const admin = express();
    admin.use(
      '/api',
      createPolicyAdminRouter(made.mfa, {
        authorize: (req) => {
          const key = req.get('x-admin-key');
          if (key === 'boom') throw new Error('directory down');
          return key === 'root-key' ? 'root' : null;
        },
      }),
    );
    return { ...made, admin };
  };

  it('refuses unauthorized callers before reading the body, and an authorize() error denies (503)', async () => {
    const { admin, mfa } = await setup();
    const v = (await mfa.policies.current()).version;
    for (const key of [undefined, 'guess', '']) {
      const set = (r: request.Test) => (key === undefined ? r : r.set('x-admin-key', key));
      assert.equal((await set(request(admin).get('/api/policies'))).status, 403);
      assert.equal((await set(request(admin).get('/api/document'))).status, 403);
      assert.equal(
        (await set(request(admin).put('/api/document').set('If-Match', `"${v}"`)).send({ policies: [] }))
          .status,
        403,
      );
      assert.equal(
        (await set(request(admin).post('/api/what-if')).type('json').send('{not json')).status,
        403,
        'no body parsing before authorization',
      );
    }
    const boom = await request(admin)
      .put('/api/document')
      .set('x-admin-key', 'boom')
      .set('If-Match', `"${v}"`)
      .send({});
    assert.equal(boom.status, 503);
    assert.equal((await mfa.policies.current()).version, v, 'nothing was written');
    const form = await request(admin)
      .post('/api/policies?version=1')
      .set('x-admin-key', 'root-key')
      .type('form')
      .send({ id: 'x' });
    assert.equal(form.status, 415, 'a cross-site form cannot write');
    assert.equal(
      (await request(admin).put('/api/document').set('x-admin-key', 'root-key').set('If-Match', '*').send({}))
        .status,
      428,
    );
  });

  it('what-if has no side effects', async () => {
    const { admin, mfa, events, stores } = await setup();
    const v = (await mfa.policies.current()).version;
    const before = events.length;
    const res = await request(admin).post('/api/what-if').set('x-admin-key', 'root-key').send({
      userId: 'alice',
      app: 'payroll',
      ip: '198.51.100.7',
      deviceRemembered: true,
      deviceAgeDays: 3,
    });
    assert.equal(res.status, 200);
    assert.equal(events.length, before, 'no audit');
    assert.equal((await mfa.policies.current()).version, v);
    assert.equal(await stores.repository.getSighting('alice', 'network', '198.51.100.0/24'), null);
    assert.deepEqual(await mfa.admin.lockStatus('alice'), { attempts: 0, consecutiveFailures: 0 });
    assert.equal((await mfa.devices.list('alice')).length, 0);
  });

  it('malformed policy input and what-if bodies give 4xx, never 5xx', async () => {
    const { admin, mfa } = await setup();
    const version = async () => (await mfa.policies.current()).version;
    const policy = payrollNeedsMfa();
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = [deep];
    const documents: unknown[] = [
      { policies: 'x' },
      { policies: [null] },
      { policies: [{ ...policy, state: 'maybe' }] },
      { policies: [{ ...policy, id: '__proto__' }] },
      { policies: [{ ...policy, grant: { controls: [{ authenticationStrength: 'constructor' }] } }] },
      { policies: [{ ...policy, grant: { controls: [{ authenticationStrength: 'toString' }] } }] },
      { policies: [{ ...policy, conditions: { locations: { include: ['constructor'] } } }] },
      {
        policies: [
          {
            ...policy,
            conditions: { times: { include: [{ start: '09:00', end: '09:00', timeZone: 'UTC' }] } },
          },
        ],
      },
      {
        policies: [
          {
            ...policy,
            conditions: { times: { include: [{ start: '9:00', end: '10:00', timeZone: 'Mars/Olympus' }] } },
          },
        ],
      },
      { policies: [{ ...policy, session: { signInFrequencyHours: -1 } }] },
      { policies: [{ ...policy, session: { signInFrequencyHours: 1e308 } }] },
      { policies: [{ ...policy, conditions: deep }] },
      { namedLocations: [{ id: 'a', name: 'a', cidrs: ['1.2.3.4/33'] }] },
      { namedLocations: [{ id: 'a', name: 'a', cidrs: ['::ffff:1.2.3.4/129'] }] },
      { namedLocations: [{ id: 'a', name: 'a', cidrs: ['010.0.0.0/8'] }] },
      { namedLocations: [{ id: 'any', name: 'a', cidrs: ['10.0.0.0/8'] }] },
      { authenticationStrengths: [{ id: 'mfa', name: 'x', combinations: [['password']] }] },
      { authenticationStrengths: [{ id: 's', name: 'x', combinations: [['password', 'nope']] }] },
      { authenticationStrengths: [{ id: 's', name: 'x', combinations: [[]] }] },
    ];
    for (const [i, body] of documents.entries()) {
      const res = await request(admin)
        .put('/api/document')
        .set('x-admin-key', 'root-key')
        .set('If-Match', `"${await version()}"`)
        .send(body as object);
      assert.ok(
        res.status >= 400 && res.status < 500,
        `${res.status} for document #${i}: ${JSON.stringify(res.body).slice(0, 200)}`,
      );
    }
    // Valid but unusual documents compile and evaluate without 5xx.
    const odd: unknown[] = [
      doc(
        [{ ...policy, conditions: { locations: { include: ['everything'] } } }],
        [{ id: 'everything', name: 'All', cidrs: ['0.0.0.0/0', '::/0', '::ffff:0.0.0.0/96'] }],
      ),
      doc([
        {
          ...policy,
          id: 'constructor',
          assignments: { ...allUsers, applications: { include: ['constructor', 'toString'] } },
        },
      ]),
    ];
    for (const body of odd) {
      const put = await request(admin)
        .put('/api/document')
        .set('x-admin-key', 'root-key')
        .set('If-Match', `"${await version()}"`)
        .send(body as object);
      assert.equal(put.status, 200, JSON.stringify(put.body).slice(0, 300));
      for (const ip of ['198.51.100.7', '::ffff:198.51.100.7', 'fe80::1', '::']) {
        for (const appName of ['payroll', 'constructor', 'toString', '__proto__']) {
          const res = await request(admin)
            .post('/api/what-if')
            .set('x-admin-key', 'root-key')
            .send({ userId: 'alice', app: appName, ip });
          assert.ok(res.status < 500, `${res.status} what-if ${ip} ${appName}`);
        }
      }
    }
    const whatIfs: unknown[] = [
      {},
      { userId: 'alice' },
      { userId: 'alice', ip: '1.2.3' },
      { userId: 'alice', ip: '010.1.2.3' },
      { userId: 'alice', ip: 'fe80::1%eth0' },
      { userId: 'alice', ip: '1.2.3.4', time: 8.64e15 },
      { userId: 'alice', ip: '1.2.3.4', time: '+275760-09-13T00:00:00.000Z' },
      { userId: 'alice', ip: '1.2.3.4', time: '2026-13-40T00:00:00Z' },
      { userId: 'alice', ip: '1.2.3.4', risk: { fraudFlagged: 'yes' } },
      { userId: 'alice', ip: '1.2.3.4', extra: true },
      { userId: 'alice', ip: '1.2.3.4', amr: ['mfa'], deviceRemembered: true, deviceAgeDays: 3650 },
    ];
    for (const body of whatIfs) {
      const res = await request(admin)
        .post('/api/what-if')
        .set('x-admin-key', 'root-key')
        .send(body as object);
      assert.ok(res.status < 500, `${res.status} what-if ${JSON.stringify(body)}`);
    }
  });
});
