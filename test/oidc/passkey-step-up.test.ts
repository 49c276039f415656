// mfakit/oidc: a session signed in with a passkey alone as one factor
// (`passwordless.countsAsMultiFactor: false`, here from a trusted network, so MFA was skipped)
// steps up for a client's `acr_values=…:mfa` with another method — never the same passkey, which
// the step-up's new decision excludes as the sign-in's did. Over real HTTP through oidc-provider.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { recoveryCode, totp, webauthn } from '../../src/index.ts';
import { codeFor } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import {
  absolute,
  atRp,
  enrolDirect,
  redeem,
  startAuthorization,
  startTestIdp,
  submitCode,
  type TestIdp,
} from '../helpers/oidc-idp.ts';
import { enrolPasskeyThroughEngine } from '../helpers/passkey-pages.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';

const ORIGIN = 'http://localhost:3000';
const MFA = 'urn:mfakit:acr:mfa';

describe('mfakit/oidc: the passkey that signed in as one factor is not the step-up', function () {
  this.timeout(60_000);
  let idp: TestIdp;
  afterEach(async () => idp?.close());

  it('acr_values=…:mfa on a passkey-only session: the prompt offers the app, not that passkey; the app meets it', async () => {
    idp = await startTestIdp({
      stores: createMemoryStores(),
      trustedNetworks: ['127.0.0.0/8', '::1/128'],
      methods: [
        totp,
        recoveryCode,
        webauthn({
          rpID: 'localhost',
          rpName: 'T',
          origins: [ORIGIN],
          passwordless: { enabled: true, countsAsMultiFactor: false },
        }),
      ],
    });
    const secret = await enrolDirect(idp, 'alice');
    const soft = new SoftAuthenticator({ origin: ORIGIN });
    await enrolPasskeyThroughEngine(idp.mfa, soft, 'alice');

    const b = new Browser();
    const first = await startAuthorization(b, idp);
    const uid = /\/interaction\/([\w-]+)/.exec(first.page.url)?.[1] ?? '';
    const r = await b.fetch(absolute(idp, `/interaction/${uid}/mfa/passkey/options`));
    const { challengeId, options } = (await r.json()) as { challengeId: string; options: never };
    const back = await b.go(absolute(idp, `/interaction/${uid}/mfa/passkey`), {
      form: { challengeId, credential: JSON.stringify(soft.authenticate(options)) },
      stopAt: atRp,
    });
    const signedIn = (await redeem(idp, back.url, first.request)).claims;
    assert.deepEqual(signedIn.amr, ['hwk'], 'one factor, MFA skipped on the trusted network');

    idp.clock.advance(60_000);
    const { request, page } = await startAuthorization(b, idp, { acrValues: MFA });
    assert.match(page.url, /\/mfa$/, 'the existing session steps up');
    assert.doesNotMatch(page.text, /id="mfakit-webauthn"/, 'the passkey that signed in is not offered');
    assert.match(page.text, /name="code"/);
    const done = await submitCode(b, idp, page, codeFor(secret, idp.clock));
    const { claims } = await redeem(idp, done.url, request);
    assert.equal(claims.acr, MFA);
    assert.deepEqual(claims.amr, ['hwk', 'otp', 'mfa']);
  });
});
