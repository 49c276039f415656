// The federation server with its policies in the store (`policies: 'store'`, npm start's mode),
// started again and again over one store as a deployment restarts: the config's document is
// saved at the first start, left alone while the config is unchanged, saved again when the
// config changes, and no longer touched once an administrator has saved one of their own; two
// servers starting together save it once. The document in the store is the one sign-ins obey.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { parseFederationConfig } from '../../sample-idp/federation/config.ts';
import { CONFIG_SEEDER } from '../../sample-idp/federation/policies.ts';
import { createFederationServer, type FederationServer } from '../../sample-idp/federation/server.ts';
import { clientSecretOf, RP_REDIRECT } from '../helpers/code-flow-rp.ts';

const CTX = { ip: '127.0.0.1' };

const blockPolicy = (id: string, user: string) => ({
  id,
  name: `block ${user}`,
  state: 'on',
  assignments: { users: { include: [user], exclude: [] }, applications: { include: ['rp'] } },
  grant: { block: true },
});

const configWith = (policies: Record<string, unknown>[]) =>
  parseFederationConfig(
    {
      issuer: 'http://127.0.0.1:1',
      passkeys: { enabled: false },
      users: [
        {
          id: 'dana',
          name: 'Dana',
          email: 'dana@contoso.test',
          password: 'dana password',
          mfaState: 'disabled',
        },
        { id: 'eve', name: 'Eve', email: 'eve@contoso.test', password: 'eve password', mfaState: 'disabled' },
      ],
      relyingParties: [{ clientId: 'rp', clientSecret: clientSecretOf('rp'), redirectUris: [RP_REDIRECT] }],
      policies: { policies },
    },
    {},
  );

/** Whether a password sign-in of `user` at the relying party is blocked by the policies in force. */
async function blocked(fed: FederationServer, user: string): Promise<boolean> {
  const start = await fed.mfa.beginSignIn({ userId: user, amr: ['pwd'], app: 'rp', ...CTX });
  return start.status === 'blocked';
}

describe('sample-idp federation server: policies in the store', function () {
  this.timeout(30_000);
  const servers: FederationServer[] = [];
  const start = async (
    stores: ReturnType<typeof createMemoryStores>,
    policies: Record<string, unknown>[],
  ) => {
    const fed = await createFederationServer(await configWith(policies), {
      stores,
      audit: () => {},
      policies: 'store',
    });
    servers.push(fed);
    return fed;
  };
  afterEach(async () => {
    for (const fed of servers.splice(0)) await fed.close();
  });

  it("saves the config's document once, again when the config changes, never over an administrator's", async () => {
    const stores = createMemoryStores();
    const first = await start(stores, [blockPolicy('no-dana', 'dana')]);
    assert.deepEqual(first.policySeeding, { outcome: 'seeded', version: 1 });
    assert.equal((await first.mfa.policies.saved())?.updatedBy, CONFIG_SEEDER);
    assert.equal(await blocked(first, 'dana'), true);

    const again = await start(stores, [blockPolicy('no-dana', 'dana')]);
    assert.deepEqual(again.policySeeding, { outcome: 'unchanged', version: 1 });

    const changed = await start(stores, [blockPolicy('no-eve', 'eve')]);
    assert.deepEqual(changed.policySeeding, { outcome: 'updated', version: 2 });
    assert.equal(await blocked(changed, 'dana'), false);
    assert.equal(await blocked(changed, 'eve'), true);

    // An administrator unblocks eve: from now on the saved document is theirs.
    const saved = await changed.mfa.policies.saved();
    assert.ok(saved);
    await changed.mfa.policies.replace({ ...(saved.document as object), policies: [] }, saved.version, {
      ...CTX,
      by: 'admin',
    });
    const afterAdmin = await start(stores, [blockPolicy('no-dana', 'dana')]);
    assert.deepEqual(afterAdmin.policySeeding, { outcome: 'kept', version: 3, by: 'admin' });
    assert.equal(await blocked(afterAdmin, 'dana'), false, "the config's policies are not applied");
    assert.equal(await blocked(afterAdmin, 'eve'), false);
  });

  it('two servers starting together over one store save the document once', async () => {
    const stores = createMemoryStores();
    const both = await Promise.all([
      start(stores, [blockPolicy('no-dana', 'dana')]),
      start(stores, [blockPolicy('no-dana', 'dana')]),
    ]);
    assert.deepEqual(both.map((s) => s.policySeeding?.outcome).sort(), ['seeded', 'unchanged']);
    assert.equal((await both[0]?.mfa.policies.saved())?.version, 1);
  });
});
