import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createMfa } from '../../src/index.ts';
import { codeFor, makeApp } from '../helpers/app.ts';
import { enrolUser, passwordStep, signIn } from '../helpers/flows.ts';

const wrongCode = (right: string) => (right === '000000' ? '111111' : '000000');
const LOCKOUT = {
  maxAttempts: 3,
  lockSeconds: 600,
  maxAttemptsPerIp: 1000,
  backoffAfter: 100,
  backoffBaseMs: 0,
  hardLimit: 20,
};

describe('lockout', () => {
  it('the N-th failure locks: even the right code is refused until the lock expires', async () => {
    const { app, clock, events } = makeApp({ lockout: LOCKOUT });
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await passwordStep(app, 'alice');
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await agent.post('/mfa/api/verify').send({ code: wrongCode(codeFor(secret, clock)) })).status,
        401,
      );
    }
    const locked = await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) });
    assert.equal(locked.status, 429);
    assert.equal(locked.body.error, 'locked');
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.ok(events.some((e) => e.type === 'locked' && e.userId === 'alice'));
    clock.advance(601_000);
    const { agent: later } = await passwordStep(app, 'alice');
    assert.equal((await later.post('/mfa/api/verify').send({ code: codeFor(secret, clock) })).status, 200);
  });

  it('refused attempts on a locked user are audited once a minute, the next row counting the rest', async () => {
    const { app, clock, events } = makeApp({ lockout: LOCKOUT });
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await passwordStep(app, 'alice');
    for (let i = 0; i < 3; i++)
      await agent
        .post('/mfa/api/verify')
        .send({ code: wrongCode(codeFor(secret, clock)) })
        .expect(401);
    for (let i = 0; i < 200; i++)
      await agent
        .post('/mfa/api/verify')
        .send({ code: codeFor(secret, clock) })
        .expect(429);
    const lockedRows = () => events.filter((e) => e.type === 'locked' && e.userId === 'alice');
    assert.equal(lockedRows().length, 1, `${lockedRows().length} rows for 200 refusals`);
    clock.advance(60_000);
    await agent
      .post('/mfa/api/verify')
      .send({ code: codeFor(secret, clock) })
      .expect(429);
    const rows = lockedRows();
    assert.equal(rows.length, 2);
    assert.deepEqual(
      rows.map((e) => (e.type === 'locked' ? e.data : undefined)),
      [undefined, { unreported: 199 }],
    );
  });

  it('a new challenge (signing in with the password again) does not reset the count', async () => {
    const { app, clock } = makeApp({ lockout: LOCKOUT });
    const { secret } = await enrolUser(app, clock, 'alice');
    for (let i = 0; i < 3; i++) {
      const { agent } = await passwordStep(app, 'alice');
      assert.equal(
        (await agent.post('/mfa/api/verify').send({ code: wrongCode(codeFor(secret, clock)) })).status,
        401,
      );
    }
    const { agent } = await passwordStep(app, 'alice');
    assert.equal((await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) })).status, 429);
  });

  it('the lock holds under 50 concurrent attempts: at most maxAttempts codes are ever checked', async () => {
    const { app, clock, events } = makeApp({ lockout: LOCKOUT });
    const { secret } = await enrolUser(app, clock, 'alice');
    const agents = await Promise.all(Array.from({ length: 50 }, () => passwordStep(app, 'alice')));
    const bad = wrongCode(codeFor(secret, clock));
    const results = await Promise.all(
      agents.map(({ agent }) => agent.post('/mfa/api/verify').send({ code: bad })),
    );
    assert.equal(results.filter((r) => r.status === 401).length, 3, 'exactly maxAttempts were checked');
    assert.equal(results.filter((r) => r.status === 429).length, 47);
    assert.equal(events.filter((e) => e.type === 'verify_failed').length, 3);
  });

  it('success resets the count', async () => {
    const { app, clock, mfa } = makeApp({ lockout: LOCKOUT });
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await passwordStep(app, 'alice');
    await agent
      .post('/mfa/api/verify')
      .send({ code: wrongCode(codeFor(secret, clock)) })
      .expect(401);
    await agent
      .post('/mfa/api/verify')
      .send({ code: wrongCode(codeFor(secret, clock)) })
      .expect(401);
    await agent
      .post('/mfa/api/verify')
      .send({ code: codeFor(secret, clock) })
      .expect(200);
    assert.deepEqual(await mfa.admin.lockStatus('alice'), { attempts: 0, consecutiveFailures: 0 });
  });

  it('exponential back-off: past backoffAfter failures, a too-early attempt is refused without being checked', async () => {
    const { app, clock } = makeApp({
      lockout: { ...LOCKOUT, maxAttempts: 10, backoffAfter: 2, backoffBaseMs: 4000 },
    });
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await passwordStep(app, 'alice');
    const bad = () => wrongCode(codeFor(secret, clock));
    await agent.post('/mfa/api/verify').send({ code: bad() }).expect(401);
    await agent.post('/mfa/api/verify').send({ code: bad() }).expect(401);
    const early = await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) });
    assert.equal(early.status, 429);
    assert.equal(early.body.error, 'slow_down');
    assert.equal(early.headers['retry-after'], '4');
    clock.advance(4000);
    await agent.post('/mfa/api/verify').send({ code: bad() }).expect(401);
    clock.advance(4000);
    assert.equal(
      (await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) })).status,
      429,
      'the wait doubled to 8 s',
    );
    clock.advance(4000);
    assert.equal((await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) })).status, 200);
  });

  it('the consecutive-failure hard limit blocks the account across lock periods until an admin unlocks it', async () => {
    const { app, clock, mfa } = makeApp({ lockout: { ...LOCKOUT, hardLimit: 5 } });
    const { secret } = await enrolUser(app, clock, 'alice');
    for (let round = 0; round < 2; round++) {
      const { agent } = await passwordStep(app, 'alice');
      for (let i = 0; i < 3; i++)
        await agent.post('/mfa/api/verify').send({ code: wrongCode(codeFor(secret, clock)) });
      clock.advance(601_000);
    }
    const blocked = await (await import('supertest')).default
      .agent(app)
      .post('/login')
      .send({ username: 'alice', password: 'alice-pw' });
    assert.equal(blocked.status, 403, 'the decision is block once the hard limit is reached');
    await mfa.admin.unlock('alice');
    const { agent } = await passwordStep(app, 'alice');
    assert.equal((await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) })).status, 200);
  });

  it('no configuration can raise the consecutive-failure ceiling above 100 (NIST SP 800-63B)', () => {
    const base = {
      stores: createMemoryStores(),
      issuer: 'X',
      sealingKeys: [{ id: 'k', key: Buffer.alloc(32) }],
    };
    assert.throws(() => createMfa({ ...base, lockout: { hardLimit: 101 } as never }), /lockout\.hardLimit/);
    assert.throws(
      () => createMfa({ ...base, lockout: { maxAttempts: 500 } as never }),
      /lockout\.maxAttempts/,
    );
    assert.doesNotThrow(() => createMfa({ ...base, lockout: { hardLimit: 100 } as never }));
  });

  it('failures per client address are limited across users', async () => {
    const { app, clock } = makeApp({ lockout: { ...LOCKOUT, maxAttemptsPerIp: 4 } });
    const a = await enrolUser(app, clock, 'alice');
    const b = await enrolUser(app, clock, 'bob');
    for (let i = 0; i < 2; i++) {
      const { agent } = await passwordStep(app, 'alice');
      await agent
        .post('/mfa/api/verify')
        .send({ code: wrongCode(codeFor(a.secret, clock)) })
        .expect(401);
      const { agent: bobAgent } = await passwordStep(app, 'bob');
      await bobAgent
        .post('/mfa/api/verify')
        .send({ code: wrongCode(codeFor(b.secret, clock)) })
        .expect(401);
    }
    const { agent } = await passwordStep(app, 'bob');
    const res = await agent.post('/mfa/api/verify').send({ code: codeFor(b.secret, clock) });
    assert.equal(res.status, 429);
  });

  it('attack: successes banked on your own account make no room for guesses at other accounts from that address', async () => {
    const N = 4;
    const { app, clock, events } = makeApp({ lockout: { ...LOCKOUT, maxAttempts: 10, maxAttemptsPerIp: N } });
    const own = await enrolUser(app, clock, 'svc');
    const victims = { alice: await enrolUser(app, clock, 'alice'), bob: await enrolUser(app, clock, 'bob') };
    // The attacker signs in to their own account 3N times from the address (each one succeeds).
    for (let i = 0; i < 3 * N; i++) await signIn(app, clock, 'svc', own.secret);
    // ... and waits until the address's attempt count has lapsed (its successes must not outlive it).
    clock.advance(LOCKOUT.lockSeconds * 1000 + 1000);
    events.length = 0;
    const statuses: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (const [user, { secret }] of Object.entries(victims)) {
        const { agent } = await passwordStep(app, user);
        const res = await agent.post('/mfa/api/verify').send({ code: wrongCode(codeFor(secret, clock)) });
        statuses.push(res.status);
      }
    }
    assert.equal(statuses.filter((s) => s === 401).length, N, `checked: ${statuses.join(' ')}`);
    assert.deepEqual(
      statuses.slice(N),
      Array.from({ length: 8 - N }, () => 429),
    );
    assert.equal(events.filter((e) => e.type === 'verify_failed').length, N);
    // The address is refused, whoever it names; the attacker's own successes do not lift it.
    const { agent } = await passwordStep(app, 'svc');
    assert.equal(
      (await agent.post('/mfa/api/verify').send({ code: codeFor(own.secret, clock) })).status,
      429,
    );
  });

  it("an office's successes from one address never lock it: each releases only the slot it reserved", async () => {
    const N = 3;
    const { app, clock } = makeApp({ lockout: { ...LOCKOUT, maxAttempts: 10, maxAttemptsPerIp: N } });
    const a = await enrolUser(app, clock, 'alice');
    const b = await enrolUser(app, clock, 'bob');
    const { agent } = await passwordStep(app, 'alice');
    await agent
      .post('/mfa/api/verify')
      .send({ code: wrongCode(codeFor(a.secret, clock)) })
      .expect(401);
    for (let i = 0; i < 3 * N; i++)
      await signIn(app, clock, i % 2 ? 'alice' : 'bob', i % 2 ? a.secret : b.secret);
    // One failure is still counted; N - 1 more guesses are checked, then the address is refused.
    for (let i = 0; i < N - 1; i++) {
      const { agent: next } = await passwordStep(app, 'bob');
      await next
        .post('/mfa/api/verify')
        .send({ code: wrongCode(codeFor(b.secret, clock)) })
        .expect(401);
    }
    const { agent: last } = await passwordStep(app, 'bob');
    assert.equal((await last.post('/mfa/api/verify').send({ code: codeFor(b.secret, clock) })).status, 429);
  });

  it('a burst of refused attempts does not count toward the hard limit: only checked codes do', async () => {
    const { app, clock, mfa } = makeApp({ lockout: { ...LOCKOUT, hardLimit: 5 } });
    const { secret } = await enrolUser(app, clock, 'alice');
    const agents = await Promise.all(Array.from({ length: 50 }, () => passwordStep(app, 'alice')));
    const bad = wrongCode(codeFor(secret, clock));
    await Promise.all(agents.map(({ agent }) => agent.post('/mfa/api/verify').send({ code: bad })));
    assert.equal((await mfa.admin.lockStatus('alice')).consecutiveFailures, 3);
    clock.advance(601_000);
    const { agent } = await passwordStep(app, 'alice');
    assert.equal((await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) })).status, 200);
  });

  it('parallel guesses against many accounts from one address check at most maxAttemptsPerIp codes', async () => {
    const users = ['alice', 'bob'];
    const { app, clock, events } = makeApp({ lockout: { ...LOCKOUT, maxAttempts: 10, maxAttemptsPerIp: 6 } });
    const secrets = await Promise.all(users.map((u) => enrolUser(app, clock, u)));
    events.length = 0;
    const pendings = await Promise.all(
      users.flatMap((u) => Array.from({ length: 8 }, () => passwordStep(app, u))),
    );
    const bad = wrongCode(codeFor(secrets[0]?.secret ?? '', clock));
    const results = await Promise.all(
      pendings.map(({ agent }) => agent.post('/mfa/api/verify').send({ code: bad })),
    );
    assert.equal(results.filter((r) => r.status === 401).length, 6);
    assert.equal(events.filter((e) => e.type === 'verify_failed').length, 6);
  });

  it('IPv6 clients are counted per /64: hopping addresses inside one block does not reset the count', async () => {
    const { addressBucket } = await import('../../src/engine/lockout.ts');
    assert.equal(addressBucket('2001:db8:1:2:aaaa::1'), addressBucket('2001:db8:1:2:ffff::9'));
    assert.notEqual(addressBucket('2001:db8:1:2::1'), addressBucket('2001:db8:1:3::1'));
    assert.equal(addressBucket('::ffff:192.0.2.1'), '192.0.2.1');
    const { app, clock } = makeApp({
      trustedProxies: ['loopback'],
      lockout: { ...LOCKOUT, maxAttempts: 10, maxAttemptsPerIp: 2 },
    });
    const { secret } = await enrolUser(app, clock, 'alice');
    const from = async (ip: string, code: string) => {
      const { agent } = await passwordStep(app, 'alice');
      return (await agent.post('/mfa/api/verify').set('X-Forwarded-For', ip).send({ code })).status;
    };
    const bad = wrongCode(codeFor(secret, clock));
    assert.equal(await from('2001:db8:1:2::1', bad), 401);
    assert.equal(await from('2001:db8:1:2::2', bad), 401);
    assert.equal(await from('2001:db8:1:2::3', codeFor(secret, clock)), 429);
  });
});
