/**
 * oidc in one call: createProvider() merges the IdP's own oidc-provider configuration with the
 * MFA step and refuses, at start-up, a configuration that would silently drop it.
 */
import assert from 'node:assert/strict';
import express from 'express';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { ConfigError, createMfa } from '../../src/index.ts';
import { createOidcMfa } from '../../src/oidc/index.ts';

function setup() {
  const stores = createMemoryStores();
  const mfa = createMfa({
    stores,
    issuer: 'T',
    sealingKeys: [{ id: 'k', key: Buffer.alloc(32, 3) }],
    audit: () => {},
  });
  return createOidcMfa(mfa, { stores });
}

describe('mfakit/oidc: one provider configuration', () => {
  it('refuses a configuration that would drop the MFA prompt, the acr values or the claims, naming each', () => {
    const oidc = setup();
    const refused = (yours: Record<string, unknown>, pattern: RegExp) =>
      assert.throws(
        () => oidc.createProvider('http://localhost:4000', yours),
        (err: unknown) => err instanceof ConfigError && pattern.test(err.message),
      );
    refused({ interactions: { url: () => '/login' } }, /interactions: leave the interaction policy/);
    refused({ acrValues: ['urn:x'] }, /acrValues: mfakit issues urn:mfakit:acr:pwd/);
    refused({ claims: { acr: ['acr'] } }, /claims\.acr: must stay a standalone claim/);
    refused({ ttl: { Session: () => 60 } }, /ttl\.Session: must be a whole number of seconds/);
  });

  it('keeps your claims and settings, adds acr/amr/auth_time to openid, and gives ttl.Session once', () => {
    const oidc = setup();
    const merged = oidc.configuration({
      claims: { email: ['email'] },
      ttl: { Session: 3600 },
      responseTypes: ['code'],
    });
    assert.deepEqual(merged.responseTypes, ['code']);
    const claims = merged.claims as Record<string, unknown>;
    assert.deepEqual(claims.email, ['email']);
    assert.deepEqual(claims.openid, ['sub', 'acr', 'amr', 'auth_time']);
    assert.equal(merged.ttl?.Session, 3600);
    assert.equal(oidc.configuration({}).ttl?.Session, 14 * 86_400);
    assert.ok(
      merged.interactions?.policy?.some((p) => p.name === 'mfa'),
      'the MFA prompt is in the policy',
    );
  });

  it('mount() serves the pages of the provider createProvider() built; before it, a clear error', () => {
    const oidc = setup();
    assert.throws(() => oidc.mount(express()), /call createProvider\(\)/);
    const provider = oidc.createProvider('http://localhost:4000', {});
    const app = express();
    oidc.mount(app);
    assert.ok(provider);
  });
});
