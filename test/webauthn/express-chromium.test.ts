// Passkeys through the Express integration in Debian's Chromium, with its virtual authenticator
// (CDP WebAuthn domain: ctap2, internal transport, resident key, user verification) on
// http://localhost: a first sign-in that registers a passkey, a passwordless sign-in through the
// login page's autofill (no user name, no password), and a sign-in with the passkey as the second
// factor — each at acr …:phr.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import type { Browser } from 'playwright-core';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createMfaExpress, passkeySignInForm } from '../../src/express/index.ts';
import { createMfa, hotp, type Mfa, recoveryCode, totp } from '../../src/index.ts';
import { base32Decode } from '../../src/methods/otp/base32.ts';
import { totpCode } from '../../src/methods/otp/otp.ts';
import { webauthn } from '../../src/methods/webauthn/index.ts';
import { addVirtualAuthenticator, launchChromium } from '../e2e/chromium.ts';
import { totpNow, totpSecretOf } from '../helpers/totp-now.ts';

const PASSWORDS: Record<string, string> = { alice: 'alice-pw', bob: 'bob-pw' };

/** Payroll needs a phishing-resistant method: a passkey or security key. */
const PAYROLL_NEEDS_A_PASSKEY = {
  policies: [
    {
      id: 'payroll-phr',
      name: 'Payroll needs a passkey',
      state: 'on',
      assignments: { users: { include: ['all'] }, applications: { include: ['payroll'] } },
      grant: { controls: [{ authenticationStrength: 'phishingResistant' }] },
    },
  ],
};

async function startApp() {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://localhost:${(server.address() as AddressInfo).port}`;
  const mfa = createMfa({
    stores: createMemoryStores(),
    issuer: 'Passkey Test',
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 7) }],
    audit: () => {},
    rememberDevice: { enabled: true, days: 14, maxDays: 60, cookieName: 'rd', secureCookie: false },
    methods: [
      totp,
      hotp,
      recoveryCode,
      webauthn({ rpID: 'localhost', rpName: 'Passkey Test', origins: [base] }),
    ],
    policies: PAYROLL_NEEDS_A_PASSKEY,
  });
  const web = createMfaExpress(mfa, { basePath: '/mfa', loginPath: '/login', defaultReturnTo: '/account' });
  const app = express();
  app.use(session({ secret: 'test', resave: false, saveUninitialized: false, name: 'sid' }));
  app.get('/login', (_req, res) => {
    res.type('html').send(`<!doctype html><html><body><main>
      <form method="post" action="/login">
        <input name="username" id="username" autocomplete="username webauthn">
        <input name="password" id="password" type="password" autocomplete="current-password">
        <input name="app" id="app" type="hidden" value="">
        <button type="submit" id="sign-in">Sign in</button>
      </form>
      ${passkeySignInForm('/mfa')}
    </main></body></html>`);
  });
  app.post('/login', express.urlencoded({ extended: false }), async (req, res) => {
    const { username, password, app: appName } = req.body as Record<string, string>;
    if (!username || PASSWORDS[username] !== password) return res.status(401).send('bad password');
    await web.beginSignIn(req, res, { userId: username, amr: ['pwd'], ...(appName ? { app: appName } : {}) });
  });
  app.post('/logout', async (req, res) => {
    await web.logout(req);
    res.redirect(303, '/login');
  });
  app.use('/mfa', web.router());
  app.get('/account', web.requireMfa(), (req, res) => {
    res.type('html').send(
      `<!doctype html><p id="who">${req.mfa?.userId}</p><p id="acr">${req.mfa?.acr}</p><p id="amr">${req.mfa?.amr.join(' ')}</p>
       <form method="post" action="/logout"><button id="logout">Sign out</button></form>`,
    );
  });
  server.on('request', app);
  return { server, base, mfa };
}

/** Registers an authenticator app for `user` straight through the engine; returns its secret. */
async function withAuthenticatorApp(mfa: Mfa, user: string): Promise<string> {
  const draft = await mfa.enrollment.begin('totp', user, user);
  const secret = totpSecretOf(draft);
  const code = totpCode(base32Decode(secret), {
    algorithm: 'sha1',
    digits: 6,
    period: 30,
    epochSeconds: Math.floor(Date.now() / 1000) - 30,
  });
  const done = await mfa.enrollment.confirm('totp', user, draft.draftId, { code }, 'Phone', {
    ip: '127.0.0.1',
  });
  assert.equal(done.ok, true);
  return secret;
}

describe('passkeys in Chromium through the Express integration', function () {
  this.timeout(120_000);
  let browser: Browser;
  let app: Awaited<ReturnType<typeof startApp>>;
  before(async () => {
    browser = await launchChromium();
    app = await startApp();
  });
  after(async () => {
    await browser?.close();
    app?.server.close();
  });

  it('registers a passkey at first sign-in, then signs in with it without a password and as a second factor', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { cdp, authenticatorId } = await addVirtualAuthenticator(context, page);

    // First sign-in: no method yet; the user chooses a passkey and creates it.
    await page.goto(`${app.base}/login`);
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-pw');
    await page.click('#sign-in');
    await page.waitForURL(/\/mfa\/enroll$/);
    await page.getByRole('link', { name: 'Passkey or security key' }).click();
    await page.waitForURL(/\/mfa\/enroll\?method=webauthn$/);
    await page.getByRole('button', { name: 'Create a passkey' }).click();
    await page.waitForSelector('text=Save your recovery codes');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'one credential on the authenticator');
    assert.equal(credentials[0]?.isResidentCredential, true);
    await page.getByRole('link', { name: 'I have saved them, continue' }).click();
    await page.waitForURL(/\/account$/);
    assert.equal(await page.textContent('#acr'), 'urn:mfakit:acr:phr');
    assert.equal(await page.textContent('#amr'), 'pwd hwk user mfa');

    // Passwordless through autofill (conditional UI): the login page asks for a passkey as it loads;
    // the virtual authenticator answers as a user picking it from the autofill list would.
    await page.click('#logout');
    await page.waitForURL(/\/account$/);
    assert.equal(await page.textContent('#who'), 'alice');
    assert.equal(await page.textContent('#acr'), 'urn:mfakit:acr:phr');
    assert.equal(await page.textContent('#amr'), 'hwk user mfa', 'no password: the passkey alone, verified');

    // A sign-in with the password, then the passkey as the second factor (the user ignores autofill).
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: false });
    await page.click('#logout');
    await page.waitForURL(/\/login$/);
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-pw');
    await page.click('#sign-in');
    await page.waitForURL(/\/mfa\/prompt$/);
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: true });
    await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
    await page.waitForURL(/\/account$/);
    assert.equal(await page.textContent('#acr'), 'urn:mfakit:acr:phr');
    assert.equal(await page.textContent('#amr'), 'pwd hwk user mfa');
    await context.close();
  });

  it('a policy that needs a passkey: the user proves their authenticator app, registers a passkey in the flow, and gets in', async () => {
    const secret = await withAuthenticatorApp(app.mfa, 'bob');
    const context = await browser.newContext();
    const page = await context.newPage();
    const { cdp, authenticatorId } = await addVirtualAuthenticator(context, page);

    // Signing in to payroll: bob has an authenticator app only; payroll needs a passkey.
    await page.goto(`${app.base}/login`);
    await page.fill('#username', 'bob');
    await page.fill('#password', 'bob-pw');
    await page.evaluate(() => {
      (document.getElementById('app') as HTMLInputElement).value = 'payroll';
    });
    await page.click('#sign-in');
    await page.waitForURL(/\/mfa\/prompt$/);
    assert.equal(await page.getByRole('button', { name: 'Use a passkey or security key' }).count(), 0);
    // First it must be bob: a code from the app he has.
    await page.fill('#code', totpNow(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    // Then the passkey, registered in the flow (the only kind that meets the policy: no chooser).
    await page.waitForURL(/\/mfa\/enroll$/);
    await page.getByRole('button', { name: 'Create a passkey' }).click();
    await page.waitForURL(/\/account$/);
    assert.equal(await page.textContent('#who'), 'bob');
    assert.equal(await page.textContent('#acr'), 'urn:mfakit:acr:phr');
    assert.equal(await page.textContent('#amr'), 'pwd hwk user mfa');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    const methods = await app.mfa.methods.list('bob');
    assert.deepEqual(methods.map((m) => m.kind).sort(), ['totp', 'webauthn']);
    await context.close();
  });
});
