// Sign-in steps over the JSON API of the test app (test/helpers/app.ts), as supertest agents
// that keep their cookies: the password step, a first sign-in that enrols an authenticator app,
// a full sign-in with the current code; the password form as a browser posts it; and the CSRF
// token of a rendered form.
import assert from 'node:assert/strict';
import type { Express } from 'express';
import type { Agent } from 'supertest';
import request from 'supertest';
import { codeFor } from './app.ts';
import type { TestClock } from './test-clock.ts';

/** An agent (cookies kept) and the answer to its last step. */
export interface AgentStep {
  agent: Agent;
  res: request.Response;
}

/** Signs in with the password through the JSON API; returns the agent (cookies kept). */
export async function passwordStep(
  app: Express,
  user: string,
  agent: Agent = request.agent(app),
): Promise<AgentStep> {
  const res = await agent.post('/login').send({ username: user, password: `${user}-pw` });
  if (res.status !== 200) throw new Error(`password step failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { agent, res };
}

/** Alice's password posted from the login form as a browser does: the agent and where it is sent (303). */
export async function formLogin(app: Express, agent: Agent = request.agent(app)) {
  const login = await agent
    .post('/login')
    .type('form')
    .set('Accept', 'text/html')
    .send({ username: 'alice', password: 'alice-pw' });
  if (login.status !== 303) throw new Error(`password form: ${login.status} ${login.text.slice(0, 200)}`);
  return { agent, location: login.headers.location as string };
}

/** Alice's password in a new browser (the form): her agent and the prompt page. */
export async function promptPage(built: { app: Express }) {
  const { agent, location } = await formLogin(built.app);
  assert.equal(location, '/mfa/prompt');
  const prompt = await agent.get('/mfa/prompt').set('Accept', 'text/html');
  assert.equal(prompt.status, 200);
  return { agent, prompt: prompt.text };
}

/** Signs in for the first time and enrols an authenticator app; returns its base32 secret. */
export async function enrolUser(app: Express, clock: TestClock, user: string) {
  const { agent } = await passwordStep(app, user);
  const draft = await agent.post('/mfa/api/enroll/totp').send({});
  if (draft.status !== 201) throw new Error(`enroll failed: ${draft.status} ${JSON.stringify(draft.body)}`);
  const done = await agent
    .post('/mfa/api/enroll/totp/confirm')
    .send({ draftId: draft.body.draftId, code: codeFor(draft.body.secret, clock) });
  if (done.status !== 200) throw new Error(`confirm failed: ${done.status} ${JSON.stringify(done.body)}`);
  await agent.post('/logout');
  clock.advance(30_000);
  return { secret: draft.body.secret as string, recoveryCodes: done.body.recoveryCodes as string[], agent };
}

/** A full sign-in with password + current TOTP code; returns the signed-in agent. */
export async function signIn(
  app: Express,
  clock: TestClock,
  user: string,
  secret: string,
  extra: Record<string, unknown> = {},
): Promise<AgentStep> {
  const { agent } = await passwordStep(app, user);
  const res = await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock), ...extra });
  if (res.status !== 200) throw new Error(`verify failed: ${res.status} ${JSON.stringify(res.body)}`);
  clock.advance(30_000);
  return { agent, res };
}

/** The CSRF token from a rendered form. */
export function csrfFrom(htmlText: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(htmlText);
  if (!m?.[1]) throw new Error('no CSRF token in page');
  return m[1];
}

/** A form posted from a rendered page (with its CSRF token), as the browser sends it. */
export const submitForm = (agent: Agent, path: string, page: string, fields: Record<string, string>) =>
  agent
    .post(path)
    .type('form')
    .set('Accept', 'text/html')
    .send({ _csrf: csrfFrom(page), ...fields });
