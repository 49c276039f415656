// Passkeys through the README's Passport example (examples/passport/app.ts, as written) in
// Debian's Chromium, with its virtual authenticator (CDP WebAuthn domain: ctap2, internal
// transport, resident key, user verification) on http://localhost: a first sign-in that chooses
// and registers a passkey on the 'mfa' strategy's page, a passwordless sign-in through the sign-in
// page's autofill (the 'passkey' strategy), then a sign-in with the password and the passkey
// button of the 'mfa' strategy's page — each ending in Passport's login (req.user) with a stamp
// at acr …:phr.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { User } from '../../examples/passport/app.ts';
import { passkeySignInForm } from '../../src/express/index.ts';
import { addVirtualAuthenticator, launchChromium } from '../e2e/chromium.ts';
import { createExampleApp, PASSWORD_OF } from './passport-flows.ts';

const USERS: User[] = [{ id: 'u-alice', name: 'Alice' }];

async function startExampleApp() {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // WebAuthn refuses IP-address origins: the browser uses localhost.
  const base = `http://localhost:${(server.address() as AddressInfo).port}`;
  const { app, mfa } = createExampleApp({ users: USERS, origin: base });
  // The application's sign-in page, which the example leaves to you: the password to /login, a
  // passkey (autofill, or the button) to /login/passkey, as the example's comment says.
  app.get('/login', (_req, res) => {
    res.type('html').send(`<!doctype html><html><body><main>
      <form method="post" action="/login">
        <label for="username">User name</label>
        <input name="username" id="username" autocomplete="username webauthn">
        <label for="password">Password</label><input name="password" id="password" type="password">
        <button type="submit">Sign in</button>
      </form>
      ${passkeySignInForm('/mfa', { action: '/login/passkey' })}
    </main></body></html>`);
  });
  // A window on Passport's side of the session: who req.user is.
  app.get('/test/user', (req, res) => {
    res.json({ user: req.user ?? null });
  });
  server.on('request', app);
  return { server, base, mfa };
}

describe('passkeys in Chromium through the Passport example (examples/passport/app.ts)', function () {
  this.timeout(120_000);
  let browser: Browser;
  let app: Awaited<ReturnType<typeof startExampleApp>>;
  before(async () => {
    browser = await launchChromium();
    app = await startExampleApp();
  });
  after(async () => {
    await browser?.close();
    app?.server.close();
  });

  /** Passport's user and mfakit's stamp, as the browser's session has them. */
  async function signedIn(context: BrowserContext) {
    const user = (await (await context.request.get(`${app.base}/test/user`)).json()) as { user: User | null };
    const status = (await (await context.request.get(`${app.base}/mfa/api/status`)).json()) as {
      status: string;
      userId?: string;
      acr?: string;
      amr?: string[];
    };
    return { user: user.user, ...status };
  }

  async function typePassword(page: Page) {
    await page.goto(`${app.base}/login`);
    await page.fill('#username', 'alice');
    await page.fill('#password', PASSWORD_OF('alice'));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/login\/mfa$/);
  }

  /** Signs out as the example's POST /logout does (no page of its own to click it on). */
  async function signOut(context: BrowserContext) {
    const res = await context.request.post(`${app.base}/logout`, { maxRedirects: 0 });
    assert.equal(res.status(), 302);
    assert.equal((await signedIn(context)).user, null);
  }

  it('registers a passkey at a first sign-in, then signs in with it alone, and with the password and it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { cdp, authenticatorId } = await addVirtualAuthenticator(context, page);

    // First sign-in: no method yet; the strategy's page offers the choice, the user takes a passkey.
    await typePassword(page);
    assert.equal((await signedIn(context)).user, null, 'the password alone sets no req.user');
    await page.getByRole('link', { name: 'Passkey or security key' }).click();
    await page.waitForURL(/\/login\/mfa\?method=webauthn$/);
    await page.getByRole('button', { name: 'Create a passkey' }).click();
    await page.waitForSelector('text=Save your recovery codes');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'one credential on the authenticator');
    assert.equal(credentials[0]?.isResidentCredential, true);
    assert.equal((await signedIn(context)).user, null, 'nobody is logged in before "continue"');
    await page.getByRole('button', { name: 'I have saved them, continue' }).click();
    await page.waitForURL(`${app.base}/`);
    assert.equal(await page.textContent('body'), 'Hello Alice');
    const first = await signedIn(context);
    assert.equal(first.user?.id, 'u-alice');
    assert.equal(first.userId, 'u-alice');
    assert.equal(first.acr, 'urn:mfakit:acr:phr');
    assert.deepEqual(first.amr, ['pwd', 'hwk', 'user', 'mfa']);

    // Passwordless through autofill (conditional UI): the sign-in page asks for a passkey as it
    // loads; the virtual authenticator answers as a user picking it from the autofill list would.
    await signOut(context);
    await page.goto(`${app.base}/login`);
    await page.waitForURL(`${app.base}/`);
    assert.equal(await page.textContent('body'), 'Hello Alice');
    const passwordless = await signedIn(context);
    assert.equal(passwordless.user?.id, 'u-alice');
    assert.equal(passwordless.acr, 'urn:mfakit:acr:phr');
    assert.deepEqual(passwordless.amr, ['hwk', 'user', 'mfa'], 'no password: the passkey alone, verified');

    // The password, then the passkey button on the 'mfa' strategy's page (the user ignores autofill).
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: false });
    await signOut(context);
    await typePassword(page);
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: true });
    await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
    await page.waitForURL(`${app.base}/`);
    assert.equal(await page.textContent('body'), 'Hello Alice');
    const second = await signedIn(context);
    assert.equal(second.user?.id, 'u-alice');
    assert.equal(second.acr, 'urn:mfakit:acr:phr');
    assert.deepEqual(second.amr, ['pwd', 'hwk', 'user', 'mfa']);
    const { credentials: after } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(after[0]?.signCount, 3, 'the passkey signed at registration and at each sign-in');
    await context.close();
  });
});
