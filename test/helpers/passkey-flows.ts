// Passkey steps over the JSON API of the test app (test/helpers/app.ts) with the webauthn
// method enabled on http://localhost:3000, driven by a software authenticator
// (soft-authenticator.ts): a first sign-in that registers a passkey, the request options a
// pending sign-in's prompt page hands the browser, a sign-in with the passkey, and the step-up
// challenges a session is offered (and an attacker's answer to one it is not).

import assert from 'node:assert/strict';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { Express } from 'express';
import type { Agent } from 'supertest';
import type { MfaExpressOptions } from '../../src/express/index.ts';
import { type AuthStamp, hotp, type Mfa, type MfaOptions, recoveryCode, totp } from '../../src/index.ts';
import { type WebAuthnSettingsInput, webauthn } from '../../src/methods/webauthn/index.ts';
import { makeApp } from './app.ts';
import { type AgentStep, passwordStep } from './flows.ts';
import { asRequestOptions, SoftAuthenticator } from './soft-authenticator.ts';
import type { TestClock } from './test-clock.ts';

/** The origin the test app's pages would run on; supertest does not send one, the authenticator reports it. */
export const ORIGIN = 'http://localhost:3000';

/** passkeyApp's options: the webauthn method's settings over the defaults, and the engine's. */
export type PasskeyAppOptions = {
  webauthn?: Partial<WebAuthnSettingsInput>;
  clock?: TestClock;
  web?: Partial<MfaExpressOptions>;
} & Partial<MfaOptions>;

/** The test app with authenticator apps, OATH tokens, recovery codes and passkeys (rpID localhost). */
export function passkeyApp(options: PasskeyAppOptions = {}) {
  const { webauthn: settings, ...overrides } = options;
  return makeApp({
    methods: [
      totp,
      hotp,
      recoveryCode,
      webauthn({ rpID: 'localhost', rpName: 'Test', origins: [ORIGIN], ...settings }),
    ],
    ...overrides,
  });
}

/** An authenticator on a page of ORIGIN. */
export const authenticatorAt = (traits: Partial<ConstructorParameters<typeof SoftAuthenticator>[0]> = {}) =>
  new SoftAuthenticator({ origin: ORIGIN, ...traits });

/** Starts registering a passkey (first sign-in or security info): the draft id and the creation options. */
export async function beginPasskeyDraft(agent: Agent) {
  const res = await agent.post('/mfa/api/enroll/webauthn').send({});
  if (res.status !== 201) throw new Error(`enroll failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    draftId: res.body.draftId as string,
    options: res.body.options as PublicKeyCredentialCreationOptionsJSON,
  };
}

/**
 * A first sign-in with the password that registers a passkey on `authenticator`, then signs
 * out; the new credential's id.
 */
export async function registerFirstPasskey(
  app: Express,
  user: string,
  authenticator: SoftAuthenticator,
): Promise<string> {
  const { agent } = await passwordStep(app, user);
  const { draftId, options } = await beginPasskeyDraft(agent);
  const credential = authenticator.register(options);
  const done = await agent.post('/mfa/api/enroll/webauthn/confirm').send({ draftId, credential });
  if (done.status !== 200) throw new Error(`confirm failed: ${done.status} ${JSON.stringify(done.body)}`);
  await agent.post('/logout');
  return credential.id;
}

/**
 * The request options of the passkey form on a page (a new challenge each load): the pending
 * sign-in's prompt, or `/mfa/verify` for a step-up of a signed-in session.
 */
export async function promptOptions(
  agent: Agent,
  path: '/mfa/prompt' | '/mfa/verify' = '/mfa/prompt',
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const page = await agent.get(path);
  if (page.status !== 200) throw new Error(`${path} failed: ${page.status}`);
  const block = /<script type="application\/json" id="mfakit-webauthn-options">([^<]*)<\/script>/.exec(
    page.text,
  );
  if (!block?.[1]) throw new Error(`${path} offers no passkey`);
  return JSON.parse(block[1]) as PublicKeyCredentialRequestOptionsJSON;
}

/** Password, then the passkey as the second factor; the agent and the verify answer (status not checked). */
export async function passkeySignIn(
  app: Express,
  user: string,
  authenticator: SoftAuthenticator,
): Promise<AgentStep> {
  const { agent } = await passwordStep(app, user);
  const credential = authenticator.authenticate(await promptOptions(agent));
  const res = await agent.post('/mfa/api/verify').send({ credential });
  return { agent, res };
}

/** The kinds of the step-up challenges a signed-in session is offered (a passkey's request options). */
export async function offeredStepUpKinds(agent: Agent): Promise<string[]> {
  const res = await agent.post('/mfa/api/challenges').send({});
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return (res.body.challenges as { kind: string }[]).map((c) => c.kind);
}

/**
 * An attacker's step-up of the session `signedIn` (its stamp as the session holds it: its user,
 * sign-in time and id, which bind its challenges) with `soft`'s passkey, on a challenge got
 * anyway — bound to the session as a password session's would be — when the session itself
 * offers none: the step-up's answer.
 */
export async function stepUpWithPasskeyAnyway(
  agent: Agent,
  mfa: Mfa,
  soft: SoftAuthenticator,
  signedIn: { userId: string; authTime: number; sessionId?: string },
) {
  const { firstFactorMethodId: _passkey, ...session } = signedIn as AuthStamp;
  const [challenge] = await mfa.beginStepUpChallenges({
    ...session,
    version: 1,
    firstFactorAmr: ['pwd'],
    methods: ['password'],
  });
  assert.equal(challenge?.kind, 'webauthn', 'a challenge for a password session of the same sign-in');
  return agent
    .post('/mfa/api/step-up')
    .send({ credential: soft.authenticate(asRequestOptions(challenge.options)) });
}

/** Steps the session up with `soft`'s passkey on the first challenge the session is offered: the answer. */
export async function stepUpWithOfferedPasskey(agent: Agent, soft: SoftAuthenticator) {
  const offered = await agent.post('/mfa/api/challenges').send({});
  assert.equal(offered.status, 200, JSON.stringify(offered.body));
  const options = asRequestOptions(offered.body.challenges[0].options);
  return agent.post('/mfa/api/step-up').send({ credential: soft.authenticate(options) });
}
