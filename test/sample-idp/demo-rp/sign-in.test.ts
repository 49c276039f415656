/** The demo relying party against oidc-provider: the code flow, its session cookie, prompt and max_age. */

import assert from 'node:assert/strict';
import request from 'supertest';
import { ACR_PASSWORD } from '../../../sample-idp/demo-rp/acr.ts';
import {
  Browser,
  CLIENT_ID,
  claimCell,
  isCallback,
  op,
  opState,
  rp,
  sessionCookie,
  signIn,
  useDemoRpWorld,
} from './fixtures.ts';

describe('the demo relying party (openid-client) against oidc-provider', function () {
  this.timeout(60_000);
  useDemoRpWorld();

  it('signs in with the code flow (PKCE S256, state, nonce) and shows sub, name, email, amr, acr and auth_time', async () => {
    const before = Math.floor(Date.now() / 1000);
    opState.answer = { accountId: 'alice', acr: ACR_PASSWORD, amr: ['pwd', 'otp'] };
    const { res, url, trail } = await signIn();
    assert.equal(res.status, 200, res.text);
    assert.equal(url, `${rp.url}/`);
    const auth = new URL(trail.find((u) => u.startsWith(`${op.url}/auth?`)) ?? '');
    assert.equal(auth.searchParams.get('response_type'), 'code');
    assert.equal(auth.searchParams.get('client_id'), CLIENT_ID);
    assert.equal(auth.searchParams.get('redirect_uri'), `${rp.url}/callback`);
    assert.equal(auth.searchParams.get('scope'), 'openid profile email');
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assert.match(auth.searchParams.get('code_challenge') ?? '', /^[\w-]{43}$/);
    assert.ok((auth.searchParams.get('state') ?? '').length >= 20);
    assert.ok((auth.searchParams.get('nonce') ?? '').length >= 20);
    assert.deepEqual(JSON.parse(auth.searchParams.get('claims') ?? '{}'), {
      id_token: { acr: null, amr: null, auth_time: { essential: true } },
    });
    assert.equal(opState.logins.length, 1);

    assert.equal(claimCell(res.text, 'sub'), 'alice');
    assert.equal(claimCell(res.text, 'name'), 'User alice');
    assert.equal(claimCell(res.text, 'email'), 'alice@example.test');
    assert.equal(claimCell(res.text, 'amr'), 'pwd, otp');
    assert.equal(claimCell(res.text, 'acr'), ACR_PASSWORD);
    assert.equal(claimCell(res.text, 'iss'), op.url);
    const authTime = Date.parse(claimCell(res.text, 'auth_time') ?? '') / 1000;
    assert.ok(authTime >= before - 1 && authTime <= Date.now() / 1000 + 1, `auth_time ${authTime}`);
    assert.match(res.text, /<form method="post" action="\/logout">/);
    assert.match(res.text, /href="\/sensitive"/);
  });

  it('the home page of a signed-out visitor has a "Sign in" link and sets no cookie', async () => {
    const res = await request(rp.url).get('/');
    assert.equal(res.status, 200);
    assert.match(res.text, /<a href="\/login">Sign in<\/a>/);
    assert.equal(sessionCookie(res), undefined);
  });

  it('the session cookie is demo_rp_sid, HttpOnly and SameSite=Lax, and gets a new id at sign-in', async () => {
    const browser = new Browser();
    const login = await browser.get(`${rp.url}/login`);
    assert.equal(login.status, 303);
    const first = sessionCookie(login);
    assert.ok(first, 'no session cookie when the flow starts');
    assert.match(first, /HttpOnly/i);
    assert.match(first, /SameSite=Lax/i);
    const back = await browser.follow(login.headers.location ?? '', isCallback);
    assert.ok(back.next);
    const callback = await browser.get(back.next);
    assert.equal(callback.status, 303);
    assert.equal(callback.headers.location, '/');
    const second = sessionCookie(callback);
    assert.ok(second, 'no new session cookie at sign-in');
    assert.notEqual(second.split(';')[0], first.split(';')[0]);
  });

  it('passes ?prompt=login and ?max_age=N through to the OP, and refuses bad values', async () => {
    const { browser } = await signIn();
    const again = await browser.follow(`${rp.url}/login?prompt=login&max_age=300`);
    assert.equal(again.res.status, 200, again.res.text);
    const auth = new URL(again.trail.find((u) => u.startsWith(`${op.url}/auth?`)) ?? '');
    assert.equal(auth.searchParams.get('prompt'), 'login');
    assert.equal(auth.searchParams.get('max_age'), '300');
    assert.equal(opState.logins.length, 2, 'prompt=login makes the OP ask again');
    assert.equal(Number(opState.logins[1]?.max_age), 300);
    const bad = await browser.get(`${rp.url}/login?max_age=soon`);
    assert.equal(bad.status, 400);
    const badPrompt = await browser.get(`${rp.url}/login?prompt=<script>`);
    assert.equal(badPrompt.status, 400);
    assert.doesNotMatch(badPrompt.text, /<script>/);
  });
});
