// The federation server behind a proxy: X-Forwarded-* honoured from trusted proxies only.

import assert from 'node:assert/strict';
import type { FederationStack } from '../../helpers/federation-stack.ts';
import { startStack } from './fixtures.ts';

describe('sample-idp federation server behind a proxy', function () {
  this.timeout(30_000);
  const discoveryVia = async (s: FederationStack) =>
    (await (
      await fetch(`${s.fedUrl}/.well-known/openid-configuration`, {
        headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
      })
    ).json()) as { authorization_endpoint: string; token_endpoint: string };

  it('X-Forwarded-Host/-Proto from a peer that is not a trusted proxy never reach the endpoints it advertises', async () => {
    const s = await startStack({ trustedProxies: ['10.0.0.0/8'] });
    try {
      const meta = await discoveryVia(s);
      assert.equal(meta.authorization_endpoint, `${s.fedUrl}/auth`);
      assert.equal(meta.token_endpoint, `${s.fedUrl}/token`);
    } finally {
      await s.close();
    }
  });

  it('from a trusted proxy they are honoured (the deployment behind a TLS-terminating proxy)', async () => {
    const s = await startStack({ trustedProxies: ['loopback'] });
    try {
      assert.equal((await discoveryVia(s)).authorization_endpoint, 'https://evil.example/auth');
    } finally {
      await s.close();
    }
  });
});
