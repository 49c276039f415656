// Passkeys at the sample federation server, over real HTTP (the stack of
// test/helpers/federation-stack.ts on http://localhost, passkeys on) with a software authenticator
// (test/helpers/soft-authenticator.ts) in place of the browser's: the sign-in page's passwordless
// form (conditional UI), its challenge bound to the interaction, the payroll trust's
// phishing-resistant level, and passkeys in the security-info portal. Chromium runs the same
// pages in passkeys-chromium.test.ts.
import assert from 'node:assert/strict';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { codeFor } from '../helpers/app.ts';
import { Browser, formAction, inputValue, type Page } from '../helpers/browser.ts';
import {
  atRp,
  authorizationRequest,
  enrolDirect,
  type FederationStack,
  redeem,
  signInWithPassword,
  startFederationStack,
  uidOf,
} from '../helpers/federation-stack.ts';
import { creationOptionsOn, enrolPasskeyThroughEngine } from '../helpers/passkey-pages.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';

const PHR = 'urn:mfakit:acr:phr';

interface PasskeyOptions {
  challengeId: string;
  options: PublicKeyCredentialRequestOptionsJSON;
}

/** The RP's request, and the federation's sign-in page it lands on. */
async function signInPage(b: Browser, s: FederationStack, clientId = 'rp') {
  const request = authorizationRequest(s, { clientId });
  const page = await b.go(request.url, { stopAt: atRp });
  assert.equal(page.status, 200, page.text.slice(0, 300));
  return { request, page, uid: uidOf(page) };
}

/** What the WebAuthn client fetches: a challenge for this interaction. */
async function passkeyOptions(b: Browser, s: FederationStack, uid: string): Promise<PasskeyOptions> {
  const res = await b.fetch(`${s.fedUrl}/interaction/${uid}/mfa/passkey/options`);
  assert.equal(res.status, 200);
  return (await res.json()) as PasskeyOptions;
}

/** What the WebAuthn client posts once the authenticator answered. */
function postPasskey(b: Browser, s: FederationStack, uid: string, challengeId: string, credential: object) {
  return b.go(`${s.fedUrl}/interaction/${uid}/mfa/passkey`, {
    form: { challengeId, credential: JSON.stringify(credential) },
    stopAt: atRp,
  });
}

describe('sample-idp federation server: passkeys', function () {
  this.timeout(30_000);
  let s: FederationStack;
  let soft: SoftAuthenticator;
  beforeEach(async () => {
    s = await startFederationStack({ passkeys: true });
    soft = new SoftAuthenticator({ origin: s.fedUrl });
  });
  afterEach(async () => s?.close());

  it('the sign-in page offers passkeys through autofill: webauthn autocomplete, the passkey form, its scripts allowed and served', async () => {
    const b = new Browser();
    const { page, uid } = await signInPage(b, s);
    assert.ok(s.fedUrl.startsWith('http://localhost:'));
    assert.match(
      page.text,
      /<input type="text" id="identifier" name="identifier"[^>]*autocomplete="username webauthn"/,
    );
    assert.match(page.text, /data-webauthn="autofill"/);
    assert.match(
      page.text,
      new RegExp(`data-webauthn-options-url="/interaction/${uid}/mfa/passkey/options"`),
    );
    assert.match(page.text, new RegExp(`action="/interaction/${uid}/mfa/passkey"`));
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    for (const script of ['webauthn-browser.js', 'webauthn-client.js']) {
      assert.ok(page.text.includes(`<script src="/interaction/${uid}/mfa/assets/${script}"></script>`));
      const res = await b.fetch(`${s.fedUrl}/interaction/${uid}/mfa/assets/${script}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /javascript/);
    }
    const { options } = await passkeyOptions(b, s, uid);
    assert.equal(options.rpId, 'localhost');
    assert.equal(options.userVerification, 'required', 'a passkey alone must verify the user');
    assert.deepEqual(options.allowCredentials ?? [], [], 'discoverable: no user named yet');
  });

  it('alice signs in with her passkey and no password: the same completion as a password, at acr …:phr', async () => {
    await enrolPasskeyThroughEngine(s.fed.mfa, soft, 'alice');
    const b = new Browser();
    const { request, uid } = await signInPage(b, s);
    const { challengeId, options } = await passkeyOptions(b, s, uid);
    const back = await postPasskey(b, s, uid, challengeId, soft.authenticate(options));
    assert.ok(atRp(new URL(back.url)), `${back.url}\n${back.text.slice(0, 300)}`);
    const { claims, userinfo } = await redeem(s, back, request);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.acr, PHR);
    assert.deepEqual(claims.amr, ['hwk', 'user', 'mfa']);
    assert.equal(userinfo.email, 'alice@contoso.test', "the trust's claims, as for a password");
  });

  it('attack: a passkey answer is refused in an interaction that did not begin its challenge, and a used challenge is gone', async () => {
    await enrolPasskeyThroughEngine(s.fed.mfa, soft, 'alice');
    const mine = new Browser();
    const theirs = new Browser();
    const a = await signInPage(mine, s);
    const b = await signInPage(theirs, s);
    const forA = await passkeyOptions(mine, s, a.uid);
    const credential = soft.authenticate(forA.options);
    // Into another browser's sign-in (its own interaction, which began no challenge): refused.
    const elsewhere = await postPasskey(theirs, s, b.uid, forA.challengeId, credential);
    assert.equal(elsewhere.status, 400);
    assert.match(elsewhere.text, /This passkey sign-in has expired/);
    // Into A's URL from the other browser: oidc-provider's interaction cookie is missing.
    const noCookie = await postPasskey(theirs, s, a.uid, forA.challengeId, credential);
    assert.equal(noCookie.status, 400);
    // A challenge b began is not A's: refused, and b's challenge is used up by the attempt.
    const forB = await passkeyOptions(theirs, s, b.uid);
    const swapped = await postPasskey(theirs, s, b.uid, forB.challengeId, credential);
    assert.equal(swapped.status, 401);
    assert.match(swapped.text, /That passkey was not accepted/);
    // The browser it was made for still signs in with it, once.
    const back = await postPasskey(mine, s, a.uid, forA.challengeId, credential);
    assert.equal((await redeem(s, back, a.request)).claims.sub, 'alice');
    const replayed = await postPasskey(mine, s, a.uid, forA.challengeId, credential);
    assert.equal(replayed.status, 400, 'the interaction is finished');
  });

  it('attack: a script asking for passkey challenges is slowed down per address (429)', async () => {
    const b = new Browser();
    const { uid } = await signInPage(b, s);
    const url = `${s.fedUrl}/interaction/${uid}/mfa/passkey/options`;
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) {
      const res = await b.fetch(url);
      await res.text();
      statuses.push(res.status);
    }
    assert.deepEqual(statuses.slice(0, 60), Array(60).fill(200));
    assert.equal(statuses[60], 429);
  });

  it('attack: a claims provider account with a passkey registered here cannot sign in with it alone', async () => {
    await enrolPasskeyThroughEngine(s.fed.mfa, soft, 'upstream:partner:carol');
    const b = new Browser();
    const { uid } = await signInPage(b, s);
    const { challengeId, options } = await passkeyOptions(b, s, uid);
    const refused = await postPasskey(b, s, uid, challengeId, soft.authenticate(options));
    assert.equal(refused.status, 401);
    assert.match(refused.text, /That passkey was not accepted/);
    assert.match(refused.text, new RegExp(`href="/interaction/${uid}">Back to sign-in`));
  });

  it('acr_values=…:phr: a passkey sign-in meets it; after a password and an authenticator app the user must add a passkey', async () => {
    await enrolPasskeyThroughEngine(s.fed.mfa, soft, 'alice');
    const b = new Browser();
    const request = authorizationRequest(s, { acrValues: PHR });
    const page = await b.go(request.url, { stopAt: atRp });
    const uid = uidOf(page);
    const { challengeId, options } = await passkeyOptions(b, s, uid);
    const back = await postPasskey(b, s, uid, challengeId, soft.authenticate(options));
    assert.equal((await redeem(s, back, request)).claims.acr, PHR);

    const secret = await enrolDirect(s, 'dana');
    const other = new Browser();
    const { page: prompt } = await signInWithPassword(other, s, 'dana', 'dana password', { acrValues: PHR });
    const next = await other.go(new URL(formAction(prompt.text, '/mfa/prompt'), s.fedUrl).href, {
      form: { _csrf: inputValue(prompt.text, '_csrf'), code: codeFor(secret, s.clock) },
      stopAt: atRp,
    });
    assert.ok(!atRp(new URL(next.url)), 'her app does not reach …:phr');
    assert.match(next.text, /Add a passkey or security key/);
  });

  it('acr_values=…:phr with passkeys off: nothing could meet it, so the sign-in is refused and the user told a security key is needed', async () => {
    const off = await startFederationStack();
    try {
      assert.equal(off.fed.mfa.passwordless.available().length, 0);
      await enrolDirect(off, 'dana');
      const refused = await signInWithPassword(new Browser(), off, 'dana', 'dana password', {
        acrValues: PHR,
      });
      assert.ok(atRp(new URL(refused.page.url)), refused.page.text.slice(0, 300));
      const answer = new URL(refused.page.url).searchParams;
      assert.equal(answer.get('error'), 'access_denied');
      assert.match(answer.get('error_description') ?? '', /security key/);
      assert.equal(answer.get('code'), null);
    } finally {
      await off.close();
    }
  });

  it('security info: a signed-in user adds a passkey (listed with when it was added and last used, and what kind), then removes it', async () => {
    const secret = await enrolDirect(s, 'alice');
    const b = new Browser();
    const start = await b.go(`${s.fedUrl}/account`);
    const prompt = await b.go(`${s.fedUrl}/account/login`, {
      form: { identifier: 'alice', password: 'alice password', _csrf: inputValue(start.text, '_csrf') },
    });
    assert.equal(new URL(prompt.url).pathname, '/account/mfa/prompt');
    const settings = await b.go(new URL(formAction(prompt.text, '/prompt'), s.fedUrl).href, {
      form: { _csrf: inputValue(prompt.text, '_csrf'), code: codeFor(secret, s.clock) },
    });
    assert.equal(new URL(settings.url).pathname, '/account/mfa/settings');
    const add = /href="([^"]+)">Add a method: Passkey or security key/.exec(settings.text)?.[1];
    assert.equal(add, '/account/mfa/enroll?method=webauthn');

    const setup = await b.go(`${s.fedUrl}${add}`);
    assert.match(setup.text, /Add a passkey or security key/);
    const added = await b.go(new URL(formAction(setup.text, '/enroll'), s.fedUrl).href, {
      form: {
        _csrf: inputValue(setup.text, '_csrf'),
        draftId: inputValue(setup.text, 'draftId'),
        label: 'Work laptop',
        credential: JSON.stringify(soft.register(creationOptionsOn(setup.text))),
      },
    });
    assert.match(added.text, /Your new sign-in method is set up/);
    const row = rowOf(added, 'Work laptop');
    assert.match(row, /Security key or device-bound passkey/, 'not synced: the key is on this device only');
    assert.match(row, /<td>\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/td><td>never<\/td>/, 'added now, never used');

    // Used for a sign-in: "last used" is filled in.
    const signIn = new Browser();
    const { uid } = await signInPage(signIn, s);
    const { challengeId, options } = await passkeyOptions(signIn, s, uid);
    assert.ok(
      atRp(new URL((await postPasskey(signIn, s, uid, challengeId, soft.authenticate(options))).url)),
    );
    const listed = await b.go(`${s.fedUrl}/account/mfa/settings`);
    assert.doesNotMatch(rowOf(listed, 'Work laptop'), /<td>never<\/td>/);

    const removeAction = /action="([^"]+\/remove)"/.exec(rowOf(listed, 'Work laptop'))?.[1];
    assert.ok(removeAction);
    const removed = await b.go(`${s.fedUrl}${removeAction}`, {
      form: { _csrf: inputValue(listed.text, '_csrf') },
    });
    assert.match(removed.text, /The method was removed/);
    assert.doesNotMatch(removed.text, /Work laptop/);
    assert.deepEqual(
      (await s.fed.mfa.methods.list('alice')).map((m) => m.kind),
      ['totp'],
    );
  });
});

/** The settings table's row of the method labelled `label`. */
function rowOf(page: Page, label: string): string {
  const row = page.text.split('<tr>').find((r) => r.startsWith(`<td>${label}`));
  assert.ok(row, `no row for ${label}:\n${page.text.slice(0, 2000)}`);
  return row;
}
