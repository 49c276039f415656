// App passwords on the sample federation server, over real HTTP: alice creates one in the
// security-info portal (/account, password then authenticator code, the HTML form with its CSRF
// token and one-time formId), reads it once, and a script signs in with it at the HTTP Basic API (GET /legacy/me),
// where her account password is refused; deleting it in the portal stops it. With RADIUS, one
// scoped to the VPN is an Access-Accept with no challenge and one for the API alone is rejected.
// A user in `appPasswords.excludeGroups` is offered none and refused one by the JSON API.
import assert from 'node:assert/strict';
import { codeFor } from '../../helpers/app.ts';
import { Browser, inputValue, type Page } from '../../helpers/browser.ts';
import {
  enrolDirect,
  type FederationStack,
  startFederationStack,
  submitCode,
} from '../../helpers/federation-stack.ts';
import { requireTools } from '../../helpers/peers.ts';
import { radclient } from '../../helpers/radclient.ts';

const SECRET = 'sample-vpn-radius-secret-0001';
const CREATE_ACTION = 'action="/account/mfa/app-passwords"';

/** A person signed in to the portal (password, then the authenticator app's code): their browser and the settings page. */
async function portalSettings(s: FederationStack, user: string, password: string) {
  const secret = await enrolDirect(s, user);
  const b = new Browser();
  const form = await b.go(`${s.fedUrl}/account`);
  const prompt = await b.go(`${s.fedUrl}/account/login`, {
    form: { identifier: user, password, _csrf: inputValue(form.text, '_csrf') },
  });
  const settings = await submitCode(b, s, prompt, codeFor(secret, s.clock));
  assert.equal(new URL(settings.url).pathname, '/account/mfa/settings', settings.text.slice(0, 500));
  return { b, settings };
}

/** Creates an app password through the settings page's form: the page that shows it, and the password read from it. */
async function createOnPage(b: Browser, s: FederationStack, settings: Page, name: string, app: string) {
  assert.ok(settings.text.includes(CREATE_ACTION), 'the settings page has the create form');
  const shown = await b.go(`${s.fedUrl}/account/mfa/app-passwords`, {
    form: {
      _csrf: inputValue(settings.text, '_csrf'),
      formId: inputValue(settings.text, 'formId'),
      name,
      apps: app,
    },
  });
  assert.equal(shown.status, 200, shown.text.slice(0, 500));
  const password = /<code class="app-password" aria-label="App password">([^<]+)<\/code>/.exec(
    shown.text,
  )?.[1];
  assert.ok(password, `no password on the page:\n${shown.text.slice(0, 1000)}`);
  return { shown, password };
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

/** GET /legacy/me as a script does: no cookies, the Authorization header given (or none). */
const legacyMe = (s: FederationStack, authorization?: string) =>
  fetch(`${s.fedUrl}/legacy/me`, authorization ? { headers: { authorization } } : {});

describe('sample-idp federation: app passwords', function () {
  this.timeout(60_000);
  let s: FederationStack | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('alice creates one in the portal, shown once; a script signs in with it at /legacy/me; her password does not; deleted in the portal, it stops', async () => {
    const stack = await startFederationStack();
    s = stack;
    const { b, settings } = await portalSettings(stack, 'alice', 'alice password');
    assert.match(settings.text, /<h2 id="app-passwords">App passwords<\/h2>/);
    assert.match(settings.text, /Scripts and older apps/);
    assert.doesNotMatch(settings.text, /VPN \(RADIUS\)/, 'no RADIUS in this config: no VPN to choose');
    const { shown, password } = await createOnPage(b, stack, settings, 'Backup script', 'legacy-api');
    assert.match(shown.text, /Backup script/);
    assert.match(shown.text, /it will not be shown again/);

    const me = await legacyMe(stack, basic('alice', password));
    assert.equal(me.status, 200);
    assert.match(me.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(me.headers.get('cache-control'), 'no-store');
    assert.equal(me.headers.get('set-cookie'), null, 'no session for a legacy client');
    assert.deepEqual(await me.json(), {
      sub: 'alice',
      name: 'Alice',
      email: 'alice@contoso.test',
      groups: [],
      amr: ['apw'],
    });

    // Refused alike: her account password, no credentials, her app password under another user
    // name, a malformed header — 401 with the Basic challenge, never a 5xx.
    for (const authorization of [
      basic('alice', 'alice password'),
      undefined,
      basic('dana', password),
      'Basic not*base64',
      `Basic ${'A'.repeat(5000)}`,
    ]) {
      const refused = await legacyMe(stack, authorization);
      assert.equal(refused.status, 401, String(authorization).slice(0, 40));
      assert.match(refused.headers.get('www-authenticate') ?? '', /^Basic realm="mfakit federation"/);
      assert.equal(JSON.stringify(await refused.json()).includes('alice'), false);
    }
    // The API is JSON to the end: another path under /legacy is a JSON 404, not the provider's page.
    const missing = await fetch(`${stack.fedUrl}/legacy/other`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /^application\/json/);

    // Listed on the settings page (never the password), deleted there with the form's CSRF token.
    const listed = await b.go(`${stack.fedUrl}/account/mfa/settings`);
    assert.match(listed.text, /<td>Backup script<\/td>/);
    assert.equal(listed.text.includes(password), false, 'the password is shown only once');
    const [summary] = await stack.fed.mfa.appPasswords.list('alice');
    assert.ok(summary);
    const deleteUrl = `${stack.fedUrl}/account/mfa/app-passwords/${summary.id}/delete`;
    assert.ok(listed.text.includes(`action="/account/mfa/app-passwords/${summary.id}/delete"`));
    const forged = await b.go(deleteUrl, { form: { _csrf: 'forged' } });
    assert.equal(forged.status, 403, 'a delete without the page’s CSRF token is refused');
    assert.equal((await legacyMe(stack, basic('alice', password))).status, 200, 'still valid');
    const deleted = await b.go(deleteUrl, { form: { _csrf: inputValue(listed.text, '_csrf') } });
    assert.equal(new URL(deleted.url).pathname, '/account/mfa/settings');
    assert.doesNotMatch(deleted.text, /<td>Backup script<\/td>/);
    const after = await legacyMe(stack, basic('alice', password));
    assert.equal(after.status, 401);
    assert.match(after.headers.get('www-authenticate') ?? '', /^Basic /);
  });

  it("guessing never locks the owner's app password out: wrong passwords for alice get the 401, and her script still signs in", async () => {
    const stack = await startFederationStack();
    s = stack;
    const { b, settings } = await portalSettings(stack, 'alice', 'alice password');
    const { password } = await createOnPage(b, stack, settings, 'Backup script', 'legacy-api');
    for (let i = 0; i < 20; i++)
      assert.equal((await legacyMe(stack, basic('alice', `wrong guess ${i}`))).status, 401);
    // Her password at the API (she needs MFA) is never checked: the same 401 as a guess.
    assert.equal((await legacyMe(stack, basic('alice', 'alice password'))).status, 401);
    assert.equal((await legacyMe(stack, basic('alice', password))).status, 200);
  });

  it('dana, whose MFA state is disabled, needs no app password: her password alone signs in (amr pwd); a wrong one is refused', async () => {
    const stack = await startFederationStack();
    s = stack;
    const me = await legacyMe(stack, basic('dana', 'dana password'));
    assert.equal(me.status, 200);
    assert.deepEqual(((await me.json()) as { sub: string; amr: string[] }).amr, ['pwd']);
    assert.equal((await legacyMe(stack, basic('dana', 'not hers'))).status, 401);
  });

  describe('with RADIUS', () => {
    before(function () {
      requireTools(this, 'radclient');
    });

    it('one scoped to the VPN is an Access-Accept with no challenge; one for the API alone is rejected, and the VPN one is refused at the API', async () => {
      const stack = await startFederationStack({ radiusSecret: SECRET });
      s = stack;
      assert.ok(stack.fed.radius);
      const { port } = await stack.fed.radius.listen(0, '127.0.0.1');
      const { b, settings } = await portalSettings(stack, 'alice', 'alice password');
      assert.match(settings.text, /VPN \(RADIUS\)/);
      const vpn = await createOnPage(b, stack, settings, 'Laptop VPN', 'radius');
      const again = await b.go(`${stack.fedUrl}/account/mfa/settings`);
      const api = await createOnPage(b, stack, again, 'Backup script', 'legacy-api');

      const accepted = await radclient(port, SECRET, { 'User-Name': 'alice', 'User-Password': vpn.password });
      assert.equal(accepted.code, 'Access-Accept', accepted.output);
      const wrongApp = await radclient(port, SECRET, { 'User-Name': 'alice', 'User-Password': api.password });
      assert.equal(wrongApp.code, 'Access-Reject', wrongApp.output);
      assert.equal((await legacyMe(stack, basic('alice', vpn.password))).status, 401);
      assert.equal((await legacyMe(stack, basic('alice', api.password))).status, 200);
    });
  });

  it('a user in an excluded group is offered none, and the JSON API refuses to create one (403)', async () => {
    const stack = await startFederationStack({
      users: [
        {
          id: 'sam',
          name: 'Sam Admin',
          email: 'sam@contoso.test',
          password: 'sam password',
          mfaState: 'enabled',
          groups: ['admins'],
        },
      ],
      appPasswords: { excludeGroups: ['admins'] },
    });
    s = stack;
    const { b, settings } = await portalSettings(stack, 'sam', 'sam password');
    assert.doesNotMatch(settings.text, /App passwords/);
    assert.equal(settings.text.includes(CREATE_ACTION), false);
    const res = await b.fetch(`${stack.fedUrl}/account/mfa/api/app-passwords`, {
      raw: { type: 'application/json', body: JSON.stringify({ name: 'Script', apps: ['legacy-api'] }) },
    });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error?: string }).error, 'app_passwords_unavailable');
    assert.deepEqual(await stack.fed.mfa.appPasswords.list('sam'), []);
    // The page's form, posted anyway, creates nothing either.
    const form = await b.go(`${stack.fedUrl}/account/mfa/app-passwords`, {
      form: { _csrf: inputValue(settings.text, '_csrf'), name: 'Script', apps: 'legacy-api' },
    });
    assert.equal(form.status, 403);
    assert.match(form.text, /not available to this account/);
    assert.deepEqual(await stack.fed.mfa.appPasswords.list('sam'), []);
    assert.equal((await legacyMe(stack, basic('sam', 'sam password'))).status, 401);
    // The same config, a user outside the group: the section is there.
    const alice = await portalSettings(stack, 'alice', 'alice password');
    assert.match(alice.settings.text, /<h2 id="app-passwords">App passwords<\/h2>/);
  });
});
