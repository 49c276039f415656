// Failed passwordless sign-ins spend the per-address first-factor budget that failed passwords
// spend (`firstFactor.perAddress`): an address that used it up is refused — 429 with
// Retry-After, as for a password — before its answer is checked, whatever challenge it asks for
// next, while other addresses sign in as usual. A success gives back only its own place, and the
// refusals are audited once a minute per address, the rest counted. The attacker forges
// assertions for a real passkey (a bad signature) from one address, with fresh challenges.
import assert from 'node:assert/strict';
import type { Express } from 'express';
import request from 'supertest';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import {
  type AccountDirectory,
  type AuditEvent,
  type Mfa,
  recoveryCode,
  type Stores,
  totp,
  webauthn,
} from '../../src/index.ts';
import { authenticatorAt, ORIGIN, passkeyApp } from '../helpers/passkey-flows.ts';
import { enrolPasskeyThroughEngine } from '../helpers/passkey-pages.ts';
import { useScaledStores } from '../helpers/scaled-stores.ts';
import {
  asCredential,
  asRequestOptions,
  type SignedAssertion,
  type SoftAuthenticator,
} from '../helpers/soft-authenticator.ts';
import { type TestClock, testClock } from '../helpers/test-clock.ts';
import { createTestMfa } from '../helpers/test-mfa.ts';

const ATTACKER = '203.0.113.9';
const OWNER = '198.51.100.20';
const MAX_FAILURES = 3;
const WINDOW_MINUTES = 15;

/** A signature that is not the authenticator's: the assertion verifies for no one. */
const forged = (s: SignedAssertion): SignedAssertion => {
  const signature = Buffer.from(s.signature);
  signature[signature.length - 1] = (signature.at(-1) ?? 0) ^ 0xff;
  return { ...s, signature };
};

/** Alice's passkey, and the test app behind a loopback proxy (X-Forwarded-For is the client). */
async function setUp() {
  const made = passkeyApp({
    trustedProxies: ['loopback'],
    firstFactor: { perAddress: { maxFailures: MAX_FAILURES, windowMinutes: WINDOW_MINUTES } },
  });
  const soft = authenticatorAt();
  await enrolPasskeyThroughEngine(made.mfa, soft, 'alice');
  return { ...made, soft };
}

/** A passkey sign-in over HTTP from `ip`, on a fresh challenge; the answer and the agent. */
async function passkeyFrom(app: Express, ip: string, soft: SoftAuthenticator, forge = false) {
  const agent = request.agent(app);
  const started = await agent.get('/mfa/passkey/options').set('X-Forwarded-For', ip);
  assert.equal(started.status, 200, 'a new challenge is handed out');
  const { challengeId, options } = started.body;
  const credential = soft.authenticate(options, forge ? { tamper: forged } : {});
  const res = await agent.post('/mfa/passkey').set('X-Forwarded-For', ip).send({ challengeId, credential });
  return { res, agent };
}

/** The same through the engine (as every integration calls it). */
async function verifyFrom(mfa: Mfa, ip: string, soft: SoftAuthenticator, forge = false) {
  const ctx = { ip };
  const begun = await mfa.passwordless.begin(undefined, ctx);
  const credential = soft.authenticate(asRequestOptions(begun.options), forge ? { tamper: forged } : {});
  return mfa.passwordless.verify(begun.challengeId, { credential: asCredential(credential) }, ctx);
}

const directory: AccountDirectory = {
  resolve: (identifier) => (identifier === 'alice' ? { id: 'alice' } : null),
  verifyPassword: async (accountId, password) => accountId === 'alice' && password === 'alice-pw',
};

const throttledRows = (events: AuditEvent[]) =>
  events.filter((e) => e.type === 'first_factor_throttled') as Extract<
    AuditEvent,
    { type: 'first_factor_throttled' }
  >[];

describe('passwordless sign-in: failures spend the per-address first-factor budget', () => {
  it(`attack: after ${MAX_FAILURES} forged assertions from one address, 429 with Retry-After even on new challenges and for the real passkey; other addresses sign in`, async () => {
    const { app, soft, clock } = await setUp();
    for (let i = 0; i < MAX_FAILURES; i++) {
      const { res } = await passkeyFrom(app, ATTACKER, soft, true);
      assert.equal(res.status, 401, JSON.stringify(res.body));
      assert.equal(res.body.error, 'invalid_credential');
    }
    for (const forge of [true, false]) {
      const { res, agent } = await passkeyFrom(app, ATTACKER, soft, forge);
      assert.equal(res.status, 429, JSON.stringify(res.body));
      assert.equal(res.body.error, 'throttled');
      const wait = Number(res.headers['retry-after']);
      assert.ok(wait >= 1 && wait <= WINDOW_MINUTES * 60, `Retry-After ${res.headers['retry-after']}`);
      assert.match(res.body.message, /^Too many attempts\. Try again in \d+ (seconds?|minutes)\.$/);
      assert.equal((await agent.get('/account')).status, 401, 'not signed in');
    }
    // The HTML page answers the same status and header.
    const agent = request.agent(app);
    const { challengeId, options } = (
      await agent.get('/mfa/passkey/options').set('X-Forwarded-For', ATTACKER)
    ).body;
    const page = await agent
      .post('/mfa/passkey')
      .set('X-Forwarded-For', ATTACKER)
      .set('Accept', 'text/html')
      .type('form')
      .send({ challengeId, credential: JSON.stringify(soft.authenticate(options)) });
    assert.equal(page.status, 429);
    assert.ok(page.headers['retry-after']);
    assert.match(page.text, /Too many attempts/);

    const owner = await passkeyFrom(app, OWNER, soft);
    assert.equal(owner.res.status, 200, JSON.stringify(owner.res.body));
    assert.equal((await owner.agent.get('/account')).body.user, 'alice');

    // The window ends: the address is served again.
    clock.advance(WINDOW_MINUTES * 60_000);
    assert.equal((await passkeyFrom(app, ATTACKER, soft)).res.status, 200);
  });

  it('the refusals are audited once a minute for the address (kind passkey), the rest counted', async () => {
    const { mfa, events, soft, clock } = await setUp();
    for (let i = 0; i < MAX_FAILURES; i++)
      assert.equal((await verifyFrom(mfa, ATTACKER, soft, true)).ok, false);
    for (let i = 0; i < 10; i++) {
      const r = await verifyFrom(mfa, ATTACKER, soft, i % 2 === 0);
      assert.equal(r.ok === false && r.error, 'throttled');
    }
    let rows = throttledRows(events);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.detail, 'address_limit');
    assert.deepEqual(rows[0]?.data, { kind: 'passkey' });
    assert.equal(rows[0]?.ip, ATTACKER);
    clock.advance(60_000);
    await verifyFrom(mfa, ATTACKER, soft, true);
    rows = throttledRows(events);
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[1]?.data, { kind: 'passkey', unreported: 9 });
    // The failures are audited as before; a refused answer is never checked, so never a failure row.
    assert.equal(events.filter((e) => e.type === 'first_factor_failed').length, MAX_FAILURES);
  });

  it('passwords and passkeys share the budget: failed passwords close the address to passkeys, and failed passkeys to passwords', async () => {
    const pw = await setUp();
    const gate = pw.mfa.firstFactorGate(directory);
    const password = (secret: string, identifier = 'alice') =>
      gate.signIn({ identifier, secret, kind: 'password', ip: ATTACKER });
    for (let i = 0; i < MAX_FAILURES; i++)
      assert.deepEqual(await password('guess', `user${i}`), { ok: false, error: 'invalid_credentials' });
    const refused = await verifyFrom(pw.mfa, ATTACKER, pw.soft);
    assert.equal(refused.ok === false && refused.error, 'throttled', 'the real passkey is refused too');
    assert.equal((await verifyFrom(pw.mfa, OWNER, pw.soft)).ok, true);
    // One audited refusal a minute per address, whichever factor was refused.
    assert.equal((await password('alice-pw')).ok, false);
    assert.deepEqual(
      throttledRows(pw.events).map((e) => e.data.kind),
      ['passkey'],
    );

    const pk = await setUp();
    const gate2 = pk.mfa.firstFactorGate(directory);
    for (let i = 0; i < MAX_FAILURES - 1; i++)
      assert.equal((await verifyFrom(pk.mfa, ATTACKER, pk.soft, true)).ok, false);
    assert.deepEqual(await gate2.signIn({ identifier: 'bob', secret: 'x', kind: 'password', ip: ATTACKER }), {
      ok: false,
      error: 'invalid_credentials',
    });
    const closed = await gate2.signIn({
      identifier: 'alice',
      secret: 'alice-pw',
      kind: 'password',
      ip: ATTACKER,
    });
    assert.equal(
      closed.ok === false && closed.error,
      'throttled',
      'two passkeys and a password spent the three',
    );
    assert.equal(
      (await gate2.signIn({ identifier: 'alice', secret: 'alice-pw', kind: 'password', ip: OWNER })).ok,
      true,
    );
  });

  it('a success gives back only its own place, as a password success does: successes cannot be banked', async () => {
    const { mfa, soft } = await setUp();
    const gate = mfa.firstFactorGate(directory);
    for (let i = 0; i < 20; i++) {
      assert.equal((await verifyFrom(mfa, ATTACKER, soft)).ok, true);
      assert.equal(
        (await gate.signIn({ identifier: 'alice', secret: 'alice-pw', kind: 'password', ip: ATTACKER })).ok,
        true,
      );
    }
    for (let i = 0; i < MAX_FAILURES - 1; i++)
      assert.equal((await verifyFrom(mfa, ATTACKER, soft, true)).ok, false);
    // A success between failures leaves the count where it was.
    assert.equal((await verifyFrom(mfa, ATTACKER, soft)).ok, true);
    const last = await verifyFrom(mfa, ATTACKER, soft, true);
    assert.equal(last.ok === false && last.error, 'invalid_credential', 'the third failure is still checked');
    const after = await verifyFrom(mfa, ATTACKER, soft);
    assert.equal(after.ok === false && after.error, 'throttled');
  });

  it('an account the application refuses counts as a failure, like a wrong credential', async () => {
    const made = passkeyApp({
      trustedProxies: ['loopback'],
      firstFactor: { perAddress: { maxFailures: MAX_FAILURES, windowMinutes: WINDOW_MINUTES } },
      web: { passkeySignIn: () => false },
    });
    const soft = authenticatorAt();
    await enrolPasskeyThroughEngine(made.mfa, soft, 'alice');
    for (let i = 0; i < MAX_FAILURES; i++)
      assert.equal((await passkeyFrom(made.app, ATTACKER, soft)).res.status, 401);
    assert.equal((await passkeyFrom(made.app, ATTACKER, soft)).res.status, 429);
  });

  /**
   * Two engines on `stores` (two processes of one deployment), Alice's passkey; then 40 attempts
   * at once from one address: forged assertions on both, and wrong passwords for 20 identifiers.
   * Each claims its place before it is checked, so exactly the budget is checked, the rest 429.
   */
  async function burstOn(stores: Stores, clock: TestClock) {
    const engines = [1, 2].map(
      () =>
        createTestMfa(
          {
            stores,
            methods: [totp, recoveryCode, webauthn({ rpID: 'localhost', rpName: 'T', origins: [ORIGIN] })],
            firstFactor: { perAddress: { maxFailures: 5, windowMinutes: WINDOW_MINUTES } },
          },
          { clock, issuer: 'T', keyFill: 3 },
        ).mfa,
    );
    const [one, two] = engines;
    if (!one || !two) throw new Error('unreachable');
    const soft = authenticatorAt();
    await enrolPasskeyThroughEngine(one, soft, 'alice');
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const mfa = i % 2 ? one : two;
        if (i % 4 < 2) return verifyFrom(mfa, ATTACKER, soft, true);
        const gate = mfa.firstFactorGate(directory);
        return gate.signIn({ identifier: `user${i}`, secret: 'guess', kind: 'password', ip: ATTACKER });
      }),
    );
    const checked = results.filter((r) => !(r.ok === false && r.error === 'throttled'));
    assert.equal(checked.length, 5, JSON.stringify(results.map((r) => (r.ok ? 'ok' : r.error))));
    assert.ok(checked.every((r) => r.ok === false));
    // The owner, elsewhere, is not touched.
    assert.equal((await verifyFrom(two, OWNER, soft)).ok, true);
  }

  it('race: 40 concurrent forged passkeys and wrong passwords from one address check exactly the budget (memory)', async () => {
    const clock = testClock();
    await burstOn(createMemoryStores({ clock }), clock);
  });

  describe('on PostgreSQL and Redis', function () {
    this.timeout(60_000);
    const scaledStores = useScaledStores();

    it('race: the same burst across two processes sharing Redis checks exactly the budget', async () => {
      const clock = testClock();
      const shortLived = await scaledStores(clock);
      await burstOn(shortLived, clock);
    });
  });
});
