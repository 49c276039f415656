// At an oidc-provider IdP's login prompt, failed passwordless answers spend the client address's
// first-factor budget, as failed passwords do: once it is spent, a new interaction and a new
// challenge are refused too — 429 with Retry-After, before the answer is checked — even for the
// real passkey.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { recoveryCode, totp, webauthn } from '../../src/index.ts';
import { Browser } from '../helpers/browser.ts';
import { absolute, startAuthorization, startTestIdp, type TestIdp } from '../helpers/oidc-idp.ts';
import { enrolPasskeyThroughEngine } from '../helpers/passkey-pages.ts';
import { type SignedAssertion, SoftAuthenticator } from '../helpers/soft-authenticator.ts';

const ORIGIN = 'http://localhost:3000';

const forged = (s: SignedAssertion): SignedAssertion => ({
  ...s,
  signature: Buffer.concat([s.signature.subarray(0, -1), Buffer.from([(s.signature.at(-1) ?? 0) ^ 0xff])]),
});

/** A new authorization, and a passkey answer at its login prompt. */
async function passkeyAtLogin(b: Browser, idp: TestIdp, soft: SoftAuthenticator, forge: boolean) {
  const { page } = await startAuthorization(b, idp);
  const uid = /\/interaction\/([\w-]+)/.exec(page.url)?.[1] ?? '';
  const r = await b.fetch(absolute(idp, `/interaction/${uid}/mfa/passkey/options`));
  assert.equal(r.status, 200, 'a new challenge is handed out');
  const { challengeId, options } = (await r.json()) as { challengeId: string; options: never };
  const credential = soft.authenticate(options, forge ? { tamper: forged } : {});
  return b.go(absolute(idp, `/interaction/${uid}/mfa/passkey`), {
    form: { challengeId, credential: JSON.stringify(credential) },
  });
}

describe('mfakit/oidc: failed passkey sign-ins and the per-address first-factor budget', function () {
  this.timeout(60_000);
  let idp: TestIdp;
  afterEach(async () => idp?.close());

  it('attack: two forged answers, then 429 with Retry-After on a new interaction, for the real passkey too', async () => {
    idp = await startTestIdp({
      stores: createMemoryStores(),
      methods: [totp, recoveryCode, webauthn({ rpID: 'localhost', rpName: 'T', origins: [ORIGIN] })],
      firstFactor: { perAddress: { maxFailures: 2, windowMinutes: 15 } },
    });
    const soft = new SoftAuthenticator({ origin: ORIGIN });
    await enrolPasskeyThroughEngine(idp.mfa, soft, 'alice');
    const b = new Browser();
    for (let i = 0; i < 2; i++) {
      const refused = await passkeyAtLogin(b, idp, soft, true);
      assert.equal(refused.status, 401);
      assert.match(refused.text, /That passkey was not accepted/);
    }
    const throttled = await passkeyAtLogin(b, idp, soft, false);
    assert.equal(throttled.status, 429);
    const wait = Number(throttled.headers.get('retry-after'));
    assert.ok(wait >= 1 && wait <= 900, `Retry-After ${throttled.headers.get('retry-after')}`);
    assert.match(throttled.text, /Too many attempts\. Try again in \d+ (seconds?|minutes)\./);
    assert.ok(
      idp.events.some((e) => e.type === 'first_factor_throttled' && e.data.kind === 'passkey'),
      'the refusal is audited',
    );
  });
});
