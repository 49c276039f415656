// App passwords on the security-info pages: the section for users who may hold them, a new one
// shown once and listed after without its password, deletion, the step-up before creating one
// with a stale second factor, the CSRF check, escaping, and the section absent where they are off.
import assert from 'node:assert/strict';
import { makeApp } from '../../helpers/app.ts';
import { createOverApi, makeAppPasswordApp } from '../../helpers/app-password-app.ts';
import {
  createFormFields,
  passwordOn,
  postForm,
  settingsOf,
  signedInUser,
  verifyThenBack,
} from '../../helpers/app-password-pages.ts';
import { csrfFrom } from '../../helpers/flows.ts';

describe('app passwords: pages', () => {
  it('creates one from the settings form, shows it once, then lists it by name and applications', async () => {
    const { agent, mfa } = await signedInUser();
    const settings = await settingsOf(agent).expect(200);
    assert.match(settings.text, /<h2 id="app-passwords">App passwords<\/h2>/);
    assert.match(settings.text, /You have no app passwords/);
    assert.match(settings.text, /name="apps" value="mail"> Mail/);
    assert.match(settings.text, /name="apps" value="vpn"> VPN/);
    const created = await postForm(agent, [
      ...createFormFields(settings.text),
      ['name', 'Thunderbird'],
      ['apps', 'mail'],
      ['apps', 'vpn'],
    ]);
    assert.equal(created.status, 200);
    const password = passwordOn(created.text);
    assert.match(password ?? '', /^[a-z]{4}( [a-z]{4}){3}$/);
    assert.match(created.text, /Type it in your app instead of your password; it will not be shown again/);
    assert.match(created.text, /href="\/mfa\/settings#app-passwords"/);
    assert.equal(created.headers['cache-control'], 'no-store');
    const [stored] = await mfa.appPasswords.list('alice');
    assert.deepEqual(stored?.apps, ['mail', 'vpn']);
    const after = await settingsOf(agent).expect(200);
    assert.match(after.text, /<td>Thunderbird<\/td><td>Mail, VPN<\/td>/);
    assert.equal(after.text.includes(password ?? '-'), false, 'never shown again');
    assert.equal(after.text.includes((password ?? '-').replaceAll(' ', '')), false);
  });

  it('lists an expired one as expired', async () => {
    const { agent, clock } = await signedInUser();
    await createOverApi(agent, 'Old phone');
    clock.advance(366 * 86_400_000);
    const page = await settingsOf(agent);
    assert.equal(page.status, 200, String(page.headers.location));
    assert.match(page.text, /<td>Old phone<\/td>.*<strong class="error-text">expired /s);
  });

  it('takes a single checked application, and escapes the name everywhere', async () => {
    const { agent } = await signedInUser();
    const settings = await settingsOf(agent);
    const created = await postForm(agent, [
      ...createFormFields(settings.text),
      ['name', '<script>alert(1)</script>'],
      ['apps', 'vpn'],
    ]);
    assert.equal(created.status, 200);
    assert.equal(created.text.includes('<script>alert'), false);
    assert.match(created.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt; · for VPN/);
    const after = await settingsOf(agent);
    assert.equal(after.text.includes('<script>alert'), false);
    assert.match(after.text, /&lt;script&gt;/);
  });

  it('deletes one with its Delete button; another user’s id is a 404', async () => {
    const built = makeAppPasswordApp();
    const { agent, mfa } = await signedInUser('alice', built);
    const mine = await createOverApi(agent);
    const bobs = await createOverApi((await signedInUser('bob', built)).agent);
    const settings = await settingsOf(agent);
    assert.match(settings.text, new RegExp(`action="/mfa/app-passwords/${mine.id}/delete"`));
    const csrf = csrfFrom(settings.text);
    const foreign = await postForm(agent, [['_csrf', csrf]], `/mfa/app-passwords/${bobs.id}/delete`);
    assert.equal(foreign.status, 404);
    assert.equal((await mfa.appPasswords.list('bob')).length, 1);
    const deleted = await postForm(agent, [['_csrf', csrf]], `/mfa/app-passwords/${mine.id}/delete`);
    assert.equal(deleted.status, 303);
    assert.equal(deleted.headers.location, '/mfa/settings?notice=app_password_deleted#app-passwords');
    assert.deepEqual(await mfa.appPasswords.list('alice'), []);
    assert.match(
      (await agent.get(deleted.headers.location).set('Accept', 'text/html')).text,
      /The app password was deleted/,
    );
  });

  it('refuses a form without its CSRF token: nothing created or deleted', async () => {
    const { agent, mfa } = await signedInUser();
    const mine = await createOverApi(agent);
    await settingsOf(agent);
    const created = await postForm(agent, [
      ['name', 'Mail'],
      ['apps', 'mail'],
    ]);
    assert.equal(created.status, 403);
    assert.equal(passwordOn(created.text), undefined);
    const forged = await postForm(agent, [
      ['_csrf', 'forged'],
      ['name', 'Mail'],
      ['apps', 'mail'],
    ]);
    assert.equal(forged.status, 403);
    const deleted = await postForm(agent, [], `/mfa/app-passwords/${mine.id}/delete`);
    assert.equal(deleted.status, 403);
    assert.deepEqual(
      (await mfa.appPasswords.list('alice')).map((a) => a.id),
      [mine.id],
    );
  });

  it('with a stale second factor, sends the user to verify first and back to the form', async () => {
    const { agent, clock, secret, mfa } = await signedInUser();
    clock.advance(10 * 60_000);
    const refused = await postForm(agent, [
      ...createFormFields((await settingsOf(agent)).text),
      ['name', 'Mail'],
      ['apps', 'mail'],
    ]);
    assert.equal(refused.status, 303);
    assert.equal(
      refused.headers.location,
      `/mfa/verify?returnTo=${encodeURIComponent('/mfa/app-passwords')}`,
    );
    assert.deepEqual(await mfa.appPasswords.list('alice'), [], 'nothing created');
    const verified = await verifyThenBack(agent, refused.headers.location, secret, clock);
    assert.equal(verified.status, 303);
    assert.equal(verified.headers.location, '/mfa/app-passwords');
    const back = await agent.get('/mfa/app-passwords').set('Accept', 'text/html');
    assert.equal(back.status, 303);
    assert.equal(back.headers.location, '/mfa/settings#app-passwords');
    const settings = await settingsOf(agent);
    const created = await postForm(agent, [
      ...createFormFields(settings.text),
      ['name', 'Mail'],
      ['apps', 'mail'],
    ]);
    assert.equal(created.status, 200);
    assert.ok(passwordOn(created.text));
    assert.equal((await mfa.appPasswords.list('alice')).length, 1, 'created once');
  });

  it('answers a bad form with a 4xx page, never a 5xx', async () => {
    const { agent, mfa } = await signedInUser();
    const forms: [string, string][][] = [
      [['name', 'Mail']],
      [
        ['name', 'Mail'],
        ['apps', 'payroll'],
      ],
      [
        ['name', 'x'.repeat(65)],
        ['apps', 'mail'],
      ],
      [['apps', 'mail']],
      [
        ['name', 'Mail\u0007'],
        ['apps', 'mail'],
      ],
    ];
    for (const fields of forms) {
      const res = await postForm(agent, [...createFormFields((await settingsOf(agent)).text), ...fields]);
      assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(fields)}: ${res.status}`);
      assert.match(res.headers['content-type'] ?? '', /html/);
    }
    assert.deepEqual(await mfa.appPasswords.list('alice'), []);
  });

  it('shows no section where app passwords are off or the user is excluded, and has no routes when off', async () => {
    const off = await signedInUser('alice', makeApp());
    const page = await settingsOf(off.agent).expect(200);
    assert.equal(page.text.includes('App passwords'), false);
    const res = await postForm(off.agent, [
      ['_csrf', csrfFrom(page.text)],
      ['name', 'Mail'],
      ['apps', 'mail'],
    ]);
    assert.equal(res.status, 404);
    const excluded = await signedInUser('svc');
    const svcPage = await settingsOf(excluded.agent).expect(200);
    assert.equal(svcPage.text.includes('App passwords'), false);
    const refused = await postForm(excluded.agent, [
      ['_csrf', csrfFrom(svcPage.text)],
      ['name', 'Mail'],
      ['apps', 'mail'],
    ]);
    assert.equal(refused.status, 403);
    assert.deepEqual(await excluded.mfa.appPasswords.list('svc'), []);
  });
});
