// The federation server's config tests' starting point: a valid config (one user, one relying
// party, one claims provider whose secret comes from the environment), and the problems a config
// is refused with.
import assert from 'node:assert/strict';
import { FederationConfigError, parseFederationConfig } from '../../sample-idp/federation/config.ts';

export const valid = () => ({
  issuer: 'https://idp.example',
  users: [
    {
      id: 'alice',
      name: 'Alice',
      email: 'Alice@Contoso.test',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR:-default} syntax
      password: '${PW_ALICE:-demo password alice}',
      mfaState: 'enabled',
    },
  ],
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
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR} syntax
      clientSecret: '${PARTNER_SECRET}',
      emailDomains: ['Partner.test'],
      federatedIdpMfaBehavior: 'rejectMfaByFederatedIdp',
    },
  ],
});

export async function problems(input: unknown, env: NodeJS.ProcessEnv = { PARTNER_SECRET: 'x'.repeat(20) }) {
  try {
    await parseFederationConfig(input, env);
  } catch (err) {
    assert.ok(err instanceof FederationConfigError, String(err));
    return err.issues;
  }
  assert.fail('the config was accepted');
}
