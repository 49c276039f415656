// Passkeys in mfakit/oidc's MFA step, over real HTTP through a real oidc-provider
// (test/helpers/oidc-idp.ts) with a software authenticator answering the pages' WebAuthn options
// (test/helpers/soft-authenticator.ts): the first-method chooser and the passkey setup page, the
// passkey as the second factor, `acr_values=urn:mfakit:acr:phr` (met by a passkey, never by a
// code), and a passkey's answer carried to another interaction. Chromium runs the same pages in
// test/sample-idp/passkeys-chromium.test.ts.
import assert from 'node:assert/strict';
import { hotp, recoveryCode, totp, webauthn } from '../../src/index.ts';
import { codeFor } from '../helpers/app.ts';
import { Browser, formAction, inputValue, type Page } from '../helpers/browser.ts';
import {
  absolute,
  atRp,
  enrolDirect,
  password,
  redeem,
  signIn,
  startAuthorization,
  startTestIdp,
  type TestIdp,
} from '../helpers/oidc-idp.ts';
import { creationOptionsOn, enrolPasskeyThroughEngine, requestOptionsOn } from '../helpers/passkey-pages.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';

const ORIGIN = 'http://localhost:3000';
const MFA = 'urn:mfakit:acr:mfa';
const PHR = 'urn:mfakit:acr:phr';

const withPasskeys = () =>
  startTestIdp({
    methods: [
      totp,
      hotp,
      recoveryCode,
      webauthn({ rpID: 'localhost', rpName: 'Test IdP', origins: [ORIGIN] }),
    ],
  });

/** The page's passkey form posted with the soft authenticator's answer to its embedded options. */
function answerPasskeyForm(b: Browser, idp: TestIdp, page: Page, formId: string, credential: object) {
  const form = new RegExp(`<form[^>]*action="([^"]+)"[^>]*id="${formId}"`).exec(page.text);
  assert.ok(form?.[1], `a passkey form ${formId} on the page`);
  const fields: Record<string, string> = {
    _csrf: inputValue(page.text, '_csrf'),
    credential: JSON.stringify(credential),
  };
  if (formId === 'mfakit-register') fields.draftId = inputValue(page.text, 'draftId');
  return b.go(absolute(idp, form[1]), { form: fields, stopAt: atRp });
}

/** The "I have saved them, continue" link of the recovery codes page, followed to the client. */
async function continueAfterCodes(b: Browser, codes: Page) {
  assert.match(codes.text, /Save your recovery codes/);
  const next = /href="([^"]+)">I have saved them/.exec(codes.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
  return b.go(next, { stopAt: atRp });
}

describe('mfakit/oidc: passkeys in the MFA step', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  afterEach(async () => idp?.close());

  it('a first sign-in chooses between an app and a passkey, creates the passkey, and the ID token says phr', async () => {
    idp = await withPasskeys();
    const b = new Browser();
    const soft = new SoftAuthenticator({ origin: ORIGIN });
    const { request, page } = await startAuthorization(b, idp);
    const chooser = await password(b, idp, page, 'alice');
    assert.match(chooser.url, /\/interaction\/[\w-]+\/mfa$/);
    assert.match(chooser.text, /Choose a sign-in method/);
    const links = [...chooser.text.matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].map((m) => [m[2], m[1]]);
    const uid = /\/interaction\/([\w-]+)\/mfa$/.exec(chooser.url)?.[1];
    assert.deepEqual(links, [
      ['Authenticator app', `/interaction/${uid}/mfa/enroll?method=totp`],
      ['Passkey or security key', `/interaction/${uid}/mfa/enroll?method=webauthn`],
    ]);

    const setup = await b.go(absolute(idp, `/interaction/${uid}/mfa/enroll?method=webauthn`));
    assert.equal(
      setup.url,
      absolute(idp, `/interaction/${uid}/mfa`),
      'the choice is kept; the page is reloadable',
    );
    assert.match(setup.text, /Add a passkey or security key/);
    assert.match(setup.text, /Choose another method/);
    const options = creationOptionsOn(setup.text);
    assert.equal((options.rp as { id: string }).id, 'localhost');
    // The WebAuthn client the form needs is served next to the page (the CSP allows scripts from here only).
    assert.match(setup.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    for (const script of ['webauthn-browser.js', 'webauthn-client.js']) {
      assert.ok(setup.text.includes(`src="/interaction/${uid}/mfa/assets/${script}"`));
      const asset = await b.fetch(absolute(idp, `/interaction/${uid}/mfa/assets/${script}`));
      assert.equal(asset.status, 200);
      assert.match(asset.headers.get('content-type') ?? '', /javascript/);
      assert.ok((await asset.text()).length > 500);
    }
    const codes = await answerPasskeyForm(b, idp, setup, 'mfakit-register', soft.register(options));
    const back = await continueAfterCodes(b, codes);
    const { claims } = await redeem(idp, back.url, request);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.acr, PHR);
    assert.deepEqual(claims.amr, ['pwd', 'hwk', 'user', 'mfa']);
    const methods = await idp.mfa.methods.list('alice');
    assert.deepEqual(
      methods.map((m) => m.kind),
      ['webauthn'],
    );
  });

  it('"Choose another method" goes back to the chooser, and an authenticator app can be set up instead', async () => {
    idp = await withPasskeys();
    const b = new Browser();
    const { page } = await startAuthorization(b, idp);
    const chooser = await password(b, idp, page, 'alice');
    const uid = /\/interaction\/([\w-]+)\/mfa$/.exec(chooser.url)?.[1];
    const passkey = await b.go(absolute(idp, `/interaction/${uid}/mfa/enroll?method=webauthn`));
    const back = await b.go(
      absolute(idp, /href="([^"]+)">Choose another method/.exec(passkey.text)?.[1] ?? ''),
    );
    assert.match(back.text, /Choose a sign-in method/);
    const app = await b.go(absolute(idp, `/interaction/${uid}/mfa/enroll?method=totp`));
    assert.match(app.text, /Set up your authenticator app/);
    const secret = /id="secret">([A-Z2-7]+)</.exec(app.text)?.[1] ?? '';
    const codes = await b.go(absolute(idp, formAction(app.text, '/mfa/enroll')), {
      form: {
        _csrf: inputValue(app.text, '_csrf'),
        draftId: inputValue(app.text, 'draftId'),
        code: codeFor(secret, idp.clock),
      },
      stopAt: atRp,
    });
    assert.ok(atRp(new URL((await continueAfterCodes(b, codes)).url)));
    assert.deepEqual(
      (await idp.mfa.methods.list('alice')).map((m) => m.kind),
      ['totp'],
    );
  });

  it('refuses to set up a kind of method that cannot be registered here, and a passkey for a setup given up', async () => {
    idp = await withPasskeys();
    const b = new Browser();
    const soft = new SoftAuthenticator({ origin: ORIGIN });
    const { page } = await startAuthorization(b, idp);
    const chooser = await password(b, idp, page, 'alice');
    const uid = /\/interaction\/([\w-]+)\/mfa$/.exec(chooser.url)?.[1];
    const unknown = await b.go(absolute(idp, `/interaction/${uid}/mfa/enroll?method=sms`));
    assert.equal(unknown.status, 404);
    // The passkey setup is opened, then the user goes back to the chooser: its draft is given up.
    const setup = await b.go(absolute(idp, `/interaction/${uid}/mfa/enroll?method=webauthn`));
    const credential = soft.register(creationOptionsOn(setup.text));
    await b.go(absolute(idp, `/interaction/${uid}/mfa/enroll`));
    const late = await answerPasskeyForm(b, idp, setup, 'mfakit-register', credential);
    assert.equal(late.status, 400);
    assert.match(late.text, /This setup has expired/);
    assert.deepEqual(await idp.mfa.methods.list('alice'), []);
  });

  it('a returning user answers the prompt with a passkey; the prompt also takes a code', async () => {
    idp = await withPasskeys();
    const soft = new SoftAuthenticator({ origin: ORIGIN });
    const secret = await enrolDirect(idp, 'alice');
    await enrolPasskeyThroughEngine(idp.mfa, soft, 'alice');

    const b = new Browser();
    const { request, page } = await startAuthorization(b, idp);
    const prompt = await password(b, idp, page, 'alice');
    assert.match(prompt.text, /Use a passkey or security key/);
    assert.match(prompt.text, /name="code"/, 'the authenticator app may answer too');
    const back = await answerPasskeyForm(
      b,
      idp,
      prompt,
      'mfakit-webauthn',
      soft.authenticate(requestOptionsOn(prompt.text)),
    );
    const { claims } = await redeem(idp, back.url, request);
    assert.equal(claims.acr, PHR);
    assert.deepEqual(claims.amr, ['pwd', 'hwk', 'user', 'mfa']);

    const withCode = await signIn(new Browser(), idp, 'alice', { secret });
    assert.equal(withCode.claims.acr, MFA);
  });

  it('acr_values=…:phr: a passkey meets it (the prompt offers only the passkey); a session at …:mfa steps up to it', async () => {
    idp = await withPasskeys();
    const soft = new SoftAuthenticator({ origin: ORIGIN });
    const secret = await enrolDirect(idp, 'alice');
    await enrolPasskeyThroughEngine(idp.mfa, soft, 'alice');

    // An SSO session at …:mfa (password + app), then the client asks for …:phr.
    const b = new Browser();
    const first = await signIn(b, idp, 'alice', { secret });
    assert.equal(first.claims.acr, MFA);
    const { request, page } = await startAuthorization(b, idp, { acrValues: PHR });
    assert.match(page.url, /\/mfa$/, 'no password again: the existing session steps up');
    assert.match(page.text, /requires a passkey or security key/);
    assert.doesNotMatch(page.text, /name="code"/, 'a code cannot meet …:phr: no code form');
    idp.clock.advance(60_000);
    const refused = await b.go(`${page.url}/prompt`, {
      form: { _csrf: inputValue(page.text, '_csrf'), code: codeFor(secret, idp.clock) },
      stopAt: atRp,
    });
    assert.equal(refused.status, 401, 'a fresh code posted anyway is refused');
    assert.ok(!atRp(new URL(refused.url)));
    const retry = await b.go(page.url);
    const back = await answerPasskeyForm(
      b,
      idp,
      retry,
      'mfakit-webauthn',
      soft.authenticate(requestOptionsOn(retry.text)),
    );
    const { claims } = await redeem(idp, back.url, request);
    assert.equal(claims.acr, PHR);
    assert.equal(claims.auth_time, first.claims.auth_time, 'a step-up keeps the sign-in time');
  });

  it('acr_values=…:phr for a user with only an authenticator app: the app proves it is her, she registers a passkey in the flow, and the ID token says phr', async () => {
    idp = await withPasskeys();
    const soft = new SoftAuthenticator({ origin: ORIGIN });
    const secret = await enrolDirect(idp, 'alice');
    const b = new Browser();
    const { request, page } = await startAuthorization(b, idp, { acrValues: PHR });
    const prompt = await password(b, idp, page, 'alice');
    assert.match(prompt.text, /name="code"/, 'first her authenticator app, as proof');
    assert.doesNotMatch(prompt.text, /mfakit-webauthn/, 'she has no passkey yet');
    const setup = await b.go(absolute(idp, formAction(prompt.text, '/mfa/prompt')), {
      form: { _csrf: inputValue(prompt.text, '_csrf'), code: codeFor(secret, idp.clock) },
      stopAt: atRp,
    });
    assert.ok(!atRp(new URL(setup.url)), 'the code alone does not finish a …:phr sign-in');
    // Only a kind that meets …:phr may be registered: straight to the passkey, no chooser.
    assert.match(setup.text, /Add a passkey or security key/);
    assert.doesNotMatch(setup.text, /Choose another method/);
    const back = await answerPasskeyForm(
      b,
      idp,
      setup,
      'mfakit-register',
      soft.register(creationOptionsOn(setup.text)),
    );
    assert.ok(atRp(new URL(back.url)), 'no new recovery codes: straight back to the client');
    const { claims } = await redeem(idp, back.url, request);
    assert.equal(claims.acr, PHR);
    assert.deepEqual(claims.amr, ['pwd', 'hwk', 'user', 'mfa']);
  });

  it('acr_values=…:phr for a user with no method: only a passkey is offered; an authenticator app cannot be set up for it', async () => {
    idp = await withPasskeys();
    const b = new Browser();
    const { page } = await startAuthorization(b, idp, { acrValues: PHR });
    const setup = await password(b, idp, page, 'alice');
    // No chooser: the only kind that meets …:phr is a passkey, and its setup page is shown at once.
    assert.match(setup.text, /Add a passkey or security key/);
    assert.doesNotMatch(setup.text, /Authenticator app/);
    const uid = /\/interaction\/([\w-]+)\/mfa/.exec(setup.url)?.[1];
    const app = await b.go(absolute(idp, `/interaction/${uid}/mfa/enroll?method=totp`));
    assert.match(app.text, /cannot be set up here/);
    assert.deepEqual(await idp.mfa.methods.list('alice'), [], 'no authenticator app was registered');
  });

  it('attack: a passkey answer made for one interaction is refused in another, and nothing completes there', async () => {
    idp = await withPasskeys();
    const soft = new SoftAuthenticator({ origin: ORIGIN });
    await enrolPasskeyThroughEngine(idp.mfa, soft, 'alice');
    const mine = new Browser();
    const other = new Browser();
    const a = await startAuthorization(mine, idp);
    const promptA = await password(mine, idp, a.page, 'alice');
    const b = await startAuthorization(other, idp);
    const promptB = await password(other, idp, b.page, 'alice');

    const forA = soft.authenticate(requestOptionsOn(promptA.text));
    const atB = await answerPasskeyForm(other, idp, promptB, 'mfakit-webauthn', forA);
    assert.equal(atB.status, 401);
    assert.ok(!atRp(new URL(atB.url)));
    assert.match(atB.text, /That passkey or security key was not accepted/);
    // …while the interaction it was made for still takes it (its challenge was not consumed).
    const atA = await answerPasskeyForm(mine, idp, promptA, 'mfakit-webauthn', forA);
    const { claims } = await redeem(idp, atA.url, a.request);
    assert.equal(claims.acr, PHR);
  });

  it('attack: a credential that is not JSON, or too large, is a 4xx and the sign-in stays pending', async () => {
    idp = await withPasskeys();
    const soft = new SoftAuthenticator({ origin: ORIGIN });
    await enrolPasskeyThroughEngine(idp.mfa, soft, 'alice');
    const b = new Browser();
    const { request, page } = await startAuthorization(b, idp);
    const prompt = await password(b, idp, page, 'alice');
    const action = absolute(idp, formAction(prompt.text, '/mfa/prompt'));
    const csrf = inputValue(prompt.text, '_csrf');
    const notJson = await b.go(action, { form: { _csrf: csrf, credential: '{not json' } });
    assert.equal(notJson.status, 400);
    assert.match(notJson.text, /credential is not JSON/);
    const huge = await b.go(action, {
      form: { _csrf: csrf, credential: JSON.stringify({ id: 'x'.repeat(20_000) }) },
    });
    assert.ok(huge.status === 400 || huge.status === 413, `status ${huge.status}`);
    const retry = await b.go(prompt.url);
    const back = await answerPasskeyForm(
      b,
      idp,
      retry,
      'mfakit-webauthn',
      soft.authenticate(requestOptionsOn(retry.text)),
    );
    assert.equal((await redeem(idp, back.url, request)).claims.acr, PHR);
  });
});
