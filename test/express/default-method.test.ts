// The default sign-in method through the Express router: chosen on the settings page (a
// "Make default" form with its CSRF token) or the JSON API (PUT /api/methods/:id/default,
// DELETE /api/default-method), by the signed-in user for their own methods only; the prompt and
// the step-up page then lead with it, marked "(your default)", and send nothing by themselves;
// removing the method clears it. Tried as an attacker would: no token, another user's method,
// malformed ids, a session that has only the password.
import assert from 'node:assert/strict';
import request, { type Agent } from 'supertest';
import { enrolThroughEngine } from '../helpers/enrol-through-engine.ts';
import { csrfFrom, formLogin, signIn } from '../helpers/flows.ts';
import { registerPhone } from '../helpers/phone.ts';
import { makePhoneApp } from '../helpers/phone-app.ts';

/** Alice with an authenticator app, a texted phone and a called phone; Bob with a phone of his own. */
async function aliceWithThreeMethods() {
  const built = makePhoneApp();
  const secret = await enrolThroughEngine(built.mfa, built.clock, 'alice');
  const sms = await registerPhone(built.mfa, built.outbox, 'alice', 'sms', '+44 7700 900123');
  const voice = await registerPhone(built.mfa, built.outbox, 'alice', 'voice', '+44 7700 900456');
  const bobs = await registerPhone(built.mfa, built.outbox, 'bob', 'sms', '+44 7700 900789');
  const totpId = (await built.mfa.methods.list('alice')).find((m) => m.kind === 'totp')?.id ?? '';
  const { agent } = await signIn(built.app, built.clock, 'alice', secret);
  return { ...built, secret, sms, voice, bobs, totpId, agent };
}

type Setup = Awaited<ReturnType<typeof aliceWithThreeMethods>>;

const defaultsOf = async (t: Setup, user: string) =>
  (await t.mfa.methods.list(user)).filter((m) => m.isDefault).map((m) => m.id);

const settingsOf = (agent: Agent) => agent.get('/mfa/settings').set('Accept', 'text/html');

/** Presses a settings page's "Make default" for `methodId`, with the page's token unless `csrf` says otherwise. */
async function makeDefault(agent: Agent, methodId: string, csrf?: string) {
  const token = csrf ?? csrfFrom((await settingsOf(agent)).text);
  return agent
    .post(`/mfa/methods/${methodId}/default`)
    .type('form')
    .set('Accept', 'text/html')
    .send(token === '' ? {} : { _csrf: token });
}

/** The method ids of a page's send buttons, in their order. */
const sendOrder = (page: string) => [...page.matchAll(/name="methodId" value="([^"]+)"/g)].map((m) => m[1]);

describe('the default sign-in method through the Express router', () => {
  it('the settings page marks none, then the one chosen with "Make default", audited', async () => {
    const t = await aliceWithThreeMethods();
    const before = await settingsOf(t.agent);
    assert.equal(before.status, 200);
    assert.doesNotMatch(before.text, /class="default">Default</);
    assert.equal(before.text.match(/>Make default</g)?.length, 3, 'a button per method');
    const chosen = await makeDefault(t.agent, t.voice);
    assert.equal(chosen.status, 303);
    assert.equal(chosen.headers.location, '/mfa/settings?notice=default_changed');
    assert.deepEqual(await defaultsOf(t, 'alice'), [t.voice]);
    const after = await t.agent.get(chosen.headers.location).set('Accept', 'text/html');
    assert.match(after.text, /Your default sign-in method is changed/);
    assert.equal(after.text.match(/class="default">Default</g)?.length, 1);
    assert.equal(after.text.match(/>Make default</g)?.length, 2, 'not on the default itself');
    assert.ok(!after.text.includes(`/methods/${t.voice}/default"`), 'no Make default for the default');
    const audited = t.events.filter((e) => e.type === 'default_method_changed');
    assert.equal(audited.length, 1);
    assert.equal(audited[0]?.userId, 'alice');
    // Another choice replaces it.
    assert.equal((await makeDefault(t.agent, t.sms)).status, 303);
    assert.deepEqual(await defaultsOf(t, 'alice'), [t.sms]);
  });

  it('"No default" on the default\'s row leaves none (audited), and needs its CSRF token', async () => {
    const t = await aliceWithThreeMethods();
    assert.equal((await makeDefault(t.agent, t.voice)).status, 303);
    const page = await settingsOf(t.agent);
    assert.equal(page.text.match(/>No default</g)?.length, 1, 'on the default only');
    const clear = (token: string) =>
      t.agent
        .post('/mfa/default-method/clear')
        .type('form')
        .set('Accept', 'text/html')
        .send(token === '' ? {} : { _csrf: token });
    assert.equal((await clear('')).status, 403);
    assert.deepEqual(await defaultsOf(t, 'alice'), [t.voice], 'nothing changed without the token');
    const cleared = await clear(csrfFrom(page.text));
    assert.equal(cleared.status, 303);
    assert.equal(cleared.headers.location, '/mfa/settings?notice=default_cleared');
    assert.deepEqual(await defaultsOf(t, 'alice'), []);
    const after = await t.agent.get(cleared.headers.location).set('Accept', 'text/html');
    assert.match(after.text, /You have no default sign-in method now/);
    assert.doesNotMatch(after.text, />No default</);
    assert.equal(after.text.match(/>Make default</g)?.length, 3);
    assert.ok(t.events.some((e) => e.type === 'default_method_changed' && e.methodId === undefined));
    // Signed out, the form sends to sign-in and changes nothing.
    await t.mfa.methods.setDefault('alice', t.sms, { ip: '192.0.2.1' });
    const anonymous = await request(t.app)
      .post('/mfa/default-method/clear')
      .type('form')
      .set('Accept', 'text/html')
      .send({});
    assert.notEqual(anonymous.headers.location, '/mfa/settings?notice=default_cleared');
    assert.deepEqual(await defaultsOf(t, 'alice'), [t.sms]);
  });

  it('the page form needs its CSRF token: none or a forged one is 403 and nothing changes', async () => {
    const t = await aliceWithThreeMethods();
    for (const csrf of ['', 'forged-token']) {
      const refused = await makeDefault(t.agent, t.voice, csrf);
      assert.equal(refused.status, 403, csrf);
    }
    // A token of another session (a second sign-in's prompt page) is not this session's.
    const mallory = request.agent(t.app);
    await formLogin(t.app, mallory);
    const theirs = csrfFrom((await mallory.get('/mfa/prompt').set('Accept', 'text/html')).text);
    assert.equal((await makeDefault(t.agent, t.voice, theirs)).status, 403);
    assert.deepEqual(await defaultsOf(t, 'alice'), []);
    assert.ok(!t.events.some((e) => e.type === 'default_method_changed'));
  });

  it("another user's method is 404 through the page and the API, and neither default changes", async () => {
    const t = await aliceWithThreeMethods();
    await t.mfa.methods.setDefault('bob', t.bobs, { ip: '192.0.2.1' });
    const page = await makeDefault(t.agent, t.bobs);
    assert.equal(page.status, 404);
    assert.match(page.text, /No such sign-in method/);
    const api = await t.agent.put(`/mfa/api/methods/${t.bobs}/default`).send({});
    assert.equal(api.status, 404);
    assert.equal(api.body.error, 'unknown_method');
    assert.deepEqual(await defaultsOf(t, 'alice'), []);
    assert.deepEqual(await defaultsOf(t, 'bob'), [t.bobs]);
    // Nor can Alice clear Bob's: DELETE is always her own.
    assert.equal((await t.agent.delete('/mfa/api/default-method')).status, 204);
    assert.deepEqual(await defaultsOf(t, 'bob'), [t.bobs]);
  });

  it('malformed or unknown ids are 400 or 404 with a clear message, never 5xx', async () => {
    const t = await aliceWithThreeMethods();
    const token = csrfFrom((await settingsOf(t.agent)).text);
    const ids = ['x'.repeat(65), 'a.b', '%00', '%E0%A4%A', "';drop", 'no-such-method', '__proto__'];
    for (const id of ids) {
      const page = await makeDefault(t.agent, id, token);
      const api = await t.agent.put(`/mfa/api/methods/${id}/default`).send({});
      for (const res of [page, api]) {
        assert.ok([400, 404].includes(res.status), `${id}: ${res.status}`);
        assert.doesNotMatch(res.text, /unavailable right now/, id);
      }
      if (api.headers['content-type']?.includes('json')) assert.ok(api.body.message, id);
    }
    const malformed = await t.agent.put(`/mfa/api/methods/${'x'.repeat(65)}/default`).send({});
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.message, 'id is malformed');
    // A form body to the JSON API (what a cross-site form could send) is refused as such.
    const form = await t.agent.put(`/mfa/api/methods/${t.voice}/default`).type('form').send({ a: '1' });
    assert.equal(form.status, 415);
    assert.deepEqual(await defaultsOf(t, 'alice'), []);
  });

  it('needs a completed sign-in: anonymous or password-only sessions are sent to sign in (401 on the API)', async () => {
    const t = await aliceWithThreeMethods();
    const anonymous = request.agent(t.app);
    assert.equal((await anonymous.put(`/mfa/api/methods/${t.voice}/default`).send({})).status, 401);
    assert.equal((await anonymous.delete('/mfa/api/default-method')).status, 401);
    // Alice's password alone (her second step pending), with a valid token of that session.
    const { agent: halfway } = await formLogin(t.app);
    const token = csrfFrom((await halfway.get('/mfa/prompt').set('Accept', 'text/html')).text);
    const page = await makeDefault(halfway, t.voice, token);
    assert.equal(page.status, 303);
    assert.match(page.headers.location ?? '', /^\/login\?returnTo=/);
    const api = await halfway.put(`/mfa/api/methods/${t.voice}/default`).send({});
    assert.equal(api.status, 401);
    assert.equal((await halfway.delete('/mfa/api/default-method')).status, 401);
    assert.deepEqual(await defaultsOf(t, 'alice'), []);
  });

  it('the JSON API chooses (204), lists isDefault, and chooses none (204)', async () => {
    const t = await aliceWithThreeMethods();
    assert.equal((await t.agent.put(`/mfa/api/methods/${t.sms}/default`).send({})).status, 204);
    const listed = await t.agent.get('/mfa/api/methods');
    assert.equal(listed.status, 200);
    const flags = Object.fromEntries(
      (listed.body.methods as { id: string; isDefault: boolean }[]).map((m) => [m.id, m.isDefault]),
    );
    assert.deepEqual(flags, { [t.totpId]: false, [t.sms]: true, [t.voice]: false });
    assert.equal((await t.agent.delete('/mfa/api/default-method')).status, 204);
    const none = await t.agent.get('/mfa/api/methods');
    assert.ok((none.body.methods as { isDefault: boolean }[]).every((m) => !m.isDefault));
    const changes = t.events.filter((e) => e.type === 'default_method_changed');
    assert.equal(changes.length, 2);
  });

  it('the sign-in prompt leads with the default send button, marked, and sends nothing by itself', async () => {
    const t = await aliceWithThreeMethods();
    await makeDefault(t.agent, t.voice);
    const { agent, location } = await formLogin(t.app);
    assert.equal(location, '/mfa/prompt');
    const sent = t.outbox.messages.length;
    const prompt = await agent.get('/mfa/prompt').set('Accept', 'text/html');
    assert.equal(prompt.status, 200);
    assert.deepEqual(sendOrder(prompt.text), [t.voice, t.sms]);
    assert.match(
      prompt.text,
      /<button type="submit" class="secondary">Call \+•• ••• ••56 \(your default\)<\/button>/,
    );
    assert.match(
      prompt.text,
      /class="secondary">Text a code to \+•• ••• ••23<\/button>/,
      'the other unmarked',
    );
    assert.ok(
      prompt.text.indexOf('(your default)') < prompt.text.indexOf('name="code"'),
      'before the code field',
    );
    assert.equal(t.outbox.messages.length, sent, 'showing the prompt sends nothing');
    // The step-up page of the signed-in session leads with it too.
    const verify = await t.agent.get('/mfa/verify').set('Accept', 'text/html');
    assert.equal(verify.status, 200);
    assert.deepEqual(sendOrder(verify.text), [t.voice, t.sms]);
    assert.match(verify.text, /Call \+•• ••• ••56 \(your default\)/);
    assert.equal(t.outbox.messages.length, sent, 'showing the step-up page sends nothing');
  });

  it('a typed default (the authenticator app): the code field leads, marked; the phones follow unmarked', async () => {
    const t = await aliceWithThreeMethods();
    await makeDefault(t.agent, t.totpId);
    const { agent } = await formLogin(t.app);
    const prompt = await agent.get('/mfa/prompt').set('Accept', 'text/html');
    assert.match(prompt.text, /<label for="code">Verification code \(your default\)<\/label>/);
    assert.ok(
      prompt.text.indexOf('name="code"') < prompt.text.indexOf('name="methodId"'),
      'the code field first',
    );
    assert.match(prompt.text, /Send a code to your phone with a button below/);
    assert.equal(prompt.text.match(/\(your default\)/g)?.length, 1, 'no phone marked');
    assert.deepEqual(sendOrder(prompt.text), [t.sms, t.voice]);
  });

  it('removing the default method clears it: no default listed, the prompt marks none', async () => {
    const t = await aliceWithThreeMethods();
    await makeDefault(t.agent, t.voice);
    const settings = await settingsOf(t.agent);
    const removed = await t.agent
      .post(`/mfa/methods/${t.voice}/remove`)
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(settings.text) });
    assert.equal(removed.status, 303);
    assert.deepEqual(await defaultsOf(t, 'alice'), []);
    assert.doesNotMatch((await settingsOf(t.agent)).text, /class="default">Default</);
    const { agent } = await formLogin(t.app);
    const prompt = await agent.get('/mfa/prompt').set('Accept', 'text/html');
    assert.doesNotMatch(prompt.text, /your default/);
    assert.deepEqual(sendOrder(prompt.text), [t.sms]);
  });
});
