// The oidc session stamps, read back from the store: every read goes through parseStamp(), so an
// older release's stamp is upgraded, and garbage, text that is not JSON or a stamp of another
// account is no stamp (the interaction policy then asks for login again) — never an exception.
// Each case runs with the stamps bound to sessions in the OpenID provider's store (model
// MfakitSessionStamp, where stores that have one keep them) and in the ephemeral store.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { ACR_MFA, type AuthStamp, STAMP_VERSION } from '../../src/index.ts';
import { createSessionStamps, SESSION_STAMP_MODEL } from '../../src/oidc/session-stamps.ts';
import { testClock } from '../helpers/test-clock.ts';

const T = Date.UTC(2026, 0, 5, 9, 0, 0);
const stamp: AuthStamp = {
  version: STAMP_VERSION,
  userId: 'alice',
  amr: ['pwd', 'otp', 'mfa'],
  acr: ACR_MFA,
  firstFactorAmr: ['pwd'],
  authTime: T,
  mfaAt: T,
  methods: ['password', 'totp'],
  verifiedAt: { totp: T },
  app: 'portal',
  clientAppType: 'browser',
  groups: [],
  roles: [],
  risk: {},
};

function setup(where: 'oidc' | 'ephemeral') {
  const clock = testClock(T);
  const { ephemeral, oidc } = createMemoryStores({ clock });
  if (!oidc) throw new Error('the memory stores have an oidc store');
  const stores = where === 'oidc' ? { ephemeral, oidc } : { ephemeral };
  const stamps = createSessionStamps(stores, clock, { sessionSeconds: 3600, handOffSeconds: 60 });
  /** The raw stamp JSON bound to a session, as stored. */
  const storedRaw = async (uid: string) =>
    where === 'oidc'
      ? ((await oidc.find(SESSION_STAMP_MODEL, uid))?.stamp ?? null)
      : await ephemeral.get(`oidc-stamp:${uid}`);
  return {
    clock,
    ephemeral,
    stamps,
    storedRaw,
    stored: (uid: string, raw: string) =>
      where === 'oidc'
        ? oidc.upsert(SESSION_STAMP_MODEL, uid, { stamp: raw }, T + 60_000)
        : ephemeral.put(`oidc-stamp:${uid}`, raw, 60_000),
  };
}

for (const where of ['oidc', 'ephemeral'] as const)
  describe(`oidc session stamps read back from the store (bound in the ${where} store)`, () => {
    it('a handed-off stamp is claimed once, bound to the session, and read back as written', async () => {
      const { stamps } = setup(where);
      const ref = await stamps.handOff(stamp);
      assert.deepEqual(await stamps.claim(ref, 'uid-1', 'alice'), stamp);
      assert.equal(await stamps.claim(ref, 'uid-2', 'alice'), null, 'claimed once');
      assert.deepEqual(await stamps.get('uid-1', 'alice'), stamp);
      assert.equal(await stamps.get('uid-1', 'bob'), null, 'only for the account it was issued to');
    });

    it("an older release's stamp is upgraded", async () => {
      const { stamps, stored } = setup(where);
      await stored(
        'uid-1',
        JSON.stringify({ userId: 'alice', amr: ['pwd', 'otp', 'mfa'], acr: ACR_MFA, authTime: T, mfaAt: T }),
      );
      const read = await stamps.get('uid-1', 'alice');
      assert.equal(read?.version, STAMP_VERSION);
      assert.deepEqual(read?.methods, ['password', 'totp']);
    });

    for (const [what, raw] of [
      ['text that is not JSON', '{"userId":"alice",'],
      ['JSON that is not a stamp', '{"userId":"alice"}'],
      ['a stamp of a newer release', JSON.stringify({ ...stamp, version: STAMP_VERSION + 1 })],
      ['JSON null', 'null'],
    ])
      it(`attack: ${what} in the store is no stamp, never an exception`, async () => {
        const { stamps, stored } = setup(where);
        await stored('uid-1', raw as string);
        assert.equal(await stamps.get('uid-1', 'alice'), null);
      });

    it('a hand-off whose stored value is garbage is claimed by nobody and binds nothing', async () => {
      const { stamps, ephemeral, storedRaw } = setup(where);
      const ref = 'A'.repeat(32);
      await ephemeral.put(`oidc-stamp-ref:${ref}`, '{"not":"a stamp"}', 60_000);
      assert.equal(await stamps.claim(ref, 'uid-1', 'alice'), null);
      assert.equal(await storedRaw('uid-1'), null);
    });

    it('a bound stamp lives as long as the session, and is gone once forgotten', async () => {
      const { stamps, clock, storedRaw } = setup(where);
      await stamps.claim(await stamps.handOff(stamp), 'uid-1', 'alice');
      await stamps.claim(await stamps.handOff(stamp), 'uid-2', 'alice');
      assert.ok(await storedRaw('uid-1'));
      await stamps.forget('uid-1');
      assert.equal(await stamps.get('uid-1', 'alice'), null);
      clock.advance(3_599_999);
      assert.deepEqual(await stamps.get('uid-2', 'alice'), stamp);
      clock.advance(1);
      assert.equal(await stamps.get('uid-2', 'alice'), null, 'expired with the session');
    });
  });
