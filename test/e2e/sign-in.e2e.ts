/**
 * Browser end to end (npm run test:e2e): `npm start`'s three servers in a child process, and
 * Debian's headless Chromium driven by playwright-core clicking through them as a newcomer
 * would. The enrollment QR code is read from a screenshot of the page (zbarimg), and the
 * TOTP typed from its secret; passkeys come from Chromium's virtual authenticator (CDP); the
 * phone app for push notifications is the sample's terminal app (npm run phone-app), driven
 * through its stdin. Screenshots of each page land in test/e2e/artifacts/.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { requireTools } from '../helpers/peers.ts';
import { totpNow } from '../helpers/totp-now.ts';
import { ARTIFACTS, addVirtualAuthenticator, CHROMIUM, launchChromium, snap } from './chromium.ts';
import { claim, type Demo, ROOT, signInAtApp, startDemo } from './demo.ts';

/** Reads the QR code as shown: a screenshot of the element, decoded by zbarimg. */
async function readQr(page: Page, name: string): Promise<string> {
  const file = join(ARTIFACTS, `${name}.png`);
  await page.locator('.qr').screenshot({ path: file });
  return execFileSync('zbarimg', ['-q', '--raw', file], { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();
}

describe('browser end to end: the demo app signs in through the sample IdP (Chromium)', function () {
  this.timeout(180_000);
  let dataDir: string;
  let demo: Demo;
  let browser: Browser;
  /** Recovery codes of bob's, shown in the first test (his app's next code is a minute away). */
  let bobRecoveryCodes: string[] = [];

  before(async function () {
    requireTools(this, 'zbarimg', CHROMIUM);
    dataDir = mkdtempSync(join(tmpdir(), 'mfakit-e2e-'));
    demo = await startDemo(dataDir);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    demo?.child.kill('SIGTERM');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('bob (MFA enforced, no method): password → scan the QR code → code → recovery codes → back in the app with amr pwd, otp, mfa; the sensitive page opens', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${demo.rp}/`);
    await snap(page, '01-rp-signed-out');
    await page.getByRole('link', { name: 'Sign in' }).click();

    await page.waitForURL(/\/interaction\//);
    await snap(page, '02-idp-identifier');
    await page.getByLabel(/user name|e-mail/i).fill('bob');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Password').fill('correct horse bob');
    await snap(page, '03-idp-password');
    await page.getByRole('button', { name: 'Sign in' }).click();

    // Passkeys are on: a first method is chosen (an authenticator app here; alice chooses a passkey below).
    await page.getByRole('heading', { name: 'Choose a sign-in method' }).waitFor();
    await snap(page, '04-idp-choose-method');
    await page.getByRole('link', { name: 'Authenticator app' }).click();
    await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
    await snap(page, '04-idp-enroll');
    const uri = new URL(await readQr(page, '04-idp-enroll-qr'));
    assert.equal(uri.protocol, 'otpauth:');
    const secret = uri.searchParams.get('secret') ?? '';
    assert.equal(await page.locator('#secret').innerText(), secret, 'the key beside the QR code is the same');
    await page.getByLabel('Code from the app').fill(totpNow(secret));
    await page.getByRole('button', { name: 'Activate' }).click();

    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    await snap(page, '05-idp-recovery-codes');
    assert.equal(await page.locator('.codes li').count(), 10);
    bobRecoveryCodes = (await page.locator('.codes li').allInnerTexts()).map((c) => c.trim());
    await page.getByRole('link', { name: /I have saved them/ }).click();

    await page.waitForURL(`${demo.rp}/`);
    await snap(page, '06-rp-signed-in');
    assert.equal(await claim(page, 'amr'), 'pwd, otp, mfa');
    assert.equal(await claim(page, 'acr'), 'urn:mfakit:acr:mfa');
    assert.match(await claim(page, 'auth_time'), /^\d{4}-\d\d-\d\dT/);

    await page.getByRole('link', { name: 'Sensitive action' }).click();
    await page.getByRole('heading', { name: 'Sensitive action' }).waitFor();
    await snap(page, '07-rp-sensitive');

    await page.goto(`${demo.rp}/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    const confirm = page.getByRole('button', { name: /Yes, sign me out/ });
    if (await confirm.isVisible().catch(() => false)) await confirm.click();
    await page.waitForURL(`${demo.rp}/signed-out`);
    await snap(page, '08-rp-signed-out');

    // Signing in again: the code prompt this time (its form ends, through redirects, at the app).
    await signInAtApp(page, demo.rp, 'bob', 'correct horse bob');
    await page.getByRole('heading', { name: 'Verify your identity' }).waitFor();
    await snap(page, '09-idp-code-prompt');
    await page.getByLabel('Verification code').fill(totpNow(secret, 1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${demo.rp}/`);
    assert.equal(await claim(page, 'amr'), 'pwd, otp, mfa');
    await snap(page, '10-rp-signed-in-again');
    await context.close();
  });

  it('bob adds the terminal phone app (npm run phone-app) in security info, then signs in by typing the number his page shows into it: amr pwd, swk, mfa', async () => {
    const [bobRecoveryCode] = bobRecoveryCodes;
    assert.ok(bobRecoveryCode, 'the first test set up bob’s methods');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${demo.fed}/account`);
    await page.getByLabel(/user name|e-mail/i).fill('bob');
    await page.getByLabel('Password').fill('correct horse bob');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Verify your identity' }).waitFor();
    await page.getByLabel('Verification code').fill(bobRecoveryCode);
    await page.getByRole('button', { name: 'Verify' }).click();
    // Verified: the portal's security info, where methods are added.
    await page.getByRole('heading', { name: 'Security info' }).waitFor();
    await page.getByRole('link', { name: 'Add a method: Notifications to your phone app' }).click();
    await page.getByRole('heading', { name: 'Set up notifications in your app' }).waitFor();
    await snap(page, '11-idp-push-setup');
    const link = await readQr(page, '11-idp-push-setup-qr');
    assert.equal(
      await page.locator('#activation-link').innerText(),
      link,
      'the link beside the QR code is the same',
    );

    // The phone: the sample's terminal app, as a person trying the demo runs it.
    const phone = spawn(
      process.execPath,
      [
        'sample-idp/phone-app/cli.ts',
        link,
        '--state',
        join(dataDir, 'phone.json'),
        '--name',
        'Terminal phone app',
        '--once',
      ],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let printed = '';
    phone.stdout.on('data', (c: Buffer) => {
      printed += c.toString();
    });
    phone.stderr.on('data', (c: Buffer) => {
      printed += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => phone.once('exit', resolve));
    const waitFor = async (pattern: RegExp) => {
      for (let i = 0; i < 300 && !pattern.test(printed); i++) await new Promise((r) => setTimeout(r, 50));
      const found = pattern.exec(printed);
      assert.ok(found, `the phone app printed ${pattern}; it printed:\n${printed}`);
      return found;
    };
    try {
      const code = (await waitFor(/Type this code on the setup page: (\d{6})/))[1] ?? '';
      await page.getByLabel('Code shown in the app').fill(code);
      await page.getByRole('button', { name: 'Activate' }).click();
      await page.getByRole('heading', { name: 'Security info' }).waitFor();
      await page.getByText('Notifications to Terminal phone app').waitFor();
      await snap(page, '12-idp-push-listed');
      phone.stdin.write('\n');
      await waitFor(/Waiting for sign-in requests/);

      // Signing in at the app: the prompt sends a notification and shows its number.
      await signInAtApp(page, demo.rp, 'bob', 'correct horse bob');
      await page.getByRole('heading', { name: 'Verify your identity' }).waitFor();
      await page.getByRole('button', { name: 'Send a notification to Terminal phone app' }).click();
      const number = (await page.locator('#match-number').innerText()).trim();
      assert.match(number, /^[1-9]\d$/);
      await snap(page, '13-idp-push-number');
      await waitFor(/Enter the number shown on the sign-in page/);
      assert.ok(!printed.includes(` ${number} `), 'the phone was not told the number');
      phone.stdin.write(`${number}\n`);
      await waitFor(/Answered: approved\./);
      assert.equal(await exited, 0);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(`${demo.rp}/`);
      assert.equal(await claim(page, 'amr'), 'pwd, swk, mfa');
      await snap(page, '14-rp-signed-in-with-push');
    } finally {
      phone.kill();
      await context.close();
    }
  });

  it('bob creates an app password in security info; a script signs in with it over HTTP Basic (amr apw), his password alone is refused', async () => {
    const recoveryCode = bobRecoveryCodes[1];
    assert.ok(recoveryCode, 'the first test set up bob’s recovery codes');
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${demo.fed}/account`);
      await page.getByLabel(/user name|e-mail/i).fill('bob');
      await page.getByLabel('Password').fill('correct horse bob');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Verification code').fill(recoveryCode);
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.getByRole('heading', { name: 'App passwords' }).waitFor();
      await page.getByLabel('Name of the new app password').fill('Backup script');
      await page.getByLabel('Scripts and older apps (HTTP Basic)').check();
      await page.getByRole('button', { name: 'Create app password' }).click();
      await page.getByRole('heading', { name: 'Your new app password' }).waitFor();
      await snap(page, '15-idp-app-password-shown-once');
      const password = (await page.getByLabel('App password').innerText()).trim();
      assert.match(password, /^[a-z]{4} [a-z]{4} [a-z]{4} [a-z]{4}$/);

      // The script: curl -u bob:'<app password>' <fed>/legacy/me, as the start guide says.
      const basic = (secret: string) => `Basic ${Buffer.from(`bob:${secret}`).toString('base64')}`;
      const me = await fetch(`${demo.fed}/legacy/me`, { headers: { authorization: basic(password) } });
      assert.equal(me.status, 200);
      const body = (await me.json()) as { sub: string; amr: string[] };
      assert.deepEqual([body.sub, body.amr], ['bob', ['apw']]);
      const refused = await fetch(`${demo.fed}/legacy/me`, {
        headers: { authorization: basic('correct horse bob') },
      });
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    } finally {
      await context.close();
    }
  });

  it('dana (MFA disabled): password only (acr pwd); the sensitive action steps up through the IdP, which enrols her and raises acr to mfa', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInAtApp(page, demo.rp, 'dana', 'correct horse dana');
    await page.waitForURL(`${demo.rp}/`);
    assert.equal(await claim(page, 'amr'), 'pwd');
    assert.equal(await claim(page, 'acr'), 'urn:mfakit:acr:pwd');
    await snap(page, '11-rp-password-only');

    await page.getByRole('link', { name: 'Sensitive action' }).click();
    // No new password: straight to the second factor (enrollment, as she has no method yet).
    await page.getByRole('link', { name: 'Authenticator app' }).click();
    await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
    await snap(page, '12-idp-step-up-enroll');
    const secret = await page.locator('#secret').innerText();
    await page.getByLabel('Code from the app').fill(totpNow(secret));
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.getByRole('link', { name: /I have saved them/ }).click();
    await page.getByRole('heading', { name: 'Sensitive action' }).waitFor();
    assert.equal(await claim(page, 'acr'), 'urn:mfakit:acr:mfa');
    await snap(page, '13-rp-sensitive-after-step-up');
    await context.close();
  });

  it('alice: a passkey at her first sign-in (Chromium\'s virtual authenticator), then no password through autofill; "Approve payments" needs acr phr and opens', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await addVirtualAuthenticator(context, page);
    assert.match(
      demo.fed,
      /^http:\/\/localhost:/,
      'npm start prints localhost URLs (passkeys refuse IP addresses)',
    );
    await signInAtApp(page, demo.rp, 'alice', 'correct horse alice');
    await page.getByRole('link', { name: 'Passkey or security key' }).click();
    await snap(page, '31-idp-passkey-setup');
    await page.getByRole('button', { name: 'Create a passkey' }).click();
    await page.getByRole('link', { name: /I have saved them/ }).click();
    await page.waitForURL(`${demo.rp}/`);
    assert.equal(await claim(page, 'acr'), 'urn:mfakit:acr:phr');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: /Yes, sign me out/ }).click();
    await page.waitForURL(`${demo.rp}/signed-out`);
    // The sign-in page offers the passkey as it loads; the virtual authenticator picks it.
    await page.goto(`${demo.rp}/login`);
    await page.waitForURL(`${demo.rp}/`);
    await snap(page, '32-rp-passwordless');
    assert.equal(await claim(page, 'sub'), 'alice');
    assert.equal(await claim(page, 'amr'), 'hwk, user, mfa');
    await page.getByRole('link', { name: 'Approve payments' }).click();
    await page.getByRole('heading', { name: 'Approve payments' }).waitFor();
    assert.equal(await claim(page, 'acr'), 'urn:mfakit:acr:phr');
    await context.close();
  });

  it('carol@partner.test: home-realm discovery sends her to the partner IdP; its MFA is accepted (no local prompt)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${demo.rp}/login`);
    await page.getByLabel(/user name|e-mail/i).fill('carol@partner.test');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Password').waitFor();
    await snap(page, '21-partner-login');
    assert.notEqual(new URL(page.url()).origin, new URL(demo.fed).origin, 'at the partner');
    await page.getByLabel('Password').fill('partner demo carol');
    await page.getByLabel(/I used my partner MFA/).check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${demo.rp}/`);
    await snap(page, '22-rp-federated');
    assert.match(await claim(page, 'amr'), /mfa/);
    assert.equal(await claim(page, 'acr'), 'urn:mfakit:acr:mfa');
    await context.close();
  });
});
