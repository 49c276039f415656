// The federation server with the demo RP: a sign-in from the demo SaaS app, end to end.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createDemoRp } from '../../../sample-idp/demo-rp/rp-app.ts';
import { Browser, inputValue } from '../../helpers/browser.ts';
import { clientSecretOf } from '../../helpers/code-flow-rp.ts';
import { enroll, uidOf } from '../../helpers/federation-stack.ts';
import { close, listen } from '../../helpers/listen.ts';
import { code, startStack } from './fixtures.ts';

describe('sample-idp federation server with the demo RP', function () {
  this.timeout(60_000);
  it('signs in from the demo SaaS app with a password and the enrolled second factor', async () => {
    const rpL = await listen();
    const s = await startStack({ rpUrl: rpL.url });
    try {
      const { app } = await createDemoRp({
        issuer: s.fedUrl,
        clientId: 'rp',
        clientSecret: clientSecretOf('rp'),
        redirectUri: `${rpL.url}/callback`,
        postLogoutRedirectUri: `${rpL.url}/signed-out`,
        baseUrl: rpL.url,
        sessionSecret: randomBytes(32).toString('hex'),
        allowInsecureHttp: true,
      });
      rpL.handle(app);
      const b = new Browser();
      const first = await b.go(`${rpL.url}/login`);
      const uid = uidOf(first);
      const pw = await b.go(`${s.fedUrl}/interaction/${uid}/identify`, {
        form: { identifier: 'alice', _csrf: inputValue(first.text, '_csrf') },
      });
      const enrollPage = await b.go(`${s.fedUrl}/interaction/${uid}/login`, {
        form: { identifier: 'alice', password: 'alice password', _csrf: inputValue(pw.text, '_csrf') },
      });
      const { next: home } = await enroll(
        b,
        s.fedUrl,
        enrollPage,
        () => false,
        (secret) => code(s, secret),
      );
      assert.equal(home.url, `${rpL.url}/`);
      assert.match(home.text, /Signed in as Alice/);
      assert.match(home.text, /data-claim="acr">urn:mfakit:acr:mfa</);
      assert.match(home.text, /data-claim="amr">pwd, otp, mfa</);
    } finally {
      await close(rpL);
      await s.close();
    }
  });
});
