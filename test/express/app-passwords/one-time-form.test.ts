// The app-password create form is one-time: its formId (in the page and the session) is spent by
// the POST before anything is created, so the browser resubmitting it (reloading the page that
// shows the new password) or a forged or missing formId creates nothing and lands on the
// settings page with a notice; a refusal that created nothing (bad name, limit, step-up) leaves the
// next settings page's form working.
import assert from 'node:assert/strict';
import type { Agent } from 'supertest';
import { APPS, createOverApi, makeAppPasswordApp } from '../../helpers/app-password-app.ts';
import {
  createFormFields,
  passwordOn,
  postForm,
  settingsOf,
  signedInUser,
  verifyThenBack,
} from '../../helpers/app-password-pages.ts';
import { inputValue } from '../../helpers/browser.ts';
import { csrfFrom } from '../../helpers/flows.ts';

const FORM_USED = '/mfa/settings?notice=app_password_form_used#app-passwords';
const MAIL: [string, string][] = [
  ['name', 'Mail'],
  ['apps', 'mail'],
];

/** A refusal of the form: the redirect to the settings page's notice, which says nothing was created. */
async function assertFormUsed(agent: Agent, res: { status: number; headers: Record<string, string> }) {
  assert.equal(res.status, 303);
  assert.equal(res.headers.location, FORM_USED);
  const page = await agent.get(FORM_USED).set('Accept', 'text/html').expect(200);
  assert.match(
    page.text,
    /That form was already used: nothing new was created\. Create another below if you need one\./,
  );
  return page;
}

describe('app passwords: the create form is one-time', () => {
  it('posted twice (the browser resubmitting it), creates one password and shows it once', async () => {
    const { agent, mfa } = await signedInUser();
    const form = [...createFormFields((await settingsOf(agent)).text), ...MAIL];
    const first = await postForm(agent, form);
    assert.equal(first.status, 200);
    assert.ok(passwordOn(first.text));
    const again = await postForm(agent, form);
    assert.equal(passwordOn(again.text), undefined, 'no second password shown');
    const notice = await assertFormUsed(agent, again);
    assert.equal((await mfa.appPasswords.list('alice')).length, 1);
    // The page with the notice has a fresh form, and it works (once).
    assert.notEqual(inputValue(notice.text, 'formId'), form[1]?.[1]);
    const next = await postForm(agent, [...createFormFields(notice.text), ['name', 'VPN'], ['apps', 'vpn']]);
    assert.equal(next.status, 200);
    assert.deepEqual((await mfa.appPasswords.list('alice')).map((a) => a.name).sort(), ['Mail', 'VPN']);
  });

  it('creates nothing with a missing, forged, oversized or repeated formId (a 303, never a 5xx)', async () => {
    const { agent, mfa } = await signedInUser();
    const forgeries: [string, string][][] = [
      [],
      [['formId', 'A'.repeat(24)]],
      [['formId', '']],
      [['formId', 'x'.repeat(10_000)]],
      [
        ['formId', 'a'],
        ['formId', 'b'],
      ],
    ];
    for (const forged of forgeries) {
      const page = (await settingsOf(agent)).text;
      const res = await postForm(agent, [['_csrf', csrfFrom(page)], ...forged, ...MAIL]);
      assert.equal(res.status, 303, `${JSON.stringify(forged)}: ${res.status}`);
      assert.equal(res.headers.location, FORM_USED);
    }
    assert.deepEqual(await mfa.appPasswords.list('alice'), []);
  });

  it('any post spends the form shown (a forged one, another tab’s older one); the notice page’s form works', async () => {
    const { agent, mfa } = await signedInUser();
    const older = (await settingsOf(agent)).text;
    const shown = (await settingsOf(agent)).text;
    const forged = await postForm(agent, [['_csrf', csrfFrom(shown)], ['formId', 'guess'], ...MAIL]);
    assert.equal(forged.headers.location, FORM_USED);
    const real = await postForm(agent, [...createFormFields(shown), ...MAIL]);
    assert.equal(real.headers.location, FORM_USED, 'spent by the forged post');
    const notice = await assertFormUsed(agent, await postForm(agent, [...createFormFields(older), ...MAIL]));
    assert.deepEqual(await mfa.appPasswords.list('alice'), []);
    const created = await postForm(agent, [...createFormFields(notice.text), ...MAIL]);
    assert.equal(created.status, 200);
    assert.equal((await mfa.appPasswords.list('alice')).length, 1);
  });

  it('after a bad name (400), the next settings page’s form creates one; the refused form does not', async () => {
    const { agent, mfa } = await signedInUser();
    const fields = createFormFields((await settingsOf(agent)).text);
    const bad = await postForm(agent, [...fields, ['name', 'x'.repeat(65)], ['apps', 'mail']]);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /the name must be 1 to 64 characters/);
    const retried = await postForm(agent, [...fields, ...MAIL]);
    assert.equal(retried.status, 303, 'the refused form’s id is spent');
    const fresh = await postForm(agent, [...createFormFields((await settingsOf(agent)).text), ...MAIL]);
    assert.equal(fresh.status, 200);
    assert.ok(passwordOn(fresh.text));
    assert.equal((await mfa.appPasswords.list('alice')).length, 1);
  });

  it('at the limit (409), nothing is created; once one is deleted, the next settings page’s form creates one', async () => {
    const built = makeAppPasswordApp({ appPasswords: { enabled: true, apps: APPS, maxPerUser: 1 } });
    const { agent, mfa } = await signedInUser('alice', built);
    const first = await createOverApi(agent);
    const full = await postForm(agent, [...createFormFields((await settingsOf(agent)).text), ...MAIL]);
    assert.equal(full.status, 409);
    assert.match(full.text, /delete one you no longer use first/);
    assert.match(full.text, /href="\/mfa\/settings#app-passwords"/);
    const settings = (await settingsOf(agent)).text;
    const deleted = await postForm(
      agent,
      [['_csrf', csrfFrom(settings)]],
      `/mfa/app-passwords/${first.id}/delete`,
    );
    assert.equal(deleted.status, 303);
    const created = await postForm(agent, [...createFormFields((await settingsOf(agent)).text), ...MAIL]);
    assert.equal(created.status, 200);
    assert.ok(passwordOn(created.text));
    assert.equal((await mfa.appPasswords.list('alice')).length, 1);
  });

  it('with a stale second factor: verify, back to the form, created once, the resubmit refused', async () => {
    const { agent, clock, secret, mfa } = await signedInUser();
    clock.advance(10 * 60_000);
    const refused = await postForm(agent, [...createFormFields((await settingsOf(agent)).text), ...MAIL]);
    assert.equal(refused.status, 303);
    assert.equal(
      refused.headers.location,
      `/mfa/verify?returnTo=${encodeURIComponent('/mfa/app-passwords')}`,
    );
    const verified = await verifyThenBack(agent, refused.headers.location, secret, clock);
    assert.equal(verified.headers.location, '/mfa/app-passwords');
    const back = await agent.get('/mfa/app-passwords').set('Accept', 'text/html');
    assert.equal(back.headers.location, '/mfa/settings#app-passwords');
    const form = [
      ...createFormFields((await agent.get(back.headers.location).set('Accept', 'text/html')).text),
      ...MAIL,
    ];
    const created = await postForm(agent, form);
    assert.equal(created.status, 200);
    assert.ok(passwordOn(created.text));
    await assertFormUsed(agent, await postForm(agent, form));
    assert.equal((await mfa.appPasswords.list('alice')).length, 1);
  });

  it('leaves the JSON API without a formId', async () => {
    const { agent, mfa } = await signedInUser();
    const res = await agent.post('/mfa/api/app-passwords').send({ name: 'Script', apps: ['vpn'] });
    assert.equal(res.status, 201);
    const again = await agent.post('/mfa/api/app-passwords').send({ name: 'Script 2', apps: ['vpn'] });
    assert.equal(again.status, 201);
    assert.equal((await mfa.appPasswords.list('alice')).length, 2);
  });
});
