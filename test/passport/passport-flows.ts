// Browser-like steps through a Passport app built the README's way: form posts, the second
// step's page read as HTML (its alert, its notice, an approval's Continue), cookies kept by a
// supertest agent, and a window on the session for the tests.
import assert from 'node:assert/strict';
import type { Express } from 'express';
import request, { type Agent, type Response } from 'supertest';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createApp, type User } from '../../examples/passport/app.ts';
import {
  createMfa,
  hotp,
  type MfaOptions,
  parseStamp,
  recoveryCode,
  totp,
  webauthn,
} from '../../src/index.ts';
import { codeFor } from '../helpers/app.ts';
import { inputValue } from '../helpers/browser.ts';
import type { TestClock } from '../helpers/test-clock.ts';

export const PASSWORD_OF = (user: string) => `correct horse ${user}`;

/** The password step: 303 to the second step's page (or wherever beginMfa sends the browser). */
export async function passwordStep(
  app: Express,
  user: string,
  agent: Agent = request.agent(app),
): Promise<{ agent: Agent; res: Response }> {
  const res = await agent
    .post('/login')
    .type('form')
    .send({ username: user, password: PASSWORD_OF(user) });
  assert.equal(res.status, 303, `password step: ${res.status} ${res.text}`);
  return { agent, res };
}

/** The second step's page, as HTML. */
export async function mfaPageOf(agent: Agent): Promise<Response> {
  return agent.get('/login/mfa').set('Accept', 'text/html');
}

/** The message box (role=alert) of a page, or null. */
export function alertOf(html: string): string | null {
  return /<p class="error" role="alert">([^<]*)<\/p>/.exec(html)?.[1]?.replace(/&#39;/g, "'") ?? null;
}

/** The notice of a page (what was sent, what it waits for), or null. */
export function noticeOf(html: string): string | null {
  return /<p class="notice">([^<]*)<\/p>/.exec(html)?.[1] ?? null;
}

/** The second step's page, then its approval's Continue (push=1 for the method it names). */
export async function pressContinue(agent: Agent): Promise<Response> {
  const page = await mfaPageOf(agent);
  assert.match(page.text, /<input type="hidden" name="push" value="1">/);
  return agent
    .post('/login/mfa')
    .type('form')
    .send({ push: '1', methodId: inputValue(page.text, 'methodId') });
}

/** What `GET /test/session` (addSessionWindow) shows: Passport's messages and user, the stamp. */
export interface SessionWindow {
  messages: string[];
  user: User | null;
  stamp: { amr: string[]; methods: string[] } | null;
}

/** Adds `GET /test/session` to the app, after the example's own routes (see SessionWindow). */
export function addSessionWindow(app: Express): void {
  app.get('/test/session', (req, res) => {
    res.json({
      messages: req.session.messages ?? [],
      user: req.user ?? null,
      stamp: parseStamp(req.session.mfakit?.stamp),
    });
  });
}

/** The session of `agent`'s browser, through addSessionWindow's route. */
export async function sessionOf(agent: Agent): Promise<SessionWindow> {
  return (await agent.get('/test/session')).body as SessionWindow;
}

/** The recovery codes listed on a page. */
export function recoveryCodesOf(html: string): string[] {
  return [...html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1] ?? '');
}

/**
 * A first sign-in of a user without a method, through the page: the password, the
 * authenticator-app registration, the recovery codes, "continue". Returns the secret, the codes
 * and the last answer (Passport's success redirect).
 */
export async function firstSignIn(
  app: Express,
  clock: TestClock,
  user: string,
  agent: Agent = request.agent(app),
): Promise<{ agent: Agent; secret: string; recoveryCodes: string[]; done: Response }> {
  await passwordStep(app, user, agent);
  const enroll = await mfaPageOf(agent);
  assert.equal(enroll.status, 200);
  const secret = /<code class="secret" id="secret">([A-Z2-7]+)<\/code>/.exec(enroll.text)?.[1];
  assert.ok(secret, 'the registration page shows the key');
  const confirmed = await agent
    .post('/login/mfa')
    .type('form')
    .send({ draftId: inputValue(enroll.text, 'draftId'), code: codeFor(secret, clock), label: 'Phone' });
  assert.equal(confirmed.status, 303, confirmed.text);
  assert.equal(confirmed.headers.location, '/login/mfa');
  const codesPage = await mfaPageOf(agent);
  const recoveryCodes = recoveryCodesOf(codesPage.text);
  assert.equal(recoveryCodes.length, 10, codesPage.text);
  const done = await agent.post('/login/mfa').type('form').send({});
  return { agent, secret, recoveryCodes, done };
}

/**
 * The README's Passport example (examples/passport/app.ts) as these tests run it: memory stores
 * (on `clock` when given), remembered-device cookies over plain HTTP, `users` signing in with
 * PASSWORD_OF(their lower-case name), passkeys on when pages are served from `origin`, and the
 * first-factor throttle's settings when given.
 */
export function createExampleApp(options: {
  users: User[];
  clock?: TestClock;
  origin?: string;
  firstFactor?: MfaOptions['firstFactor'];
  /** Engine options on top (other methods, the phone's delivery). */
  engine?: Partial<MfaOptions>;
}) {
  const { users, clock, origin, firstFactor } = options;
  const mfa = createMfa({
    ...(firstFactor ? { firstFactor } : {}),
    stores: createMemoryStores(clock ? { clock } : {}),
    ...(clock ? { clock } : {}),
    issuer: 'Example Co',
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 7) }],
    audit: () => {},
    rememberDevice: { enabled: true, days: 14, maxDays: 60, cookieName: 'mfakit_rd', secureCookie: false },
    ...(origin
      ? {
          methods: [
            totp,
            hotp,
            recoveryCode,
            webauthn({ rpID: 'localhost', rpName: 'Example Co', origins: [origin] }),
          ],
        }
      : {}),
    ...options.engine,
  });
  const app = createApp(
    mfa,
    {
      findById: async (id) => users.find((u) => u.id === id) ?? null,
      findByName: async (name) => users.find((u) => u.name.toLowerCase() === name) ?? null,
      checkPassword: async (id, password) => {
        const user = users.find((u) => u.id === id);
        return user !== undefined && password === PASSWORD_OF(user.name.toLowerCase());
      },
    },
    'a session secret for tests',
  );
  return { app, mfa };
}
