// Several claims-provider trusts on one upstream IdP, as in the example config: `partner`
// accepts the partner's MFA, `strict` (strict.partner.test) enforces it, `legacy` rejects it.
// The "Sign in with …" buttons let anyone start any trust; the account's address decides which
// one it may finish with. And the ID token's amr says what this server relied on (`fed`, plus
// `mfa` when the upstream's MFA counts), never the partner's own methods.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../../adapters/memory/index.ts';
import { createAccounts } from '../../../sample-idp/federation/accounts.ts';
import { parseFederationConfig } from '../../../sample-idp/federation/config.ts';
import { createLocalDirectory } from '../../../sample-idp/federation/directory.ts';
import { PARTNER_DEMO_USERS } from '../../../sample-idp/partner-idp/server.ts';
import type { Stores } from '../../../src/index.ts';
import { Browser, inputValue } from '../../helpers/browser.ts';
import {
  atRp,
  authorizationRequest,
  type FederationStack,
  redeem,
  startFederationStack,
  uidOf,
} from '../../helpers/federation-stack.ts';
import { chooseAuthenticatorApp, FIRST_METHOD } from '../../helpers/first-method.ts';
import { LINKED_USERS, PROVIDERS, partnerSignIn, USERS } from './fixtures.ts';

/** A partner user whose address is in no trust's domains. */
const ZOE = { id: 'zoe', name: 'Zoe Elsewhere', email: 'zoe@elsewhere.test', password: 'partner demo zoe' };

describe('sample-idp federation: which claims-provider trust an upstream account signs in with', function () {
  this.timeout(60_000);
  let s: FederationStack;
  let stores: Stores;
  beforeEach(async () => {
    stores = createMemoryStores();
    s = await startFederationStack({
      users: USERS,
      claimsProviders: PROVIDERS,
      partnerUsers: [...PARTNER_DEMO_USERS, ...LINKED_USERS, ZOE],
      stores,
    });
  });
  afterEach(async () => {
    await s.close();
    await stores.close?.();
  });

  /** RP → the federation's sign-in page → the "Sign in with …" button of trust `cp` → the partner's login page. */
  async function choose(b: Browser, cp: string) {
    const request = authorizationRequest(s);
    const first = await b.go(request.url, { stopAt: atRp });
    const uid = uidOf(first);
    const partnerPage = await b.go(`${s.fedUrl}/interaction/${uid}/federate/${cp}`, {
      form: { _csrf: inputValue(first.text, '_csrf') },
    });
    assert.equal(new URL(partnerPage.url).origin, s.partnerUrl);
    return { request, uid, partnerPage };
  }

  it('a strict-trust user choosing the lax trust on the same partner is refused (403, sent to his trust): no enrollment, no account', async () => {
    const b = new Browser();
    const { uid, partnerPage } = await choose(b, 'partner');
    const back = await partnerSignIn(b, partnerPage, 'dave@strict.partner.test', false);
    assert.equal(back.status, 403, `${back.url}\n${back.text.slice(0, 500)}`);
    assert.match(back.text, /signs in with Partner strict/);
    assert.ok(!atRp(new URL(back.url)), 'never back at the client with a code');
    assert.notEqual(new URL(back.url).pathname, `/interaction/${uid}/mfa`);
    assert.doesNotMatch(back.text, FIRST_METHOD);
    assert.equal((await stores.oidc?.find('FederatedAccount', 'upstream:partner:dave')) ?? null, null);
    // The interaction holds no account either: its outcome was never parked.
    const resumed = await b.go(`${s.fedUrl}/interaction/${uid}/federated`, { stopAt: atRp });
    assert.equal(resumed.status, 400);
    assert.ok(!atRp(new URL(resumed.url)));
  });

  it('the same user with partner MFA through the lax trust is refused too: the trust is the address’s, not the MFA’s', async () => {
    const b = new Browser();
    const { partnerPage } = await choose(b, 'legacy');
    const back = await partnerSignIn(b, partnerPage, 'dave@strict.partner.test', true);
    assert.equal(back.status, 403);
    assert.match(back.text, /signs in with Partner strict/);
    assert.equal((await stores.oidc?.find('FederatedAccount', 'upstream:legacy:dave')) ?? null, null);
  });

  it('the strict trust still signs him in, chosen by its button: amr exactly fed + mfa, acr mfa', async () => {
    const b = new Browser();
    const { request, partnerPage } = await choose(b, 'strict');
    const back = await partnerSignIn(b, partnerPage, 'dave@strict.partner.test', true);
    const { claims } = await redeem(s, back, request);
    assert.equal(claims.sub, 'upstream:strict:dave');
    assert.deepEqual(claims.amr, ['fed', 'mfa']);
    assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
  });

  it('the lax trust’s own user still signs in with it; partner MFA accepted: amr exactly fed + mfa (not the partner’s pwd), acr mfa', async () => {
    const b = new Browser();
    const { request, partnerPage } = await choose(b, 'partner');
    const back = await partnerSignIn(b, partnerPage, 'carol@partner.test', true);
    const { claims } = await redeem(s, back, request);
    assert.equal(claims.sub, 'upstream:partner:carol');
    assert.deepEqual(claims.amr, ['fed', 'mfa']);
    assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
  });

  it('an address in no trust’s domains signs in through the trust chosen, as before (local MFA asked without the partner’s)', async () => {
    const b = new Browser();
    const { request, partnerPage } = await choose(b, 'partner');
    const back = await partnerSignIn(b, partnerPage, ZOE.email, true);
    const { claims } = await redeem(s, back, request);
    assert.equal(claims.sub, 'upstream:partner:zoe');
    assert.deepEqual(claims.amr, ['fed', 'mfa']);

    const other = new Browser();
    const two = await choose(other, 'partner');
    const prompt = await partnerSignIn(other, two.partnerPage, ZOE.email, false);
    assert.equal(new URL(prompt.url).pathname, `/interaction/${two.uid}/mfa`);
    await chooseAuthenticatorApp(other, s.fedUrl, prompt);
  });
});

describe('sample-idp federation: the one-trust-per-address rule in the account mapping', () => {
  const setup = async (accountMapping: 'upstreamAccount' | 'linkByEmail') => {
    const provider = (id: string, domain: string) => ({
      id,
      displayName: `Partner ${id}`,
      issuer: 'https://partner.example',
      clientId: `fed-${id}`,
      clientSecret: 'partner-secret-long-enough',
      emailDomains: [domain],
      accountMapping,
    });
    const config = await parseFederationConfig(
      {
        issuer: 'https://idp.example',
        users: [{ id: 'lou', name: 'Lou', email: 'lou@contoso.test', password: 'lou password' }],
        relyingParties: [
          {
            clientId: 'rp',
            clientSecret: 'rp-secret-that-is-long-enough',
            redirectUris: ['https://rp.example/cb'],
          },
        ],
        claimsProviders: [provider('lax', 'lax.test'), provider('strict', 'strict.test')],
      },
      {},
    );
    const store = createMemoryStores().oidc;
    assert.ok(store);
    const accounts = createAccounts(await createLocalDirectory(config.users), store, config.claimsProviders);
    const [lax] = config.claimsProviders;
    assert.ok(lax);
    return { store, accounts, lax };
  };

  for (const mapping of ['upstreamAccount', 'linkByEmail'] as const) {
    it(`${mapping}: a verified address of another trust's domain (any case) is refused, naming that trust; nothing stored`, async () => {
      const { store, accounts, lax } = await setup(mapping);
      const mapped = await accounts.map(lax, { sub: 'dave', email: 'Dave@STRICT.test', emailVerified: true });
      assert.equal(mapped.ok, false);
      assert.match(mapped.ok ? '' : mapped.message, /signs in with Partner strict, not Partner lax/);
      assert.equal((await store.find('FederatedAccount', 'upstream:lax:dave')) ?? null, null);
    });
  }

  it('an unverified address in another trust’s domain is not refused: it is no one’s, and is not kept', async () => {
    const { accounts, lax } = await setup('upstreamAccount');
    const mapped = await accounts.map(lax, { sub: 'x', email: 'dave@strict.test', emailVerified: false });
    assert.ok(mapped.ok);
    assert.equal((await accounts.profile(mapped.accountId))?.email, undefined);
  });
});
