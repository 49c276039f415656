// Redis restarted empty (here: every key under the deployment's prefix deleted) while accounts
// are hard-locked: PostgreSQL holds the durable records, Redis the short-lived state. The
// consecutive second-factor failures and the first-factor throttle's hard lock are durable, so
// an attacker who gets Redis flushed (or waits for a restart) gets no fresh guesses: the
// account stays blocked until an administrator unlocks it, and then signs in.
import assert from 'node:assert/strict';
import { createPostgresStores, type PostgresDurableStores } from '../../adapters/postgres/index.ts';
import { createRedisStores } from '../../adapters/redis/index.ts';
import type { AccountDirectory, Stores } from '../../src/index.ts';
import { codeFor, makeApp } from '../helpers/app.ts';
import { enrolUser, passwordStep } from '../helpers/flows.ts';
import { useRedisServer } from '../helpers/redis.ts';
import { type TestClock, testClock } from '../helpers/test-clock.ts';
import { postgresTestServer } from '../store/postgres-schemas.ts';

const LOCKOUT = {
  maxAttempts: 3,
  lockSeconds: 600,
  maxAttemptsPerIp: 1000,
  backoffAfter: 100,
  backoffBaseMs: 0,
  hardLimit: 5,
};
const wrongCode = (right: string) => (right === '000000' ? '111111' : '000000');

describe('faults: Redis flushed while accounts are hard-locked', function () {
  this.timeout(30_000);
  const redis = useRedisServer();
  const postgres = postgresTestServer();
  let durable: PostgresDurableStores | undefined;
  let shortLived: (Stores & { close(): Promise<void> }) | undefined;
  let prefix = '';

  /** PostgreSQL for the records, Redis (a fresh prefix) for the short-lived state, on `clock`. */
  async function openStores(clock: TestClock): Promise<Stores> {
    durable = await createPostgresStores({
      url: postgres.url,
      schema: postgres.freshSchema(),
      clock,
      ephemeral: false,
    });
    prefix = redis.freshPrefix();
    shortLived = await createRedisStores({
      repository: durable.repository,
      client: redis.client,
      prefix,
      clock,
    });
    return shortLived;
  }
  afterEach(async () => {
    await shortLived?.close();
    await durable?.close();
    shortLived = undefined;
    durable = undefined;
  });

  /** What a Redis restart without persistence leaves: no key of the deployment. */
  async function flushPrefix(): Promise<number> {
    let deleted = 0;
    for await (const keys of redis.client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) {
      if (keys.length > 0) deleted += await redis.client.del(keys);
    }
    return deleted;
  }

  it('second factor: the consecutive failures survive the flush; the account stays blocked until an admin unlocks it', async () => {
    const clock = testClock();
    const { app, mfa, events } = makeApp({ stores: await openStores(clock), clock, lockout: LOCKOUT });
    const { secret } = await enrolUser(app, clock, 'alice');
    const login = async () =>
      (
        await (
          await import('supertest')
        ).default
          .agent(app)
          .post('/login')
          .send({ username: 'alice', password: 'alice-pw' })
      ).status;
    // Three wrong codes, a new lock period, two more in one sign-in: the hard limit (five).
    const { agent: first } = await passwordStep(app, 'alice');
    for (let i = 0; i < 3; i++)
      await first
        .post('/mfa/api/verify')
        .send({ code: wrongCode(codeFor(secret, clock)) })
        .expect(401);
    clock.advance(601_000);
    const { agent: attacker } = await passwordStep(app, 'alice');
    const { agent: other } = await passwordStep(app, 'alice');
    for (let i = 0; i < 2; i++)
      await attacker
        .post('/mfa/api/verify')
        .send({ code: wrongCode(codeFor(secret, clock)) })
        .expect(401);
    const refused = await other.post('/mfa/api/verify').send({ code: codeFor(secret, clock) });
    assert.equal(refused.status, 429, 'hard-locked: even the right code is refused');
    assert.ok(events.some((e) => e.type === 'locked' && e.detail === 'locked_hard'));
    assert.equal(await login(), 403, 'a new sign-in is blocked');

    assert.ok((await flushPrefix()) > 0, 'the flush removed the short-lived state');
    assert.equal((await mfa.admin.lockStatus('alice')).consecutiveFailures, 5);
    assert.equal(await login(), 403, 'a new sign-in is still blocked after the flush');

    await mfa.admin.unlock('alice');
    assert.deepEqual(await mfa.admin.lockStatus('alice'), { attempts: 0, consecutiveFailures: 0 });
    const { agent } = await passwordStep(app, 'alice');
    assert.equal((await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) })).status, 200);
  });

  it('a success clears the durable count: failures before it never add up to a hard lock', async () => {
    const clock = testClock();
    const { app, mfa } = makeApp({ stores: await openStores(clock), clock, lockout: LOCKOUT });
    const { secret } = await enrolUser(app, clock, 'alice');
    for (let round = 0; round < 3; round++) {
      const { agent } = await passwordStep(app, 'alice');
      for (let i = 0; i < 2; i++)
        await agent
          .post('/mfa/api/verify')
          .send({ code: wrongCode(codeFor(secret, clock)) })
          .expect(401);
      clock.advance(30_000);
      await agent
        .post('/mfa/api/verify')
        .send({ code: codeFor(secret, clock) })
        .expect(200);
      assert.equal((await mfa.admin.lockStatus('alice')).consecutiveFailures, 0);
    }
  });

  it('first factor: a budget locked at the hard limit stays locked after the flush, until an unlock or its window', async () => {
    const clock = testClock();
    const stores = await openStores(clock);
    const { mfa } = makeApp({
      stores,
      clock,
      firstFactor: { hardLimit: 6, freeAttempts: 2, maxDelaySeconds: 1 },
    });
    const directory: AccountDirectory = {
      resolve: (id) => (id === 'alice' ? { id: 'alice' } : null),
      verifyPassword: async (id, password) => id === 'alice' && password === 'alice-pw',
    };
    const gate = mfa.firstFactorGate(directory);
    const attempt = (user: string, password: string) =>
      gate.signIn({ kind: 'password', identifier: user, secret: password, ip: '198.51.100.7' });
    /** Guesses until `n` were checked, waiting out each delay. */
    const guess = async (user: string, n: number) => {
      for (let i = 0; i < n; i++) {
        let r = await attempt(user, `guess-${i}`);
        while (r.ok === false && r.error === 'throttled') {
          clock.advance(r.retryAfterSeconds * 1000);
          r = await attempt(user, `guess-${i}`);
        }
        assert.equal(r.ok === false && r.error, 'invalid_credentials');
      }
    };
    await guess('alice', 6);
    await guess('nobody', 6);
    clock.advance(3_600_000);
    assert.equal((await attempt('alice', 'alice-pw')).ok, false, 'locked before the flush');

    assert.ok((await flushPrefix()) > 0);
    const afterFlush = await attempt('alice', 'alice-pw');
    assert.equal(afterFlush.ok === false && afterFlush.error, 'throttled', 'still locked after the flush');
    const stranger = await attempt('nobody', 'x');
    assert.equal(stranger.ok === false && stranger.error, 'throttled', 'an unknown name alike');

    await mfa.admin.unlock('alice');
    assert.equal((await attempt('alice', 'alice-pw')).ok, true, 'an unlock lifts it');
    // Without an unlock, the lock ends `failureWindowHours` (24) after the last failure.
    clock.advance(21 * 3_600_000);
    const stillLocked = await attempt('nobody', 'x');
    assert.equal(stillLocked.ok === false && stillLocked.error, 'throttled', '22 h after: locked');
    clock.advance(2 * 3_600_000);
    const expired = await attempt('nobody', 'x');
    assert.equal(expired.ok === false && expired.error, 'invalid_credentials', 'a day after: checked again');
  });
});
