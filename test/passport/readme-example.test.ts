import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import request, { type Agent } from 'supertest';
import type { User } from '../../examples/passport/app.ts';
import { MFA_MESSAGES } from '../../src/passport/index.ts';
import { codeFor } from '../helpers/app.ts';
import { testClock } from '../helpers/test-clock.ts';
import { alertOf, createExampleApp, firstSignIn, mfaPageOf, passwordStep } from './passport-flows.ts';

/**
 * The README's "Passport in five minutes" is examples/passport/app.ts, verbatim; this runs it:
 * passport-local, beginMfa, the 'mfa' strategy under passport.authenticate with Passport's own
 * options, over a real express-session.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const USERS: User[] = [
  { id: 'u-alice', name: 'Alice' },
  { id: 'u-bob', name: 'Bob' },
];
const _byName = (name: string) => USERS.find((u) => u.name.toLowerCase() === name) ?? null;

function makeExampleApp() {
  const clock = testClock();
  const { app, mfa } = createExampleApp({ users: USERS, clock });
  // A window on the session, added after the example's own middleware: what Passport and mfakit keep there.
  app.get('/test/session', (req, res) => {
    res.json({
      messages: req.session.messages ?? [],
      returnTo: req.session.returnTo ?? null,
      user: req.user ?? null,
    });
  });
  return { app, mfa, clock };
}

type ExampleApp = ReturnType<typeof makeExampleApp>;

async function sessionOf(agent: Agent) {
  const res = await agent.get('/test/session');
  return res.body as { messages: string[]; returnTo: string | null; user: User | null };
}

/** Alice with an authenticator app (registered at her first sign-in), signed out again. */
async function aliceEnrolled(t: ExampleApp) {
  const first = await firstSignIn(t.app, t.clock, 'alice');
  assert.equal((await first.agent.post('/logout')).status, 302);
  t.clock.advance(30_000);
  return first;
}

const wrongCode = (right: string) => (right === '000000' ? '111111' : '000000');

describe('README: Passport in five minutes (examples/passport/app.ts)', () => {
  it('the README shows examples/passport/app.ts verbatim', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Passport in five minutes'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    assert.equal(block, readFileSync(join(ROOT, 'examples', 'passport', 'app.ts'), 'utf8'));
  });

  it('a sign-in with a code: the password alone sets no req.user; the code logs the user in', async () => {
    const t = makeExampleApp();
    const { secret } = await aliceEnrolled(t);
    const { agent, res } = await passwordStep(t.app, 'alice');
    assert.equal(res.headers.location, '/login/mfa');
    assert.equal((await sessionOf(agent)).user, null);
    assert.equal((await agent.get('/')).headers.location, '/login');

    const prompt = await mfaPageOf(agent);
    assert.equal(prompt.status, 200);
    assert.match(prompt.text, /<form method="post" action="\/login\/mfa">/);
    assert.match(prompt.text, /name="code"/);

    const done = await agent
      .post('/login/mfa')
      .type('form')
      .send({ code: codeFor(secret, t.clock) });
    assert.equal(done.status, 302);
    assert.equal(done.headers.location, '/');
    assert.equal((await sessionOf(agent)).user?.id, 'u-alice');
    const home = await agent.get('/');
    assert.equal(home.status, 200);
    assert.equal(home.text, 'Hello Alice');
  });

  it('a first sign-in registers an authenticator app and ends in the same completion (Passport success)', async () => {
    const t = makeExampleApp();
    const agent = request.agent(t.app);
    await passwordStep(t.app, 'bob', agent);
    const registration = await mfaPageOf(agent);
    assert.match(registration.text, /Set up your authenticator app/);
    assert.match(registration.text, /<form method="post" action="\/login\/mfa">/);

    // A wrong code: back to the page, with Passport's failure message, the same key kept.
    const secret = /id="secret">([A-Z2-7]+)</.exec(registration.text)?.[1] ?? '';
    const draftId = /name="draftId" value="([^"]+)"/.exec(registration.text)?.[1] ?? '';
    const wrong = await agent
      .post('/login/mfa')
      .type('form')
      .send({ draftId, code: wrongCode(codeFor(secret, t.clock)) });
    assert.equal(wrong.status, 302);
    assert.equal(wrong.headers.location, '/login/mfa');
    const again = await mfaPageOf(agent);
    assert.equal(alertOf(again.text), MFA_MESSAGES.invalidCode);
    assert.match(again.text, new RegExp(`id="secret">${secret}<`));

    const { recoveryCodes, done } = await firstSignIn(t.app, t.clock, 'bob', request.agent(t.app));
    assert.equal(done.status, 302);
    assert.equal(done.headers.location, '/');
    // Passport's login: req.user from loadUser, the stamp kept.
    t.clock.advance(30_000);
    const bob = request.agent(t.app);
    await passwordStep(t.app, 'bob', bob);
    const withRecovery = await bob.post('/login/mfa').type('form').send({ code: recoveryCodes[0] });
    assert.equal(withRecovery.status, 302, 'a recovery code shown at registration signs in');
    assert.equal((await bob.get('/')).text, 'Hello Bob');
  });

  it('registration: until "continue", nobody is signed in; the codes are shown once', async () => {
    const t = makeExampleApp();
    const agent = request.agent(t.app);
    await passwordStep(t.app, 'bob', agent);
    const page = await mfaPageOf(agent);
    const secret = /id="secret">([A-Z2-7]+)</.exec(page.text)?.[1] ?? '';
    const draftId = /name="draftId" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const confirmed = await agent
      .post('/login/mfa')
      .type('form')
      .send({ draftId, code: codeFor(secret, t.clock) });
    assert.equal(confirmed.headers.location, '/login/mfa');
    assert.equal((await sessionOf(agent)).user, null);
    assert.equal((await agent.get('/')).status, 302, 'no session before the codes are acknowledged');
    assert.equal(
      (await agent.get('/mfa/api/status')).body.status,
      'none',
      'no stamp the guard accepts either',
    );

    const codes = await mfaPageOf(agent);
    assert.match(codes.text, /Save your recovery codes/);
    const reload = await mfaPageOf(agent);
    assert.doesNotMatch(reload.text, /<li><code>/, 'shown once');
    assert.match(reload.text, /<form method="post" action="\/login\/mfa">/);

    const done = await agent.post('/login/mfa').type('form').send({});
    assert.equal(done.status, 302);
    assert.equal((await agent.get('/')).text, 'Hello Bob');
  });

  it('successReturnToOrRedirect goes to req.session.returnTo set before sign-in, else to its own value', async () => {
    const t = makeExampleApp();
    const { secret } = await aliceEnrolled(t);
    const agent = request.agent(t.app);
    const guarded = await agent.get('/?tab=security');
    assert.equal(guarded.headers.location, '/login');
    assert.equal((await sessionOf(agent)).returnTo, '/?tab=security');

    await passwordStep(t.app, 'alice', agent);
    assert.equal((await sessionOf(agent)).returnTo, '/?tab=security', 'kept across the new session');
    const done = await agent
      .post('/login/mfa')
      .type('form')
      .send({ code: codeFor(secret, t.clock), remember: '1' });
    assert.equal(done.headers.location, '/?tab=security');
    assert.equal((await sessionOf(agent)).returnTo, null, 'Passport deletes it');

    // The next sign-in, with nothing to return to: the option's value.
    assert.equal((await agent.post('/logout')).status, 302);
    t.clock.advance(30_000);
    const fresh = request.agent(t.app);
    await passwordStep(t.app, 'alice', fresh);
    const plain = await fresh
      .post('/login/mfa')
      .type('form')
      .send({ code: codeFor(secret, t.clock) });
    assert.equal(plain.headers.location, '/');

    // No second factor needed (this browser is remembered): beginMfa logs in at once, same rule.
    await agent.get('/?from=bookmark');
    const remembered = await passwordStep(t.app, 'alice', agent);
    assert.equal(remembered.res.headers.location, '/?from=bookmark');
    assert.equal((await agent.get('/')).text, 'Hello Alice');
  });

  it('failureRedirect + failureMessage: the reason goes to req.session.messages and the page shows it once', async () => {
    const t = makeExampleApp();
    const { secret } = await aliceEnrolled(t);
    const { agent } = await passwordStep(t.app, 'alice');
    const failed = await agent
      .post('/login/mfa')
      .type('form')
      .send({ code: wrongCode(codeFor(secret, t.clock)) });
    assert.equal(failed.status, 302);
    assert.equal(failed.headers.location, '/login/mfa');
    assert.deepEqual((await sessionOf(agent)).messages, [MFA_MESSAGES.invalidCode]);
    assert.equal((await sessionOf(agent)).user, null);

    const page = await mfaPageOf(agent);
    assert.equal(alertOf(page.text), MFA_MESSAGES.invalidCode);
    assert.deepEqual((await sessionOf(agent)).messages, []);
    assert.equal(alertOf((await mfaPageOf(agent)).text), null);

    // The pending sign-in survives a wrong code.
    const ok = await agent
      .post('/login/mfa')
      .type('form')
      .send({ code: codeFor(secret, t.clock) });
    assert.equal(ok.headers.location, '/');
  });

  it('a replayed code is refused', async () => {
    const t = makeExampleApp();
    const { secret } = await aliceEnrolled(t);
    const code = codeFor(secret, t.clock);
    const first = await passwordStep(t.app, 'alice');
    assert.equal((await first.agent.post('/login/mfa').type('form').send({ code })).headers.location, '/');
    await first.agent.post('/logout');

    const second = await passwordStep(t.app, 'alice');
    const replay = await second.agent.post('/login/mfa').type('form').send({ code });
    assert.equal(replay.headers.location, '/login/mfa');
    assert.deepEqual((await sessionOf(second.agent)).messages, [MFA_MESSAGES.invalidCode]);
    assert.equal((await sessionOf(second.agent)).user, null);
    assert.equal((await second.agent.get('/')).status, 302);
  });

  it('the second step without the first is refused', async () => {
    const t = makeExampleApp();
    const { secret } = await aliceEnrolled(t);
    const agent = request.agent(t.app);
    const skipped = await agent
      .post('/login/mfa')
      .type('form')
      .send({ code: codeFor(secret, t.clock) });
    assert.equal(skipped.status, 302);
    assert.equal(skipped.headers.location, '/login/mfa');
    assert.deepEqual((await sessionOf(agent)).messages, [MFA_MESSAGES.noPending]);
    assert.equal((await mfaPageOf(agent)).headers.location, '/login', 'the page sends it to the first step');
    assert.equal((await sessionOf(agent)).user, null);
    assert.equal((await agent.get('/')).headers.location, '/login');
  });
});
