// An authorization request whose `claims` parameter nests thousands of levels (≈ 6 kB of
// brackets in the URL), sent by a signed-in user — their own session, or a victim's opening an
// attacker's link. oidc-provider keeps the parsed claims in the authorization code it saves;
// the adapter's walk over each saved payload, and the stores' JSON after it, overflowed the
// stack: a 500. Now the save is refused as the provider's invalid_request (4xx), and the
// session still signs in with an ordinary claims request.
import assert from 'node:assert/strict';
import { Browser } from '../helpers/browser.ts';
import { codeFlowRequest } from '../helpers/code-flow-rp.ts';
import { atRp, enrolDirect, signIn, startTestIdp, type TestIdp } from '../helpers/oidc-idp.ts';

/** The authorization request with `claims` nested `depth` arrays deep, its brackets unencoded. */
function deepClaimsRequest(idp: TestIdp, depth: number): string {
  const url = new URL(codeFlowRequest(idp.issuer, 'rp', 'openid').url);
  const claims = `{"id_token":{"x":{"value":${'['.repeat(depth)}${']'.repeat(depth)}}}}`;
  return `${url.href}&claims=${claims.replaceAll('"', '%22').replaceAll(':', '%3A')}`;
}

describe('oidc: a deeply nested claims parameter', function () {
  this.timeout(60_000);
  let idp: TestIdp;
  const serverErrors: string[] = [];
  beforeEach(async () => {
    idp = await startTestIdp();
    idp.provider.on('server_error', (_ctx: unknown, error: Error) => serverErrors.push(error.message));
  });
  afterEach(async () => {
    serverErrors.length = 0;
    await idp.close();
  });

  it('from a signed-in session: a 4xx invalid_request, no server error; an ordinary request still gets its code', async () => {
    const secret = await enrolDirect(idp, 'alice');
    const b = new Browser();
    await signIn(b, idp, 'alice', { secret });
    for (const depth of [40, 3000, 7000]) {
      const page = await b.go(deepClaimsRequest(idp, depth), { stopAt: atRp });
      const answer =
        page.status >= 300 && page.status < 400 ? new URL(page.url).searchParams.get('error') : null;
      assert.ok(
        (page.status >= 400 && page.status < 500) || answer === 'invalid_request',
        `depth ${depth}: ${page.status} ${page.url} ${page.text.slice(0, 300)}`,
      );
      if (page.status >= 400) assert.match(page.text, /nests its values too deeply/);
    }
    assert.deepEqual(serverErrors, []);
    const ordinary = new URL(codeFlowRequest(idp.issuer, 'rp', 'openid').url);
    ordinary.searchParams.set('claims', JSON.stringify({ id_token: { acr: { essential: true } } }));
    const page = await b.go(ordinary.href, { stopAt: atRp });
    assert.ok(atRp(new URL(page.url)) && new URL(page.url).searchParams.get('code'), page.url);
  });
});
