// A half-finished sign-in does not outlive a revocation, from the side of an attacker who has
// the password (and a phished code): the admin signs the user out everywhere, resets them, or
// flags them for fraud while the attacker's sign-in waits for its second factor or its first
// method; the attacker's next step is refused (401 pending_expired), nothing is registered and
// the session is not signed in. A sign-in started after the revocation — even in its very
// millisecond — completes as usual. Real stores: memory and an SQLite file.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import type { Stores } from '../../src/store/ports.ts';
import { codeFor, makeApp } from '../helpers/app.ts';
import { enrolUser, passwordStep } from '../helpers/flows.ts';
import { type TestClock, testClock } from '../helpers/test-clock.ts';

const ADMIN = { ip: '198.51.100.1', requestId: 'req-admin' };

const STORES: { name: string; make: (clock: TestClock, dir: string) => Stores }[] = [
  { name: 'memory', make: (clock) => createMemoryStores({ clock }) },
  { name: 'SQLite', make: (clock, dir) => createSqliteStores({ path: join(dir, 'mfa.db'), clock }) },
];

for (const store of STORES) {
  describe(`a pending sign-in and the revocations after its first factor (${store.name})`, () => {
    let dir: string;
    let t: ReturnType<typeof makeApp>;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'mfakit-pending-'));
      const clock = testClock();
      t = makeApp({ clock, stores: store.make(clock, dir) });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('attack: password + phished code, the admin revokes sessions meanwhile — the code is refused, no session', async () => {
      const { app, clock, mfa } = t;
      const { secret } = await enrolUser(app, clock, 'alice');
      const { agent } = await passwordStep(app, 'alice');
      clock.advance(2000);
      await mfa.admin.revokeSessions('alice', ADMIN);
      clock.advance(31_000);
      const verify = await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) });
      assert.equal(verify.status, 401, JSON.stringify(verify.body));
      assert.equal(verify.body.error, 'pending_expired');
      assert.equal((await agent.get('/account')).status, 401);
      assert.equal((await agent.get('/mfa/api/status')).body.status, 'none');
      // Audited once, at the sign-in's address, however often the attacker tries again.
      await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) });
      const voided = t.events.filter((e) => e.type === 'signin_voided');
      assert.deepEqual(
        voided.map((e) => [e.userId, e.ip]),
        [['alice', '127.0.0.1']],
      );
    });

    it('attack: the same with a fraud flag — refused, no session', async () => {
      const { app, clock, mfa } = t;
      const { secret } = await enrolUser(app, clock, 'alice');
      const { agent } = await passwordStep(app, 'alice');
      clock.advance(2000);
      await mfa.admin.setFraudFlag('alice', true, ADMIN);
      clock.advance(31_000);
      const verify = await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) });
      assert.equal(verify.status, 401, JSON.stringify(verify.body));
      assert.equal(verify.body.error, 'pending_expired');
      assert.equal((await agent.get('/account')).status, 401);
    });

    it('attack: a user without a method, reset while the attacker registers their app — refused, nothing registered', async () => {
      const { app, clock, mfa } = t;
      const { agent } = await passwordStep(app, 'bob');
      const draft = await agent.post('/mfa/api/enroll/totp').send({});
      assert.equal(draft.status, 201, JSON.stringify(draft.body));
      clock.advance(2000);
      await mfa.admin.resetUser('bob', ADMIN);
      clock.advance(2000);
      const done = await agent
        .post('/mfa/api/enroll/totp/confirm')
        .send({ draftId: draft.body.draftId, code: codeFor(draft.body.secret, clock) });
      assert.equal(done.status, 401, JSON.stringify(done.body));
      assert.equal(done.body.error, 'pending_expired');
      assert.deepEqual(await mfa.methods.list('bob'), [], 'the attacker’s app is not on the account');
      assert.equal((await agent.get('/account')).status, 401);
      // Nor can a new registration start from the voided sign-in.
      assert.equal((await agent.post('/mfa/api/enroll/totp').send({})).status, 401);
      assert.deepEqual(await mfa.methods.list('bob'), []);
    });

    it('a sign-in whose password step comes after the revocation — or in its very millisecond — completes', async () => {
      const { app, clock, mfa } = t;
      const { secret } = await enrolUser(app, clock, 'alice');
      await mfa.admin.revokeSessions('alice', ADMIN);
      const { agent } = await passwordStep(app, 'alice'); // the same millisecond: counts as after
      const verify = await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) });
      assert.equal(verify.status, 200, JSON.stringify(verify.body));
      assert.equal((await agent.get('/account')).status, 200);

      clock.advance(60_000);
      await mfa.admin.resetUser('alice', ADMIN);
      clock.advance(1000);
      const fresh = await passwordStep(app, 'alice');
      const draft = await fresh.agent.post('/mfa/api/enroll/totp').send({});
      assert.equal(draft.status, 201, JSON.stringify(draft.body));
      const done = await fresh.agent
        .post('/mfa/api/enroll/totp/confirm')
        .send({ draftId: draft.body.draftId, code: codeFor(draft.body.secret, clock) });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal((await mfa.methods.list('alice')).length, 1);
      assert.equal((await fresh.agent.get('/account')).status, 200);
    });
  });
}
