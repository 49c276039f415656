/**
 * The demo relying party against a real oidc-provider, both listening on ephemeral
 * 127.0.0.1 ports. The test OP has its own tiny interaction route instead of a login form,
 * so each test decides what the OP answers: who signed in, with which acr and amr, or an
 * error. A "browser" keeps one cookie jar per origin and follows redirects by hand.
 * This module: the test OP, the browser, page helpers, and useDemoRpWorld(), which starts the OP
 * and the demo RP for a describe.
 */

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import Provider, { type Configuration, interactionPolicy } from 'oidc-provider';
import request from 'supertest';
import { ACR_MFA, ACR_PASSWORD, ACR_PHISHING_RESISTANT } from '../../../sample-idp/demo-rp/acr.ts';
import { createDemoRp, type DemoRpConfig } from '../../../sample-idp/demo-rp/rp-app.ts';
import { close, type Listening, listen } from '../../helpers/listen.ts';

export const CLIENT_ID = 'demo-rp';
export const CLIENT_SECRET = 'demo-rp-secret-that-is-long-enough';
export const SIGNING_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
  format: 'jwk',
});

/** What the test OP's interaction route answers next. */
export type OpAnswer =
  | { accountId: string; acr: string; amr: string[]; ts?: number }
  | { error: string; error_description: string };

/**
 * The OP's login prompt, plus one check the default policy lacks: `acr_values` asking for more
 * than the OP session has starts a new login (a step-up). After the interaction, whatever it
 * answered stands, so the OP can "answer pwd anyway".
 */
export function stepUpPolicy() {
  const policy = interactionPolicy.base();
  policy.get('login')?.checks.add(
    new interactionPolicy.Check('acr_values_step_up', 'a stronger sign-in was requested', (ctx) => {
      const wanted = ctx.oidc.params?.acr_values;
      if (typeof wanted !== 'string' || ctx.oidc.result?.login)
        return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return wanted.split(' ').includes(String(ctx.oidc.acr))
        ? interactionPolicy.Check.NO_NEED_TO_PROMPT
        : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

export async function startOp(op: Listening, rpUrl: string) {
  const state = {
    answer: { accountId: 'alice', acr: ACR_PASSWORD, amr: ['pwd'] } as OpAnswer,
    /** The authorization request parameters of each login interaction. */
    logins: [] as Array<Record<string, unknown>>,
  };
  const configuration: Configuration = {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${rpUrl}/callback`],
        post_logout_redirect_uris: [`${rpUrl}/signed-out`],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    claims: {
      openid: ['sub'],
      profile: ['name'],
      email: ['email'],
      acr: null,
      amr: null,
      auth_time: null,
    },
    acrValues: [ACR_PASSWORD, ACR_MFA, ACR_PHISHING_RESISTANT],
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, name: `User ${sub}`, email: `${sub}@example.test` }),
    }),
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    interactions: { policy: stepUpPolicy(), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    jwks: { keys: [{ ...SIGNING_KEY, kid: 'test', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['test-op-cookie-key-0123456789'] },
  };
  const provider = new Provider(op.url, configuration);
  const app = express();
  app.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        state.logins.push(details.params);
        const answer = state.answer;
        if ('error' in answer) return await provider.interactionFinished(req, res, answer);
        return await provider.interactionFinished(req, res, { login: answer });
      }
      const accountId = details.session?.accountId ?? '';
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      if (!grant) throw new Error('grant vanished');
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    } catch (err) {
      next(err);
    }
  });
  app.use(provider.callback());
  op.handle(app);
  return state;
}

export type Agent = ReturnType<typeof request.agent>;
export type Res = Awaited<ReturnType<Agent['get']>>;
/** Where following redirects stopped: the last response, its URL, the URLs visited, and the one not followed. */
export interface Flow {
  res: Res;
  url: string;
  trail: string[];
  next?: string;
}

/** One cookie jar per origin, like a browser (which would also separate them by port for the OP's `__Host-` cookies). */
export class Browser {
  private readonly agents = new Map<string, Agent>();
  agent(origin: string): Agent {
    let agent = this.agents.get(origin);
    if (!agent) {
      agent = request.agent(origin);
      this.agents.set(origin, agent);
    }
    return agent;
  }
  get(url: string): Promise<Res> {
    const u = new URL(url);
    return this.agent(u.origin)
      .get(u.pathname + u.search)
      .redirects(0);
  }
  post(url: string, form: Record<string, string>): Promise<Res> {
    const u = new URL(url);
    return this.agent(u.origin)
      .post(u.pathname + u.search)
      .type('form')
      .send(form)
      .redirects(0);
  }
  /** GETs `url` and follows redirects; stops before a URL `stopAt` accepts. */
  async follow(url: string, stopAt: (u: URL) => boolean = () => false): Promise<Flow> {
    const trail: string[] = [];
    let current = url;
    for (let i = 0; i < 20; i++) {
      trail.push(current);
      const res = await this.get(current);
      const location = res.headers.location;
      if (res.status < 300 || res.status >= 400 || typeof location !== 'string')
        return { res, url: current, trail };
      const next = new URL(location, current);
      if (stopAt(next)) return { res, url: current, trail, next: next.href };
      current = next.href;
    }
    throw new Error(`too many redirects: ${trail.join(' -> ')}`);
  }
}

export const claimCell = (page: string, claim: string) =>
  new RegExp(`data-claim="${claim}">([^<]*)<`).exec(page)?.[1];
export const csrfFrom = (page: string) => {
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m?.[1]) throw new Error(`no CSRF token in page: ${page}`);
  return m[1];
};
export const sessionCookie = (res: Res): string | undefined => {
  const raw = res.headers['set-cookie'] as unknown;
  const cookies = Array.isArray(raw) ? (raw as string[]) : [];
  return cookies.find((c) => c.startsWith('demo_rp_sid='));
};
export const jwtPayload = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));

export let op: Listening;
export let rp: Listening;
export let opState: Awaited<ReturnType<typeof startOp>>;
export let rpConfig: DemoRpConfig;

/** Registers the hooks that start the OP and the demo RP, stop them, and reset the OP's answer per test. */
export function useDemoRpWorld(): void {
  before(async () => {
    op = await listen();
    rp = await listen();
    opState = await startOp(op, rp.url);
    rpConfig = {
      issuer: op.url,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: `${rp.url}/callback`,
      postLogoutRedirectUri: `${rp.url}/signed-out`,
      baseUrl: rp.url,
      sessionSecret: 'a-session-secret-for-the-demo-rp-tests',
      allowInsecureHttp: true,
    };
    const { app } = await createDemoRp(rpConfig);
    rp.handle(app);
  });
  after(async () => {
    await close(rp);
    await close(op);
  });
  beforeEach(() => {
    opState.answer = { accountId: 'alice', acr: ACR_PASSWORD, amr: ['pwd'] };
    opState.logins.length = 0;
  });
}

export const isCallback = (u: URL) => u.origin === rp.url && u.pathname === '/callback';

/** Signs in from /login through the OP and back; returns the browser and the final page. */
export async function signIn(browser = new Browser(), path = '/login'): Promise<Flow & { browser: Browser }> {
  const flow = await browser.follow(`${rp.url}${path}`);
  return { browser, ...flow };
}

/** Runs the flow up to (not into) the RP's callback; returns the callback URL the OP sent. */
export async function callbackUrl(browser: Browser, path = '/login') {
  const flow = await browser.follow(`${rp.url}${path}`, isCallback);
  assert.ok(
    flow.next,
    `the OP did not send the browser back: ${flow.trail.join(' -> ')} (${flow.res.status})`,
  );
  return new URL(flow.next);
}
