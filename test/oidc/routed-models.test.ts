// oidc-provider's models split the way the sample server (`npm start` with DATABASE_URL and
// REDIS_URL) keeps them: sessions, grants, refresh tokens, clients and mfakit's session stamps on
// PostgreSQL, codes, interactions and access tokens on Redis (createRedisStores with
// `durableOidc`, over routeOidcModels). The routed store passes the OIDC-models contract; each
// model lands in its store; a grant revoked — directly, or by replaying a consumed code — loses
// its tokens in both; and a Redis flush (a restart without persistence) leaves every refresh
// token and browser session working, losing only access tokens and sign-ins under way.
import assert from 'node:assert/strict';
import { createPostgresStores, type PostgresDurableStores } from '../../adapters/postgres/index.ts';
import { createRedisStores, RedisOidcStore } from '../../adapters/redis/index.ts';
import type { Clock } from '../../src/engine/capabilities.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import { SHORT_LIVED_OIDC_MODELS, type Stores } from '../../src/index.ts';
import { createOidcAdapter } from '../../src/oidc/index.ts';
import { SESSION_STAMP_MODEL } from '../../src/oidc/session-stamps.ts';
import { codeFor } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import { clientSecretOf } from '../helpers/code-flow-rp.ts';
import {
  atRp,
  enrolDirect,
  password,
  startAuthorization,
  startTestIdp,
  submitCode,
  type TestIdp,
  tokenRequest,
} from '../helpers/oidc-idp.ts';
import { useRedisServer } from '../helpers/redis.ts';
import { contractContext, oidcModelsContract } from '../store/contract/index.ts';
import { postgresTestServer } from '../store/postgres-schemas.ts';

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  id_token?: string;
  error?: string;
}

describe('oidc models split between PostgreSQL (long-lived) and Redis (short-lived)', function () {
  this.timeout(60_000);
  const redis = useRedisServer();
  const postgres = postgresTestServer();

  /** The sample's shape: PostgreSQL without the ephemeral port, Redis with `durableOidc`. */
  async function openSplit(clock: Clock = systemClock) {
    const durable: PostgresDurableStores = await createPostgresStores({
      url: postgres.url,
      schema: postgres.freshSchema(),
      clock,
      ephemeral: false,
    });
    const prefix = redis.freshPrefix();
    const shortLived = await createRedisStores({
      repository: durable.repository,
      durableOidc: durable.oidc,
      client: redis.client,
      prefix,
      clock,
    });
    const stores: Stores & { close(): Promise<void> } = {
      ...shortLived,
      async close() {
        await shortLived.close();
        await durable.close();
      },
    };
    return { stores, durable, onRedis: new RedisOidcStore(redis.client, prefix, clock), prefix };
  }

  /** What a Redis restart without persistence leaves: no key under the prefix. */
  async function flush(prefix: string) {
    for await (const keys of redis.client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 }))
      if (keys.length > 0) await redis.client.del(keys);
  }

  describe('store contract: routed OIDC models (postgres + redis)', () => {
    const ctx = contractContext(async (clock) => (await openSplit(clock)).stores);
    oidcModelsContract(ctx);
  });

  describe('the stores', () => {
    let split: Awaited<ReturnType<typeof openSplit>> | undefined;
    afterEach(async () => {
      await split?.stores.close();
      split = undefined;
    });
    const inAnHour = () => Date.now() + 3_600_000;

    it('each model lands in its store: long-lived ones in PostgreSQL, short-lived ones in Redis', async () => {
      split = await openSplit();
      const { stores, durable, onRedis } = split;
      const oidc = stores.oidc as NonNullable<Stores['oidc']>;
      const durableModels = ['Session', 'Grant', 'RefreshToken', 'Client', 'RegistrationAccessToken'];
      for (const model of [...durableModels, SESSION_STAMP_MODEL, ...SHORT_LIVED_OIDC_MODELS])
        await oidc.upsert(model, `${model}-1`, { jti: `${model}-1` }, inAnHour());
      for (const model of [...durableModels, SESSION_STAMP_MODEL]) {
        assert.ok(await durable.oidc.find(model, `${model}-1`), `${model} in PostgreSQL`);
        assert.equal(await onRedis.find(model, `${model}-1`), null, `${model} not in Redis`);
      }
      for (const model of SHORT_LIVED_OIDC_MODELS) {
        assert.ok(await onRedis.find(model, `${model}-1`), `${model} in Redis`);
        assert.equal(await durable.oidc.find(model, `${model}-1`), null, `${model} not in PostgreSQL`);
      }
    });

    it("the provider adapter's revokeByGrantId removes the grant's codes and tokens from both stores", async () => {
      split = await openSplit();
      const { stores, durable, onRedis } = split;
      const Adapter = createOidcAdapter(stores);
      for (const [model, id] of [
        ['AccessToken', 'at-1'],
        ['AuthorizationCode', 'code-1'],
        ['DeviceCode', 'dc-1'],
        ['RefreshToken', 'rt-1'],
      ] as const) {
        await new Adapter(model).upsert(id, { jti: id, grantId: 'g-1' }, 3600);
        await new Adapter(model).upsert(`${id}-other`, { jti: `${id}-other`, grantId: 'g-2' }, 3600);
      }
      await new Adapter('Session').upsert('s-1', { uid: 'u-1', accountId: 'alice' }, 3600);
      await new Adapter('RefreshToken').revokeByGrantId('g-1');
      assert.equal(
        await durable.oidc.find('RefreshToken', 'rt-1'),
        null,
        'refresh token gone from PostgreSQL',
      );
      for (const [model, id] of [
        ['AccessToken', 'at-1'],
        ['AuthorizationCode', 'code-1'],
        ['DeviceCode', 'dc-1'],
      ] as const)
        assert.equal(await onRedis.find(model, id), null, `${model} gone from Redis`);
      assert.ok(await durable.oidc.find('RefreshToken', 'rt-1-other'), 'another grant keeps its tokens');
      assert.ok(await onRedis.find('AccessToken', 'at-1-other'));
      assert.ok(await durable.oidc.find('Session', 's-1'), 'the session stays');
    });

    it('a code consumed twice (on Redis) revokes its grant everywhere: the Grant and refresh token on PostgreSQL too', async () => {
      split = await openSplit();
      const { stores, durable, onRedis } = split;
      const Adapter = createOidcAdapter(stores);
      await new Adapter('Grant').upsert('g-1', { jti: 'g-1', accountId: 'alice' }, 3600);
      await new Adapter('AuthorizationCode').upsert('code-1', { jti: 'code-1', grantId: 'g-1' }, 60);
      await new Adapter('AccessToken').upsert('at-1', { jti: 'at-1', grantId: 'g-1' }, 3600);
      await new Adapter('RefreshToken').upsert('rt-1', { jti: 'rt-1', grantId: 'g-1' }, 3600);
      const racers = await Promise.allSettled(
        Array.from({ length: 10 }, () => new Adapter('AuthorizationCode').consume('code-1')),
      );
      assert.equal(racers.filter((r) => r.status === 'fulfilled').length, 1, 'consumed once');
      assert.ok(
        racers.every(
          (r) =>
            r.status === 'fulfilled' ||
            /already consumed/.test((r.reason as { error_detail?: string }).error_detail ?? ''),
        ),
        'the others are told it was used',
      );
      assert.equal(await durable.oidc.find('Grant', 'g-1'), null);
      assert.equal(await durable.oidc.find('RefreshToken', 'rt-1'), null);
      assert.equal(await onRedis.find('AccessToken', 'at-1'), null);
    });
  });

  describe('with oidc-provider', () => {
    let idp: TestIdp | undefined;
    let split: Awaited<ReturnType<typeof openSplit>> | undefined;
    afterEach(async () => {
      await idp?.close(); // closes the stores too
      idp = undefined;
      split = undefined;
    });

    async function start() {
      // The provider's models expire on real time: the stores follow the system clock.
      split = await openSplit();
      idp = await startTestIdp({ stores: split.stores, refreshTokens: true });
      return { idp, split, secret: await enrolDirect(idp, 'alice') };
    }

    /** Authorization request → password → code → tokens, in browser `b`. */
    async function signInForTokens(b: Browser, at: TestIdp, secret: string) {
      const { request, page } = await startAuthorization(b, at);
      const prompt = await password(b, at, page, 'alice');
      const back = await submitCode(b, at, prompt, codeFor(secret, at.clock));
      assert.ok(atRp(new URL(back.url)), `back at the client: ${back.url}`);
      const code = new URL(back.url).searchParams.get('code') ?? '';
      const tokens = (await (await tokenRequest(at, code, request)).json()) as TokenResponse;
      assert.ok(tokens.access_token && tokens.refresh_token, JSON.stringify(tokens));
      return { code, request, tokens };
    }

    const refresh = (at: TestIdp, refreshToken: string) =>
      fetch(new URL('/token', at.issuer), {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`rp:${clientSecretOf('rp')}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      });
    const userinfo = (at: TestIdp, accessToken: string) =>
      fetch(new URL('/me', at.issuer), { headers: { authorization: `Bearer ${accessToken}` } });

    it('a refresh token, the browser session and its mfakit stamp survive a Redis flush; access tokens do not', async () => {
      const { idp: at, split: s, secret } = await start();
      const b = new Browser();
      const { tokens } = await signInForTokens(b, at, secret);
      assert.equal((await userinfo(at, tokens.access_token ?? '')).status, 200);
      assert.ok(await s.durable.oidc.find('RefreshToken', tokens.refresh_token ?? ''), 'in PostgreSQL');
      assert.ok(await s.onRedis.find('AccessToken', tokens.access_token ?? ''), 'in Redis');

      await flush(s.prefix);

      const refreshed = await refresh(at, tokens.refresh_token ?? '');
      const body = (await refreshed.json()) as TokenResponse;
      assert.equal(refreshed.status, 200, JSON.stringify(body));
      assert.ok(body.access_token && body.refresh_token && body.id_token);
      assert.equal((await userinfo(at, body.access_token)).status, 200, 'the new access token works');
      assert.equal((await userinfo(at, tokens.access_token ?? '')).status, 401, 'the old one was on Redis');
      const reused = await refresh(at, tokens.refresh_token ?? '');
      assert.equal(reused.status, 400, 'the rotated refresh token was consumed (on PostgreSQL) once');

      // The browser's session and its stamp: a new authorization request needs no sign-in.
      const again = await startAuthorization(b, at);
      assert.ok(atRp(new URL(again.page.url)), `signed in still, at ${again.page.url}`);
    });

    it('a replayed authorization code revokes the grant: its refresh token (PostgreSQL) and access token (Redis) stop working', async () => {
      const { idp: at, split: s, secret } = await start();
      const { code, request, tokens } = await signInForTokens(new Browser(), at, secret);
      const replay = await tokenRequest(at, code, request);
      assert.equal(replay.status, 400);
      assert.equal(((await replay.json()) as TokenResponse).error, 'invalid_grant');
      assert.equal((await refresh(at, tokens.refresh_token ?? '')).status, 400);
      assert.equal((await userinfo(at, tokens.access_token ?? '')).status, 401);
      assert.equal(await s.durable.oidc.find('RefreshToken', tokens.refresh_token ?? ''), null);
      assert.equal(await s.onRedis.find('AccessToken', tokens.access_token ?? ''), null);
    });
  });
});
