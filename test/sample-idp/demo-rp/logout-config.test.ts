/** The demo relying party against oidc-provider: logout, an unreachable OP, and refusing a bad config. */

import assert from 'node:assert/strict';
import request from 'supertest';
import { createDemoRp, type DemoRpConfig } from '../../../sample-idp/demo-rp/rp-app.ts';
import { close, listen } from '../../helpers/listen.ts';
import {
  CLIENT_ID,
  claimCell,
  csrfFrom,
  jwtPayload,
  op,
  rp,
  rpConfig,
  sessionCookie,
  signIn,
  useDemoRpWorld,
} from './fixtures.ts';

describe('the demo relying party (openid-client) against oidc-provider', function () {
  this.timeout(60_000);
  useDemoRpWorld();

  it('logout clears the local session and redirects to end_session with id_token_hint and post_logout_redirect_uri; the OP then sends the browser to /signed-out', async () => {
    const { browser, res: home } = await signIn();
    const res = await browser.post(`${rp.url}/logout`, { _csrf: csrfFrom(home.text) });
    assert.equal(res.status, 303);
    const end = new URL(res.headers.location ?? '');
    assert.equal(end.origin + end.pathname, `${op.url}/session/end`);
    assert.equal(end.searchParams.get('post_logout_redirect_uri'), `${rp.url}/signed-out`);
    assert.equal(end.searchParams.get('client_id'), CLIENT_ID);
    const hint = jwtPayload(end.searchParams.get('id_token_hint') ?? '');
    assert.equal(hint.sub, 'alice');
    assert.equal(hint.aud, CLIENT_ID);
    assert.equal(hint.iss, op.url);
    assert.match(sessionCookie(res) ?? '', /demo_rp_sid=;/);

    const after = await browser.get(`${rp.url}/`);
    assert.equal(claimCell(after.text, 'sub'), undefined);
    assert.match(after.text, /Sign in/);

    // The OP accepts the hint and the redirect URI: its confirmation form ends at /signed-out.
    const confirm = await browser.get(end.href);
    assert.equal(confirm.status, 200, confirm.text);
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.text)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.text)?.[1];
    assert.ok(action && xsrf, confirm.text);
    const done = await browser.post(new URL(action, end).href, { xsrf, logout: 'yes' });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, `${rp.url}/signed-out`);
    const signedOut = await browser.get(done.headers.location ?? '');
    assert.equal(signedOut.status, 200);
    assert.match(signedOut.text, /You are signed out/);
  });

  it('a logout POST without (or with a wrong) CSRF token is refused with 403 and the session stays', async () => {
    const { browser } = await signIn();
    const none = await browser.post(`${rp.url}/logout`, {});
    assert.equal(none.status, 403);
    const wrong = await browser.post(`${rp.url}/logout`, { _csrf: 'forged' });
    assert.equal(wrong.status, 403);
    assert.equal(claimCell((await browser.get(`${rp.url}/`)).text, 'sub'), 'alice');
  });

  it('an OP that cannot be reached gives 503 pages, and is discovered once it is up', async () => {
    const later = await listen();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const { app } = await createDemoRp({ ...rpConfig, issuer: later.url });
      const res = await request(app).get('/login');
      assert.equal(res.status, 503);
      assert.match(res.text, /cannot be reached/);
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(warnings.some((w) => w.includes('discovery')));
      // The same app finds the OP once it answers discovery.
      later.handle((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            issuer: later.url,
            authorization_endpoint: `${later.url}/auth`,
            token_endpoint: `${later.url}/token`,
          }),
        );
      });
      const now = await request(app).get('/login');
      assert.equal(now.status, 303);
      assert.ok(String(now.headers.location).startsWith(`${later.url}/auth?`));
    } finally {
      process.off('warning', onWarning);
      await close(later);
    }
  });

  it('rejects a bad config with an error naming each field', async () => {
    await assert.rejects(
      createDemoRp({ ...rpConfig, allowInsecureHttp: false }),
      /issuer: is http:\/\/.*allowInsecureHttp/,
    );
    const { clientSecret: _omitted, ...noSecret } = rpConfig;
    await assert.rejects(createDemoRp(noSecret as DemoRpConfig), /clientSecret: is required/);
    await assert.rejects(
      createDemoRp({ ...rpConfig, redirectUri: `${rp.url}/cb`, sessionSecret: 'short' }),
      (err: Error) =>
        /redirectUri: must end in \/callback/.test(err.message) &&
        /sessionSecret: must be at least 16/.test(err.message),
    );
    await assert.rejects(
      createDemoRp({ ...rpConfig, acrForSensitive: 'gold' }),
      /acrForSensitive: must be one of/,
    );
    await assert.rejects(createDemoRp({ ...rpConfig, scope: 'profile' }), /scope: must include 'openid'/);
  });
});
