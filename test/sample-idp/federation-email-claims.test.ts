// nOAuth against the sample federation server: a claims provider (or a user who can edit their
// own address there) sends someone else's address, and relying parties that trust
// `email_verified` would take the partner user for them. Only an address the upstream verified,
// in that provider's own domains and in no one else's, may reach a relying party — and
// `email_verified` says what is true of the account, never a constant. Driven end to end: the
// partner IdP, the federation server, and the RP's ID token (email asked for with the claims
// parameter) and userinfo.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createAccounts } from '../../sample-idp/federation/accounts.ts';
import { parseFederationConfig } from '../../sample-idp/federation/config.ts';
import { createLocalDirectory } from '../../sample-idp/federation/directory.ts';
import { releasedClaims } from '../../sample-idp/federation/provider.ts';
import { keptUpstreamEmail } from '../../sample-idp/federation/upstream-email.ts';
import type { PartnerUser } from '../../sample-idp/partner-idp/server.ts';
import { Browser } from '../helpers/browser.ts';
import {
  atRp,
  type FederationStack,
  type RpClaims,
  redeem,
  signInAtPartner,
  signInWithPassword,
  startFederationStack,
} from '../helpers/federation-stack.ts';

const EMAIL_IN_ID_TOKEN = JSON.stringify({ id_token: { email: null, email_verified: null } });

const partnerUser = (id: string, email: string, emailVerified: boolean | null): PartnerUser => ({
  id,
  name: `Partner ${id}`,
  email,
  password: `partner password ${id}`,
  emailVerified,
});

/** Partner users: attackers claiming a local user's address, and an honest one. */
const PARTNER_USERS = [
  // The partner does not say whether it checked the address.
  partnerUser('mallory', 'alice@contoso.test', null),
  // The partner vouches for it — but contoso.test is not the partner's domain.
  partnerUser('trudy', 'Alice@Contoso.test', true),
  // In the domain of another claims provider, vouched for by this one.
  partnerUser('oscar', 'victim@other.test', true),
  // In the partner's own domain, but not verified.
  partnerUser('uma', 'uma@partner.test', null),
  partnerUser('carol', 'carol@partner.test', true),
];

async function partnerSignIn(s: FederationStack, id: string) {
  const b = new Browser();
  const { request, page } = await signInAtPartner(
    b,
    s,
    { username: id, password: `partner password ${id}` },
    { claims: EMAIL_IN_ID_TOKEN },
  );
  return redeem(s, page, request);
}

/** Neither the ID token nor userinfo carries an address (so no verified one). */
function assertNoAddress(who: string, ...answers: RpClaims[]) {
  for (const claims of answers) {
    assert.equal(claims.email, undefined, `${who}: ${JSON.stringify(claims)}`);
    assert.equal(claims.email_verified, undefined, `${who}: ${JSON.stringify(claims)}`);
  }
}

describe('sample-idp federation: e-mail claims of claims-provider accounts (nOAuth)', function () {
  this.timeout(60_000);
  let s: FederationStack;
  before(async () => {
    s = await startFederationStack({ partnerUsers: PARTNER_USERS });
  });
  after(async () => s.close());

  it("a partner user whose upstream address is a local user's, with email_verified absent, is not asserted as that address", async () => {
    const { claims, userinfo } = await partnerSignIn(s, 'mallory');
    assert.equal(claims.sub, 'upstream:partner:mallory');
    assertNoAddress('mallory', claims, userinfo);
  });

  it("email_verified: true from the partner for an address outside its own domains (Alice's) is dropped too", async () => {
    const trudy = await partnerSignIn(s, 'trudy');
    assert.equal(trudy.claims.sub, 'upstream:partner:trudy');
    assertNoAddress('trudy', trudy.claims, trudy.userinfo);
  });

  it("a verified address in another provider's domain does not sign in here at all: refused, sent to that provider", async () => {
    const { page } = await signInAtPartner(
      new Browser(),
      s,
      { username: 'oscar', password: 'partner password oscar' },
      { claims: EMAIL_IN_ID_TOKEN },
    );
    assert.equal(page.status, 403);
    assert.match(page.text, /signs in with Partner other/);
    assert.ok(!atRp(new URL(page.url)), 'never back at the client with a code');
  });

  it('an address in the partner’s own domain that the partner did not verify is not released', async () => {
    const { claims, userinfo } = await partnerSignIn(s, 'uma');
    assertNoAddress('uma', claims, userinfo);
  });

  it('a partner user with a verified address in the partner’s own domain still gets it, verified', async () => {
    const { claims, userinfo } = await partnerSignIn(s, 'carol');
    for (const answer of [claims, userinfo]) {
      assert.equal(answer.email, 'carol@partner.test');
      assert.equal(answer.email_verified, true);
    }
  });

  it('a local user gets their directory address with email_verified: true', async () => {
    const b = new Browser();
    const { request, page } = await signInWithPassword(b, s, 'dana', 'dana password', {
      claims: EMAIL_IN_ID_TOKEN,
    });
    const { claims, userinfo } = await redeem(s, page, request);
    for (const answer of [claims, userinfo]) {
      assert.equal(answer.email, 'dana@contoso.test');
      assert.equal(answer.email_verified, true);
    }
  });
});

describe('sample-idp federation: the e-mail rule for upstream accounts', () => {
  const setup = async () => {
    const config = await parseFederationConfig(
      {
        issuer: 'https://idp.example',
        users: [{ id: 'alice', name: 'Alice', email: 'alice@contoso.test', password: 'alice password' }],
        relyingParties: [
          {
            clientId: 'rp',
            clientSecret: 'rp-secret-that-is-long-enough',
            redirectUris: ['https://rp.example/cb'],
          },
        ],
        claimsProviders: [
          {
            id: 'partner',
            displayName: 'Partner',
            issuer: 'https://partner.example',
            clientId: 'fed',
            clientSecret: 'partner-secret-long-enough',
            emailDomains: ['partner.test'],
          },
        ],
      },
      {},
    );
    const store = createMemoryStores().oidc;
    assert.ok(store);
    const accounts = createAccounts(await createLocalDirectory(config.users), store, config.claimsProviders);
    const provider = config.claimsProviders[0];
    assert.ok(provider);
    return { config, store, accounts, provider };
  };

  it('keeps only a verified, plain address in the provider’s own domains', async () => {
    const { provider } = await setup();
    const none = new Set<string>();
    const kept = (email: string, emailVerified?: boolean) =>
      keptUpstreamEmail(provider, { email, ...(emailVerified === undefined ? {} : { emailVerified }) }, none);
    assert.equal(kept('Carol@Partner.test', true), 'carol@partner.test');
    assert.equal(kept('carol@partner.test'), undefined, 'email_verified absent');
    assert.equal(kept('carol@partner.test', false), undefined);
    assert.equal(kept('alice@contoso.test', true), undefined, 'not its domain');
    assert.equal(kept('alice@contoso.test@partner.test', true), undefined, 'two @');
    assert.equal(kept('"alice@contoso.test"@partner.test', true), undefined, 'a quoted local part');
    assert.equal(kept('carol@sub.partner.test', true), undefined, 'a subdomain is another domain');
    assert.equal(
      keptUpstreamEmail(
        provider,
        { email: 'carol@partner.test', emailVerified: true },
        new Set(['partner.test']),
      ),
      undefined,
      'a domain someone else here owns',
    );
  });

  it('a profile stored before the rule (an unverified foreign address) releases no address', async () => {
    const { config, store, accounts } = await setup();
    const id = 'upstream:partner:mallory';
    await store.upsert('FederatedAccount', id, { id, email: 'alice@contoso.test', groups: [] }, null);
    const profile = await accounts.profile(id);
    assert.ok(profile);
    assert.equal(profile.email, undefined);
    assert.deepEqual(releasedClaims(config.relyingParties[0], profile), { sub: id });
  });

  it('a local user in the provider’s domain, configured by hand past the loader, is still not claimable by it', async () => {
    const { config, store } = await setup();
    const provider = {
      ...config.claimsProviders[0],
      emailDomains: ['contoso.test'],
    } as (typeof config.claimsProviders)[0];
    const accounts = createAccounts(await createLocalDirectory(config.users), store, [provider]);
    const mapped = await accounts.map(provider, {
      sub: 'x',
      email: 'alice@contoso.test',
      emailVerified: true,
    });
    assert.ok(mapped.ok);
    assert.equal((await accounts.profile(mapped.accountId))?.email, undefined);
  });
});
