// The app-password pages as a browser uses them, over the test app with app passwords on
// (test/helpers/app-password-app.ts): a signed-in user, the settings page, the create form's
// hidden fields (CSRF token and one-time formId) read from it, a form posted, the password shown.
import type { Agent, Response } from 'supertest';
import { codeFor, type makeApp } from './app.ts';
import { makeAppPasswordApp } from './app-password-app.ts';
import { inputValue } from './browser.ts';
import { csrfFrom, enrolUser, signIn } from './flows.ts';
import type { TestClock } from './test-clock.ts';

/** `user` enrolled (authenticator app) and signed in, on `built` (app passwords on by default). */
export async function signedInUser(user = 'alice', built: ReturnType<typeof makeApp> = makeAppPasswordApp()) {
  const { secret } = await enrolUser(built.app, built.clock, user);
  const { agent } = await signIn(built.app, built.clock, user, secret);
  return { ...built, agent, secret };
}

export const settingsOf = (agent: Agent) => agent.get('/mfa/settings').set('Accept', 'text/html');

/** A form posted as a browser does (repeated `apps` for several checkboxes). */
export async function postForm(
  agent: Agent,
  fields: [string, string][],
  path = '/mfa/app-passwords',
): Promise<Response> {
  return agent
    .post(path)
    .set('Accept', 'text/html')
    .type('form')
    .send(new URLSearchParams(fields).toString());
}

/** The create form's hidden fields on a settings page: its CSRF token and one-time formId. */
export const createFormFields = (page: string): [string, string][] => [
  ['_csrf', csrfFrom(page)],
  ['formId', inputValue(page, 'formId')],
];

/** The new password on the page that shows it once, if there is one. */
export const passwordOn = (page: string) =>
  /<code class="app-password"[^>]*>([a-z ]+)<\/code>/.exec(page)?.[1];

/**
 * The step-up a stale session's create is sent to: the verify page at `location` (the 303's),
 * its code from the authenticator app, and the answer that sends the browser back to the form.
 */
export async function verifyThenBack(agent: Agent, location: string, secret: string, clock: TestClock) {
  const verifyPage = await agent.get(location).set('Accept', 'text/html').expect(200);
  return postForm(
    agent,
    [
      ['_csrf', csrfFrom(verifyPage.text)],
      ['returnTo', '/mfa/app-passwords'],
      ['code', codeFor(secret, clock)],
    ],
    '/mfa/verify',
  );
}
