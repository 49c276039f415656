// The Passport example with passkeys enabled, over HTTP. The second-step page: the first-method
// chooser, each choice's registration posting to the 'mfa' strategy's route, the WebAuthn
// scripts the passkey pages load (served by the router the example mounts), and a passkey answer
// that no authenticator made refused with nothing registered. The 'passkey' strategy
// (passwordless): a challenge used once, only by the session it was given to, and a forged answer
// refused with nobody signed in. The ceremonies themselves run in Chromium:
// passkeys-chromium.test.ts.
import assert from 'node:assert/strict';
import request, { type Agent } from 'supertest';
import type { User } from '../../examples/passport/app.ts';
import { MFA_MESSAGES, PASSKEY_MESSAGES } from '../../src/passport/index.ts';
import { inputValue } from '../helpers/browser.ts';
import { testClock } from '../helpers/test-clock.ts';
import { alertOf, createExampleApp, mfaPageOf, passwordStep } from './passport-flows.ts';

const USERS: User[] = [{ id: 'u-alice', name: 'Alice' }];
const ORIGIN = 'http://localhost:3000';

function makeApp() {
  const { app, mfa } = createExampleApp({ users: USERS, clock: testClock(), origin: ORIGIN });
  app.get('/test/session', (req, res) => {
    res.json({ messages: req.session.messages ?? [], user: req.user ?? null });
  });
  return { app, mfa };
}

const CHOICE_LINK = /<a href="\/login\/mfa\?method=([a-z]+)">([^<]+)<\/a>/g;
const choicesOf = (html: string) => [...html.matchAll(CHOICE_LINK)].map((m) => [m[1], m[2]]);

async function messagesOf(agent: Agent): Promise<string[]> {
  return (await agent.get('/test/session')).body.messages;
}

/** The passkey registration page: its draft id and the creation options it embeds for the browser. */
function passkeyFormOf(html: string) {
  assert.match(
    html,
    /<form method="post" action="\/login\/mfa" id="mfakit-register" data-webauthn="register"/,
  );
  const json = /<script type="application\/json" id="mfakit-register-options">([^<]+)<\/script>/.exec(
    html,
  )?.[1];
  assert.ok(json, 'the creation options are on the page');
  return {
    draftId: inputValue(html, 'draftId'),
    options: JSON.parse(json) as { rp: { id: string; name: string }; challenge: string },
  };
}

describe('Passport: the second-step page with passkeys enabled', () => {
  it('a first sign-in offers the choice; each choice is its registration, posting to the strategy', async () => {
    const { app } = makeApp();
    const { agent } = await passwordStep(app, 'alice');

    const chooser = await mfaPageOf(agent);
    assert.equal(chooser.status, 200);
    assert.match(chooser.text, /Choose a sign-in method/);
    assert.deepEqual(choicesOf(chooser.text), [
      ['totp', 'Authenticator app'],
      ['webauthn', 'Passkey or security key'],
    ]);
    assert.equal(alertOf(chooser.text), null);

    const passkey = await agent.get('/login/mfa?method=webauthn');
    assert.equal(passkey.status, 200);
    assert.match(passkey.text, /Add a passkey or security key/);
    const { draftId, options } = passkeyFormOf(passkey.text);
    assert.ok(draftId);
    assert.deepEqual(options.rp, { id: 'localhost', name: 'Example Co' });
    // The WebAuthn scripts, from this origin (CSP script-src 'self'): the router the example mounts at /mfa.
    assert.match(passkey.text, /<script src="\/mfa\/assets\/webauthn-browser\.js"><\/script>/);
    assert.match(passkey.text, /<script src="\/mfa\/assets\/webauthn-client\.js"><\/script>/);
    assert.match(passkey.headers['content-security-policy'] ?? '', /script-src 'self'/);
    for (const script of ['webauthn-browser.js', 'webauthn-client.js']) {
      const served = await agent.get(`/mfa/assets/${script}`);
      assert.equal(served.status, 200, script);
      assert.match(served.headers['content-type'] ?? '', /javascript/);
    }

    // Changing one's mind: the other choice is the authenticator-app registration, on the same route.
    const app2 = await agent.get('/login/mfa?method=totp');
    assert.match(app2.text, /Set up your authenticator app/);
    assert.match(app2.text, /<form method="post" action="\/login\/mfa">/);
    const secret = /id="secret">([A-Z2-7]+)</.exec(app2.text)?.[1];
    assert.ok(secret);
    // The page without a choice (a reload, a failure's redirect) goes on with the method begun.
    assert.match((await mfaPageOf(agent)).text, new RegExp(`id="secret">${secret}<`));
    assert.match((await agent.get('/login/mfa?method=sms')).text, new RegExp(`id="secret">${secret}<`));
  });

  it('a choice that is not on offer shows the chooser again, starting nothing', async () => {
    const { app } = makeApp();
    const { agent } = await passwordStep(app, 'alice');
    for (const query of ['?method=sms', '?method=recovery_code', '?method=', '?method[]=webauthn']) {
      const page = await agent.get(`/login/mfa${query}`);
      assert.equal(page.status, 200, query);
      assert.match(page.text, /Choose a sign-in method/, query);
      assert.doesNotMatch(page.text, /name="draftId"/, query);
    }
  });

  it('a passkey answer no authenticator made is refused: the reason on the page, nothing registered', async () => {
    const { app, mfa } = makeApp();
    const { agent } = await passwordStep(app, 'alice');
    const first = passkeyFormOf((await agent.get('/login/mfa?method=webauthn')).text);

    const notJson = await agent
      .post('/login/mfa')
      .type('form')
      .send({ draftId: first.draftId, credential: '{' });
    assert.equal(notJson.status, 302);
    assert.equal(notJson.headers.location, '/login/mfa');
    assert.deepEqual(await messagesOf(agent), ['credential is not JSON']);

    // Back on the page: the reason once, and a new ceremony (a passkey's challenge is never reused).
    const again = await mfaPageOf(agent);
    assert.equal(alertOf(again.text), 'credential is not JSON');
    const second = passkeyFormOf(again.text);
    assert.notEqual(second.options.challenge, first.options.challenge);

    const forged = JSON.stringify({
      id: 'AAAA',
      rawId: 'AAAA',
      type: 'public-key',
      response: { clientDataJSON: 'AAAA', attestationObject: 'AAAA' },
      clientExtensionResults: {},
    });
    const refused = await agent
      .post('/login/mfa')
      .type('form')
      .send({ draftId: second.draftId, credential: forged });
    assert.equal(refused.headers.location, '/login/mfa');
    assert.deepEqual(await messagesOf(agent), [MFA_MESSAGES.invalidPasskey]);
    const tooLong = await agent
      .post('/login/mfa')
      .type('form')
      .send({ draftId: second.draftId, credential: JSON.stringify({ id: 'x'.repeat(13_000) }) });
    assert.equal(tooLong.headers.location, '/login/mfa');
    assert.deepEqual(await messagesOf(agent), [MFA_MESSAGES.invalidPasskey, 'credential is too long']);

    assert.deepEqual(await mfa.methods.list('u-alice'), [], 'nothing registered');
    assert.equal((await agent.get('/test/session')).body.user, null, 'nobody logged in');
    assert.equal(
      (await agent.get('/mfa/api/status')).body.status,
      'enroll_required',
      'the sign-in still waits',
    );
  });
});

const FORGED_ASSERTION = JSON.stringify({
  id: 'AAAA',
  rawId: 'AAAA',
  type: 'public-key',
  response: { clientDataJSON: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' },
  clientExtensionResults: {},
});

/** The router's passwordless challenge for this browser's session. */
async function passkeyChallenge(agent: Agent): Promise<string> {
  const res = await agent.get('/mfa/passkey/options').set('Accept', 'application/json');
  assert.equal(res.status, 200);
  assert.equal(res.body.options.rpId, 'localhost');
  return res.body.challengeId;
}

describe("Passport: the 'passkey' strategy (passwordless first factor)", () => {
  it('a forged answer is refused with the reason; nobody is signed in, no sign-in begins', async () => {
    const { app } = makeApp();
    const agent = request.agent(app);
    const challengeId = await passkeyChallenge(agent);
    const res = await agent
      .post('/login/passkey')
      .type('form')
      .send({ challengeId, credential: FORGED_ASSERTION });
    assert.equal(res.status, 401);
    assert.equal(res.text, PASSKEY_MESSAGES.refused);
    assert.equal((await agent.get('/test/session')).body.user, null);
    assert.equal((await agent.get('/mfa/api/status')).body.status, 'none');
  });

  it('a challenge is used once, and only by the session it was given to', async () => {
    const { app } = makeApp();
    const agent = request.agent(app);
    const challengeId = await passkeyChallenge(agent);
    await agent.post('/login/passkey').type('form').send({ challengeId, credential: FORGED_ASSERTION });
    const replayed = await agent
      .post('/login/passkey')
      .type('form')
      .send({ challengeId, credential: FORGED_ASSERTION });
    assert.equal(replayed.status, 401);
    assert.equal(replayed.text, PASSKEY_MESSAGES.expired);

    // Another browser's challenge (login CSRF, a challenge handed to an attacker's session).
    const other = request.agent(app);
    const foreign = await passkeyChallenge(other);
    const stolen = await agent
      .post('/login/passkey')
      .type('form')
      .send({ challengeId: foreign, credential: FORGED_ASSERTION });
    assert.equal(stolen.text, PASSKEY_MESSAGES.expired);
    const none = await request(app)
      .post('/login/passkey')
      .type('form')
      .send({ challengeId: foreign, credential: '{}' });
    assert.equal(none.text, PASSKEY_MESSAGES.expired);
  });

  it("attack: forged answers spend the address's first-factor budget; then 429 with Retry-After, even on a new challenge", async () => {
    const { app } = createExampleApp({
      users: USERS,
      clock: testClock(),
      origin: ORIGIN,
      firstFactor: { perAddress: { maxFailures: 2, windowMinutes: 15 } },
    });
    const post = async () => {
      const agent = request.agent(app);
      const challengeId = await passkeyChallenge(agent);
      return agent.post('/login/passkey').type('form').send({ challengeId, credential: FORGED_ASSERTION });
    };
    assert.equal((await post()).status, 401);
    assert.equal((await post()).status, 401);
    const refused = await post();
    assert.equal(refused.status, 429);
    const wait = Number(refused.headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 900);
    assert.equal(refused.text, PASSKEY_MESSAGES.throttled(wait));
  });

  it('a malformed body is refused with its first problem, and still uses up the challenge', async () => {
    const { app } = makeApp();
    const agent = request.agent(app);
    const challengeId = await passkeyChallenge(agent);
    const notJson = await agent.post('/login/passkey').type('form').send({ challengeId, credential: 'nope' });
    assert.equal(notJson.status, 401);
    assert.equal(notJson.text, 'credential is not JSON');
    const later = await agent
      .post('/login/passkey')
      .type('form')
      .send({ challengeId, credential: FORGED_ASSERTION });
    assert.equal(later.text, PASSKEY_MESSAGES.expired);
    const missing = await request(app).post('/login/passkey').type('form').send({});
    assert.equal(missing.text, 'challengeId is required');
  });
});
