// A session signed in with a passkey alone (passwordless) is as old as that passkey: once a
// policy's sign-in frequency has passed, the next authorization asks for a new first factor (the
// login prompt, where the passkey can sign in again) — the step-up never renews it on its own.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { recoveryCode, totp, webauthn } from '../../src/index.ts';
import { Browser } from '../helpers/browser.ts';
import {
  absolute,
  atRp,
  redeem,
  startAuthorization,
  startTestIdp,
  type TestIdp,
} from '../helpers/oidc-idp.ts';
import { enrolPasskeyThroughEngine } from '../helpers/passkey-pages.ts';
import { doc } from '../helpers/policies.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';

const ORIGIN = 'http://localhost:3000';

async function passwordless(b: Browser, idp: TestIdp, soft: SoftAuthenticator, uid: string) {
  const r = await b.fetch(absolute(idp, `/interaction/${uid}/mfa/passkey/options`));
  assert.equal(r.status, 200, await r.clone().text());
  // The options endpoint's JSON, as the page's script reads it.
  const { challengeId, options } = (await r.json()) as { challengeId: string; options: never };
  return b.go(absolute(idp, `/interaction/${uid}/mfa/passkey`), {
    form: { challengeId, credential: JSON.stringify(soft.authenticate(options)) },
    stopAt: atRp,
  });
}

describe('mfakit/oidc: a passwordless session and the sign-in frequency', function () {
  this.timeout(60_000);
  let idp: TestIdp;
  afterEach(async () => idp?.close());

  it('past the frequency, the next authorization asks for a new sign-in; no code is issued on the old one', async () => {
    idp = await startTestIdp({
      stores: createMemoryStores(),
      methods: [totp, recoveryCode, webauthn({ rpID: 'localhost', rpName: 'T', origins: [ORIGIN] })],
      policies: doc([
        {
          id: 'hourly',
          name: 'phr every hour',
          state: 'on',
          assignments: { users: { include: ['all'] }, applications: { include: ['rp'] } },
          grant: { controls: [{ authenticationStrength: 'phishingResistant' }] },
          session: { signInFrequencyHours: 1 },
        },
      ]),
    });
    const soft = new SoftAuthenticator({ origin: ORIGIN });
    await enrolPasskeyThroughEngine(idp.mfa, soft, 'alice');
    const b = new Browser();
    const first = await startAuthorization(b, idp);
    const uid = /\/interaction\/([\w-]+)/.exec(first.page.url)?.[1] ?? '';
    const back = await passwordless(b, idp, soft, uid);
    const claims = (await redeem(idp, back.url, first.request)).claims;
    assert.deepEqual(claims.amr, ['hwk', 'user', 'mfa']);
    assert.equal(claims.acr, 'urn:mfakit:acr:phr');

    idp.clock.advance(3 * 3_600_000);
    const later = await startAuthorization(b, idp);
    assert.equal(atRp(new URL(later.page.url)), false, 'not sent back to the client on the old passkey');
    assert.match(later.page.text, /action="[^"]*\/login"/, 'the login prompt: a new first factor');
    // …where the passkey signs in again, and the client gets a fresh sign-in.
    const laterUid = /\/interaction\/([\w-]+)/.exec(later.page.url)?.[1] ?? '';
    const again = await passwordless(b, idp, soft, laterUid);
    const renewed = (await redeem(idp, again.url, later.request)).claims;
    assert.equal(renewed.acr, 'urn:mfakit:acr:phr');
    assert.ok(Number(renewed.auth_time) > Number(claims.auth_time));
  });
});
