// The oidc session stamps, read back from the store: every read goes through parseStamp(), so an
// older release's stamp is upgraded, and garbage, text that is not JSON or a stamp of another
// account is no stamp (the interaction policy then asks for login again) — never an exception.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { ACR_MFA, type AuthStamp, STAMP_VERSION } from '../../src/index.ts';
import { createSessionStamps } from '../../src/oidc/session-stamps.ts';
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

function setup() {
  const { ephemeral } = createMemoryStores({ clock: testClock(T) });
  const stamps = createSessionStamps(ephemeral, { sessionSeconds: 3600, handOffSeconds: 60 });
  return {
    ephemeral,
    stamps,
    stored: (uid: string, raw: string) => ephemeral.put(`oidc-stamp:${uid}`, raw, 60_000),
  };
}

describe('oidc session stamps read back from the store', () => {
  it('a handed-off stamp is claimed once, bound to the session, and read back as written', async () => {
    const { stamps } = setup();
    const ref = await stamps.handOff(stamp);
    assert.deepEqual(await stamps.claim(ref, 'uid-1', 'alice'), stamp);
    assert.equal(await stamps.claim(ref, 'uid-2', 'alice'), null, 'claimed once');
    assert.deepEqual(await stamps.get('uid-1', 'alice'), stamp);
    assert.equal(await stamps.get('uid-1', 'bob'), null, 'only for the account it was issued to');
  });

  it("an older release's stamp is upgraded", async () => {
    const { stamps, stored } = setup();
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
      const { stamps, stored } = setup();
      await stored('uid-1', raw as string);
      assert.equal(await stamps.get('uid-1', 'alice'), null);
    });

  it('a hand-off whose stored value is garbage is claimed by nobody and binds nothing', async () => {
    const { stamps, ephemeral } = setup();
    const ref = 'A'.repeat(32);
    await ephemeral.put(`oidc-stamp-ref:${ref}`, '{"not":"a stamp"}', 60_000);
    assert.equal(await stamps.claim(ref, 'uid-1', 'alice'), null);
    assert.equal(await ephemeral.get('oidc-stamp:uid-1'), null);
  });
});
