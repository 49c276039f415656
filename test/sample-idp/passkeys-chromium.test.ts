// Passkeys through the sample stack in Debian's Chromium, with its virtual authenticator (CDP
// WebAuthn domain: ctap2, internal transport, resident key, user verification): the federation
// server (mfakit/oidc) and the demo relying party, both on http://localhost. A first sign-in
// chooses a passkey and creates it; the next one signs in with no user name and no password
// through the sign-in page's autofill; "Approve payments" at the RP needs acr …:phr, which the
// RP checks in the ID token: a session signed in with an authenticator app steps up with the
// passkey, and a user with only an app proves it and then adds a passkey in the flow.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { createDemoRp } from '../../sample-idp/demo-rp/rp-app.ts';
import { addVirtualAuthenticator, launchChromium } from '../e2e/chromium.ts';
import { codeFor } from '../helpers/app.ts';
import { clientSecretOf } from '../helpers/code-flow-rp.ts';
import { enrolDirect, type FederationStack, startFederationStack } from '../helpers/federation-stack.ts';
import { close, type Listening, listen } from '../helpers/listen.ts';

const PHR = 'urn:mfakit:acr:phr';

const claim = (page: Page, name: string) => page.locator(`[data-claim="${name}"]`).innerText();

describe('passkeys in Chromium through the sample federation server and the demo RP', function () {
  this.timeout(120_000);
  let browser: Browser;
  let s: FederationStack;
  let rpL: Listening;
  let rp: string;
  before(async () => {
    browser = await launchChromium();
    rpL = await listen();
    rp = rpL.url.replace('//127.0.0.1:', '//localhost:');
    s = await startFederationStack({ passkeys: true, rpUrl: rp });
    const { app } = await createDemoRp({
      issuer: s.fedUrl,
      clientId: 'rp',
      clientSecret: clientSecretOf('rp'),
      redirectUri: `${rp}/callback`,
      postLogoutRedirectUri: `${rp}/signed-out`,
      baseUrl: rp,
      sessionSecret: randomBytes(32).toString('hex'),
      allowInsecureHttp: true,
    });
    rpL.handle(app);
  });
  after(async () => {
    await browser?.close();
    if (rpL) await close(rpL);
    await s?.close();
  });

  /** At the RP: sign out, confirming at the federation server. */
  async function signOut(page: Page) {
    await page.goto(`${rp}/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: /Yes, sign me out/ }).click();
    await page.waitForURL(`${rp}/signed-out`);
  }

  /** At the RP: Sign in → the federation's sign-in page → user name → password. */
  async function signInWithPassword(page: Page, user: string, password: string) {
    await page.goto(`${rp}/login`);
    await page.getByLabel(/user name|e-mail/i).fill(user);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('alice creates a passkey at her first sign-in, signs in with it through autofill, and steps up to …:phr with it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const authenticator = await addVirtualAuthenticator(context, page);

    // First sign-in: no method yet; she chooses a passkey and creates it.
    await signInWithPassword(page, 'alice', 'alice password');
    await page.getByRole('heading', { name: 'Choose a sign-in method' }).waitFor();
    await page.getByRole('link', { name: 'Passkey or security key' }).click();
    await page.getByRole('button', { name: 'Create a passkey' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', {
      authenticatorId: authenticator.authenticatorId,
    });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0]?.isResidentCredential, true, 'a discoverable credential (a passkey)');
    assert.equal(credentials[0]?.rpId, 'localhost');
    await page.getByRole('link', { name: /I have saved them/ }).click();
    await page.waitForURL(`${rp}/`);
    assert.equal(await claim(page, 'acr'), PHR);
    assert.equal(await claim(page, 'amr'), 'pwd, hwk, user, mfa');

    // Passwordless: the sign-in page asks for a passkey as it loads (conditional UI); the
    // authenticator answers as a user picking it from the autofill list would.
    await signOut(page);
    await page.goto(`${rp}/login`);
    await page.waitForURL(`${rp}/`);
    assert.equal(await claim(page, 'sub'), 'alice');
    assert.equal(await claim(page, 'acr'), PHR);
    assert.equal(await claim(page, 'amr'), 'hwk, user, mfa', 'no password: the passkey alone, verified');
    await page.getByRole('link', { name: 'Approve payments' }).click();
    await page.getByRole('heading', { name: 'Approve payments' }).waitFor();
    assert.equal(await claim(page, 'acr'), PHR);

    // With an authenticator app as well, a sign-in with the app is …:mfa; "Approve payments"
    // then steps up at the federation server, where only the passkey is offered.
    const secret = await enrolDirect(s, 'alice');
    await signOut(page);
    await authenticator.presence(false);
    await signInWithPassword(page, 'alice', 'alice password');
    await page.getByRole('heading', { name: 'Verify your identity' }).waitFor();
    await page.getByLabel('Verification code').fill(codeFor(secret, s.clock));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${rp}/`);
    assert.equal(await claim(page, 'acr'), 'urn:mfakit:acr:mfa');
    await page.getByRole('link', { name: 'Approve payments' }).click();
    await page.getByRole('heading', { name: 'Verify your identity' }).waitFor();
    assert.equal(await page.getByLabel('Verification code').count(), 0, 'an app cannot meet …:phr');
    await authenticator.presence(true);
    await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
    await page.getByRole('heading', { name: 'Approve payments' }).waitFor();
    assert.equal(await claim(page, 'acr'), PHR);
    assert.deepEqual((await claim(page, 'amr')).split(', ').sort(), ['hwk', 'mfa', 'otp', 'pwd', 'user']);
    await context.close();
  });

  it('dana, with only an authenticator app: "Approve payments" takes her app as proof, then has her add a passkey, and opens at …:phr', async () => {
    const secret = await enrolDirect(s, 'dana');
    const context = await browser.newContext();
    const page = await context.newPage();
    const authenticator = await addVirtualAuthenticator(context, page);
    await signInWithPassword(page, 'dana', 'dana password');
    await page.waitForURL(`${rp}/`);
    assert.equal(await claim(page, 'acr'), 'urn:mfakit:acr:pwd', 'MFA is disabled for dana');
    await page.getByRole('link', { name: 'Approve payments' }).click();
    // The step-up at the federation server: her app first (it is her), which is not enough…
    await page.getByRole('heading', { name: 'Verify your identity' }).waitFor();
    await page.getByLabel('Verification code').fill(codeFor(secret, s.clock));
    await page.getByRole('button', { name: 'Verify' }).click();
    // …so a passkey is set up in the flow (the only kind that meets …:phr), and the sign-in goes on with it.
    await page.getByRole('heading', { name: 'Add a passkey or security key' }).waitFor();
    await page.getByRole('button', { name: 'Create a passkey' }).click();
    await page.getByRole('heading', { name: 'Approve payments' }).waitFor();
    assert.equal(await claim(page, 'acr'), PHR);
    const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', {
      authenticatorId: authenticator.authenticatorId,
    });
    assert.equal(credentials.length, 1);
    assert.deepEqual((await s.fed.mfa.methods.list('dana')).map((m) => m.kind).sort(), ['totp', 'webauthn']);
    await context.close();
  });
});
