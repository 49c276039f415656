/** The policy administration API with policies from the store: versions, other processes, invalid documents. */

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createMemoryStores } from '../../../adapters/memory/index.ts';
import { createSqliteStores } from '../../../adapters/sqlite/index.ts';
import { testClock } from '../../helpers/test-clock.ts';
import {
  ADMIN,
  BASE,
  baseDocument,
  blockPayroll,
  decideAt,
  HOME_IP,
  mfaOutsideOffice,
  setup,
} from './fixtures.ts';

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
