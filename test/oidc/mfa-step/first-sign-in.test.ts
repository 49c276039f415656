/**
 * The MFA step of mfakit/oidc in a real oidc-provider, driven over HTTP the way a browser and a
 * relying party would: authorization request → the IdP's password page → mfakit's prompt or
 * enrollment → back at the client with a code → tokens. Claims are read from ID tokens the
 * token endpoint issued (and, in one test, validated by openid-client).
 * This part: first sign-in and returning users.
 */

import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { codeFor } from '../../helpers/app.ts';
import { Browser, formAction, inputValue } from '../../helpers/browser.ts';
import {
  absolute,
  atRp,
  enrolDirect,
  password,
  redeem,
  signIn,
  startAuthorization,
  startTestIdp,
  submitCode,
  type TestIdp,
} from '../../helpers/oidc-idp.ts';
import { ctx, nowSeconds } from './fixtures.ts';

describe('mfakit/oidc: the MFA step in an oidc-provider code flow', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  afterEach(async () => idp?.close());

  describe('first sign-in and returning users', () => {
    beforeEach(async () => {
      idp = await startTestIdp();
    });

    it('a user with no method enrols at sign-in (QR page, recovery codes) and the ID token says pwd+otp+mfa', async () => {
      const b = new Browser();
      const { request, page } = await startAuthorization(b, idp);
      const enroll = await password(b, idp, page, 'alice');
      assert.match(enroll.url, /\/interaction\/[\w-]+\/mfa$/);
      assert.match(enroll.text, /Set up your authenticator app/);
      const secret = /id="secret">([A-Z2-7]+)</.exec(enroll.text)?.[1];
      assert.ok(secret);
      const codes = await b.go(absolute(idp, formAction(enroll.text, '/mfa/enroll')), {
        form: {
          _csrf: inputValue(enroll.text, '_csrf'),
          draftId: inputValue(enroll.text, 'draftId'),
          code: codeFor(secret, idp.clock),
        },
        stopAt: atRp,
      });
      assert.match(codes.text, /Save your recovery codes/);
      const recovery = [...codes.text.matchAll(/<li><code>([a-z0-9-]+)<\/code>/g)].map((m) => m[1]);
      assert.equal(recovery.length, 10);
      const next = /href="([^"]+)">I have saved them/.exec(codes.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
      const back = await b.go(next, { stopAt: atRp });
      assert.ok(atRp(new URL(back.url)));
      const { claims } = await redeem(idp, back.url, request);
      assert.equal(claims.sub, 'alice');
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
      assert.ok(claims.auth_time && Math.abs(claims.auth_time - nowSeconds()) < 5);
      assert.equal(claims.nonce, request.nonce);
    });

    it('reloading the enrollment page shows the same secret (what the user may already have scanned)', async () => {
      const b = new Browser();
      const { page } = await startAuthorization(b, idp);
      const enroll = await password(b, idp, page, 'alice');
      const reload = await b.go(enroll.url);
      const secretOf = (text: string) => /id="secret">([A-Z2-7]+)</.exec(text)?.[1];
      assert.ok(secretOf(enroll.text));
      assert.equal(secretOf(reload.text), secretOf(enroll.text));
    });

    it('a returning user is asked for a code after the password; a wrong code keeps the login unresolved', async () => {
      const secret = await enrolDirect(idp, 'alice');
      const b = new Browser();
      const { request, page } = await startAuthorization(b, idp);
      const prompt = await password(b, idp, page, 'alice');
      assert.match(prompt.text, /Verify your identity/);
      // Browsers apply form-action to the redirects after the POST: the client's origin is allowed.
      assert.match(
        prompt.headers.get('content-security-policy') ?? '',
        /form-action 'self' http:\/\/rp\.example;/,
      );
      const wrong = await submitCode(b, idp, prompt, '000000');
      assert.equal(wrong.status, 401);
      assert.match(wrong.text, /didn&#39;t work|didn't work/);
      const ok = await submitCode(b, idp, wrong, codeFor(secret, idp.clock));
      const { claims } = await redeem(idp, ok.url, request);
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
    });

    it('a user whose MFA is disabled signs in with the password alone: amr pwd, acr pwd', async () => {
      await idp.mfa.admin.setUserState('bob', 'disabled', ctx);
      const { claims, trail } = await signIn(new Browser(), idp, 'bob');
      assert.deepEqual(claims.amr, ['pwd']);
      assert.equal(claims.acr, 'urn:mfakit:acr:pwd');
      assert.ok(!trail.some((u) => u.includes('/mfa')), 'no MFA page on the way');
    });

    it('the ID token passes openid-client validation (iss, aud, nonce, PKCE) with amr/acr/auth_time', async () => {
      const secret = await enrolDirect(idp, 'alice');
      const config = new client.Configuration(
        { issuer: idp.issuer, token_endpoint: `${idp.issuer}/token`, jwks_uri: `${idp.issuer}/jwks` },
        'rp',
        'rp-secret-that-is-long-enough',
      );
      client.allowInsecureRequests(config);
      const b = new Browser();
      const { request, page } = await startAuthorization(b, idp, { maxAge: 600 });
      const prompt = await password(b, idp, page, 'alice');
      const back = await submitCode(b, idp, prompt, codeFor(secret, idp.clock));
      const tokens = await client.authorizationCodeGrant(config, new URL(back.url), {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
        maxAge: 600,
      });
      const claims = tokens.claims();
      assert.equal(claims?.sub, 'alice');
      assert.deepEqual(claims?.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims?.acr, 'urn:mfakit:acr:mfa');
      assert.equal(typeof claims?.auth_time, 'number');
    });

    it('discovery lists the acr values mfakit issues', async () => {
      const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as {
        acr_values_supported?: string[];
        claims_supported?: string[];
      };
      assert.deepEqual(meta.acr_values_supported, [
        'urn:mfakit:acr:pwd',
        'urn:mfakit:acr:mfa',
        'urn:mfakit:acr:phr',
      ]);
      for (const c of ['acr', 'amr', 'auth_time']) assert.ok(meta.claims_supported?.includes(c), c);
    });
  });
});
