/**
 * A real oidc-provider, in process, storing its models through createOidcAdapter on the memory
 * and the SQLite stores. No mocks: the provider's own model classes save and find through the adapter.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider, { type ClientMetadata, type Configuration } from 'oidc-provider';
import request from 'supertest';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import { createOidcAdapter } from '../../src/oidc/adapter.ts';
import type { Stores } from '../../src/store/ports.ts';

const ISSUER = 'http://localhost:3999';
const CLIENT: ClientMetadata & { client_secret: string; redirect_uris: string[] } = {
  client_id: 'app',
  client_secret: 'a-client-secret-that-is-long-enough',
  redirect_uris: ['http://localhost:4000/cb'],
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  response_types: ['code'],
};

/** `consumed` is in the model's payload but not in @types/oidc-provider's AuthorizationCode. */
const consumedOf = (model: object | undefined): unknown =>
  model ? Reflect.get(model, 'consumed') : undefined;

const SIGNING_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

function makeProvider(stores: Stores): Provider {
  const configuration: Configuration = {
    adapter: createOidcAdapter(stores),
    clients: [CLIENT],
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
    jwks: { keys: [{ ...SIGNING_KEY, kid: 'test', alg: 'RS256', use: 'sig' }] },
    ttl: { AccessToken: 3600, ClientCredentials: 600, Grant: 86_400, RefreshToken: 86_400 },
  };
  return new Provider(ISSUER, configuration);
}

function suite(name: string, open: () => Stores) {
  describe(`oidc-provider on the ${name} store`, () => {
    let stores: Stores;
    let provider: Provider;
    beforeEach(() => {
      stores = open();
      provider = makeProvider(stores);
    });
    afterEach(async () => {
      await stores.close?.();
    });

    it('saves and finds a Session (by id and by uid), a Grant and an AccessToken', async () => {
      const session = new provider.Session();
      session.loginAccount({ accountId: 'alice' });
      // Session.save requires a ttl at runtime; @types/oidc-provider declares it without one.
      await (session.save as (ttl: number) => Promise<string>).call(session, 3600);
      assert.equal((await provider.Session.find(session.jti))?.accountId, 'alice');
      assert.equal((await provider.Session.findByUid(session.uid))?.jti, session.jti);

      const grant = new provider.Grant({ accountId: 'alice', clientId: 'app' });
      grant.addOIDCScope('openid email');
      const grantId = await grant.save();
      const foundGrant = await provider.Grant.find(grantId);
      assert.equal(foundGrant?.accountId, 'alice');
      assert.equal(foundGrant?.getOIDCScope(), 'openid email');

      const client = await provider.Client.find('app');
      assert.ok(client);
      const token = await new provider.AccessToken({
        client,
        accountId: 'alice',
        grantId,
        scope: 'openid email',
        gty: 'authorization_code',
      }).save();
      const found = await provider.AccessToken.find(token);
      assert.equal(found?.accountId, 'alice');
      assert.equal(found?.clientId, 'app');
      assert.equal(found?.grantId, grantId);
      assert.equal(await provider.AccessToken.find('not-a-token'), undefined);

      await found?.destroy();
      assert.equal(await provider.AccessToken.find(token), undefined);
    });

    it('an AuthorizationCode consumed is found again marked consumed, and is no longer valid', async () => {
      const client = await provider.Client.find('app');
      assert.ok(client);
      const code = await new provider.AuthorizationCode({
        client,
        accountId: 'alice',
        grantId: 'grant-1',
        scope: 'openid',
        redirectUri: CLIENT.redirect_uris[0],
        gty: 'authorization_code',
      }).save();

      const first = await provider.AuthorizationCode.find(code);
      assert.ok(first);
      assert.equal(consumedOf(first), undefined);
      assert.equal(first.isValid, true);
      await first.consume();

      const second = await provider.AuthorizationCode.find(code);
      assert.ok(second);
      assert.equal(typeof consumedOf(second), 'number');
      assert.equal(second.isValid, false);
      // A second consume (the loser of a race that found the code unconsumed) is refused, and
      // the replay revokes the grant's codes and tokens.
      await assert.rejects(() => first.consume(), { name: 'InvalidGrant' });
      assert.equal(await provider.AuthorizationCode.find(code), undefined);
    });

    it('a pushed authorization request used twice (even racing) is refused as oidc-provider words it', async () => {
      const Adapter = createOidcAdapter(stores);
      const par = new Adapter('PushedAuthorizationRequest');
      await par.upsert('par-1', { request: 'x' }, 60);
      await par.consume('par-1');
      await assert.rejects(() => par.consume('par-1'), { name: 'InvalidRequestUri' });
    });

    it('revokeByGrantId removes the tokens of that grant only', async () => {
      const client = await provider.Client.find('app');
      assert.ok(client);
      const tokenOf = (grantId: string) =>
        new provider.AccessToken({ client, accountId: 'alice', grantId, scope: 'openid', gty: 'x' }).save();
      const a1 = await tokenOf('grant-a');
      const a2 = await tokenOf('grant-a');
      const b1 = await tokenOf('grant-b');
      const refresh = await new provider.RefreshToken({
        client,
        accountId: 'alice',
        grantId: 'grant-a',
        scope: 'openid',
        gty: 'authorization_code',
      }).save();

      await provider.AccessToken.revokeByGrantId('grant-a');
      assert.equal(await provider.AccessToken.find(a1), undefined);
      assert.equal(await provider.AccessToken.find(a2), undefined);
      assert.equal((await provider.AccessToken.find(b1))?.grantId, 'grant-b');
      // Whichever model it is called on, the grant's other tokens go too (a logout calls it
      // only with the grant types of the client it runs for).
      assert.equal(await provider.RefreshToken.find(refresh), undefined);
    });

    it('issues a client_credentials token over HTTP and finds it in the store', async () => {
      const res = await request(provider.callback())
        .post('/token')
        .auth(CLIENT.client_id, CLIENT.client_secret)
        .type('form')
        .send({ grant_type: 'client_credentials' })
        .expect(200);
      assert.equal(res.body.token_type, 'Bearer');
      const stored = await stores.oidc?.find('ClientCredentials', res.body.access_token);
      assert.equal(stored?.clientId, 'app');
      assert.equal((await provider.ClientCredentials.find(res.body.access_token))?.clientId, 'app');
    });
  });
}

suite('memory', () => createMemoryStores());

describe('oidc-provider on SQLite', () => {
  let dir: string;
  let files = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mfakit-oidc-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  suite('sqlite', () => createSqliteStores({ path: join(dir, `oidc-${files++}.sqlite`) }));

  it('a token saved by one provider is found by another after the database is reopened', async () => {
    const path = join(dir, 'reopen.sqlite');
    const first = createSqliteStores({ path });
    const before = makeProvider(first);
    const client = await before.Client.find('app');
    assert.ok(client);
    const token = await new before.AccessToken({
      client,
      accountId: 'bob',
      grantId: 'g',
      scope: 'openid',
      gty: 'x',
    }).save();
    await first.close?.();

    const second = createSqliteStores({ path });
    try {
      assert.equal((await makeProvider(second).AccessToken.find(token))?.accountId, 'bob');
    } finally {
      await second.close?.();
    }
  });
});

describe('createOidcAdapter', () => {
  it('refuses stores without an oidc store', () => {
    const { repository, ephemeral } = createMemoryStores();
    assert.throws(() => createOidcAdapter({ repository, ephemeral }), TypeError);
  });
});
