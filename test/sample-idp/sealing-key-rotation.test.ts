// Sealing-key rotation of the sample federation server, as the README's Deployment steps run it
// on PostgreSQL: the server starts with one key (FED_SEALING_KEY, id fed1) and alice registers
// her authenticator app at her first sign-in; it restarts with FED_SEALING_KEYS naming a new
// current key and fed1 after it, and she still signs in; `mfakit reseal` with the same keys
// re-seals her seed while it runs (audited by "cli"); it restarts with the new key alone, and she
// still signs in with her app. The secrets come from the environment through the server's own
// reader (loadOrCreateSecrets), which also refuses a malformed or doubled key setting.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createPostgresStores } from '../../adapters/postgres/index.ts';
import { generateSecrets, loadOrCreateSecrets } from '../../sample-idp/federation/secrets.ts';
import { codeFor } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import {
  atRp,
  enroll,
  type FederationStack,
  redeem,
  signInWithPassword,
  startFederationStack,
  submitCode,
} from '../helpers/federation-stack.ts';
import { mfakit } from '../helpers/mfakit-cli.ts';
import { testClock } from '../helpers/test-clock.ts';
import { postgresTestServer } from '../store/postgres-schemas.ts';

/** Secrets other than the sealing keys, as npm start's environment gives them. */
function otherSecrets(): Record<string, string> {
  const { cookieKeys, signingJwk } = generateSecrets();
  return { FED_COOKIE_KEYS: cookieKeys.join(','), FED_SIGNING_JWK: JSON.stringify(signingJwk) };
}

describe('sample-idp: sealing-key rotation (FED_SEALING_KEYS and mfakit reseal)', function () {
  // Three server starts, a browser's sign-ins and one command-line process.
  this.timeout(180_000);
  const server = postgresTestServer();

  it('enrolled under fed1; the new key current with fed1 after it; reseal with the same keys; fed1 dropped: alice still signs in with her app', async () => {
    const schema = server.freshSchema();
    const clock = testClock(Date.now());
    const secrets = otherSecrets();
    const A = randomBytes(32).toString('base64');
    const B = randomBytes(32).toString('base64');
    const rotating = `k2:${B},fed1:${A}`;

    /** The server on the schema with the secrets of `env` (the sealing keys as set there), for `steps`. */
    const serve = async (env: Record<string, string>, steps: (s: FederationStack) => Promise<void>) => {
      const stores = await createPostgresStores({ url: server.url, schema });
      try {
        const s = await startFederationStack({
          stores,
          clock,
          // The environment names every secret: no file is read or written.
          secrets: loadOrCreateSecrets('/nonexistent/federation.sqlite', { ...secrets, ...env }),
        });
        try {
          await steps(s);
        } finally {
          await s.close();
        }
      } finally {
        await stores.close();
      }
    };
    const sealedUnder = async () => {
      const stores = await createPostgresStores({ url: server.url, schema });
      try {
        const [method] = (await stores.repository.listMethods('alice')).filter((m) => m.kind === 'totp');
        return String(method?.data.sealedSecret).split('.')[1];
      } finally {
        await stores.close();
      }
    };
    /** A sign-in at the relying party with the password and the app's code: the ID token's amr. */
    const signInWithApp = async (s: FederationStack, secret: string) => {
      clock.advance(30_000);
      const b = new Browser();
      const { request, page } = await signInWithPassword(b, s, 'alice', 'alice password');
      assert.match(page.text, /name="code"/, `expected the code prompt, got ${page.url}`);
      const done = await submitCode(b, s, page, codeFor(secret, clock));
      assert.ok(atRp(new URL(done.url)), `the code was refused: ${done.status} ${done.url}`);
      return (await redeem(s, done, request)).claims.amr?.slice().sort();
    };

    let secret = '';
    await serve({ FED_SEALING_KEY: A }, async (s) => {
      const b = new Browser();
      const { request, page } = await signInWithPassword(b, s, 'alice', 'alice password');
      const enrolled = await enroll(b, s.fedUrl, page, atRp, (shown) => codeFor(shown, clock));
      secret = enrolled.secret;
      assert.deepEqual((await redeem(s, enrolled.next, request)).claims.amr?.slice().sort(), [
        'mfa',
        'otp',
        'pwd',
      ]);
    });
    assert.equal(await sealedUnder(), 'fed1');

    await serve({ FED_SEALING_KEYS: rotating }, async (s) => {
      // The seed sealed under fed1 still opens.
      assert.deepEqual(await signInWithApp(s, secret), ['mfa', 'otp', 'pwd']);
      // Re-sealed while the server runs, with the keys it runs with.
      const run = await mfakit(['reseal', '--store', `postgres:${server.url}`, '--schema', schema], {
        MFAKIT_SEALING_KEYS: rotating,
        MFAKIT_SEALING_KEY: '',
      });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /methods: 1 re-sealed, 0 already under k2/);
      assert.match(run.stdout, /Every sealed secret is under k2/);
    });
    assert.equal(await sealedUnder(), 'k2');

    await serve({ FED_SEALING_KEYS: `k2:${B}` }, async (s) => {
      assert.deepEqual(await signInWithApp(s, secret), ['mfa', 'otp', 'pwd']);
      const [event] = (await s.fed.mfa.admin.auditLog({ limit: 100 })).filter(
        (e) => e.type === 'secrets_resealed',
      );
      assert.equal(event?.data.detail, 'k2');
      assert.equal((event?.data.data as { by?: string } | undefined)?.by, 'cli');
    });
  });

  it('FED_SEALING_KEYS: malformed, doubled ids or set beside FED_SEALING_KEY is refused, naming the setting, never a key', () => {
    const secrets = otherSecrets();
    const key = randomBytes(32).toString('base64');
    const load = (env: Record<string, string>) => () =>
      loadOrCreateSecrets('/nonexistent/federation.sqlite', { ...secrets, ...env });
    assert.throws(
      load({ FED_SEALING_KEYS: `k2:${key}`, FED_SEALING_KEY: key }),
      /FED_SEALING_KEYS or FED_SEALING_KEY, not both/,
    );
    assert.throws(load({ FED_SEALING_KEYS: key }), /FED_SEALING_KEYS: entry 1 must be ID:BASE64/);
    assert.throws(load({ FED_SEALING_KEYS: `k2:${key},k2:${key}` }), /FED_SEALING_KEYS: each key id once/);
    assert.throws(load({ FED_SEALING_KEYS: 'k2:c2hvcnQ=' }), /FED_SEALING_KEYS: key k2 must be 32 bytes/);
    for (const env of [{ FED_SEALING_KEYS: key }, { FED_SEALING_KEYS: `k2:${key},k3:short` }])
      assert.throws(load(env), (error: Error) => !error.message.includes(key.slice(0, 12)));
    // The current key first; FED_SEALING_KEY alone is the key fed1.
    const other = randomBytes(32);
    const loaded = load({ FED_SEALING_KEYS: `k2:${key},fed1:${other.toString('base64')}` })();
    assert.deepEqual(
      loaded.sealingKeys.map((k) => k.id),
      ['k2', 'fed1'],
    );
    assert.deepEqual(load({ FED_SEALING_KEY: other.toString('base64') })().sealingKeys, [
      { id: 'fed1', key: other },
    ]);
  });
});
