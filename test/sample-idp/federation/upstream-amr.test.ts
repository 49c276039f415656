// What the ID token's amr says of an upstream sign-in: what this server relied on (`fed`, plus
// `mfa` when the trust accepts or enforces the upstream's MFA), never the upstream's own methods
// (`hwk`, `face`, `pwd`…), which this server did not check. RFC 8176 allows `mfa` alone.
import assert from 'node:assert/strict';
import { applyMfaBehavior } from '../../../sample-idp/federation/mfa-behavior.ts';

describe('sample-idp federation: amr of an upstream sign-in', () => {
  const partnerSaid = { amr: ['hwk', 'swk', 'face', 'pwd', 'mfa'], acr: 'urn:partner:mfa' };

  it('accept: the partner’s MFA → exactly fed + mfa; its hwk/swk/face/pwd are not claimed as this server’s', () => {
    assert.deepEqual(applyMfaBehavior('acceptIfMfaDoneByFederatedIdp', partnerSaid, 'urn:partner:mfa'), {
      ok: true,
      amr: ['fed', 'mfa'],
    });
    assert.deepEqual(
      applyMfaBehavior('acceptIfMfaDoneByFederatedIdp', { amr: ['hwk', 'face', 'pwd'] }, 'urn:partner:mfa'),
      { ok: true, amr: ['fed'] },
      'no MFA upstream: one factor',
    );
  });

  it('enforce: exactly fed + mfa; reject: exactly fed', () => {
    assert.deepEqual(applyMfaBehavior('enforceMfaByFederatedIdp', partnerSaid, 'urn:partner:mfa'), {
      ok: true,
      amr: ['fed', 'mfa'],
    });
    assert.deepEqual(applyMfaBehavior('rejectMfaByFederatedIdp', partnerSaid, 'urn:partner:mfa'), {
      ok: true,
      amr: ['fed'],
    });
  });
});
