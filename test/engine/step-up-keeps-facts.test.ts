// A step-up raises the session's stamp (amr, acr, the time of the second factor) and keeps every
// other fact of it as it was — the passkey that signed in as one factor above all
// (`firstFactorMethodId`), which no later step-up may use as its factor, and the session's id
// (`sessionId`), to which its later step-ups are bound; a skip the sign-in made
// (a trusted network) is no longer recorded once a second factor was verified.
import assert from 'node:assert/strict';
import type { AuthStamp } from '../../src/index.ts';
import { codeFor } from '../helpers/app.ts';
import { enrolThroughEngine } from '../helpers/enrol-through-engine.ts';
import { testClock } from '../helpers/test-clock.ts';
import { createTestMfa } from '../helpers/test-mfa.ts';

const CTX = { ip: '203.0.113.9' };

describe('step-up: the raised stamp', () => {
  it('keeps firstFactorMethodId, the session id, the app and the sign-in time; drops the skip', async () => {
    const clock = testClock();
    const { mfa } = createTestMfa(
      { trustedNetworks: ['203.0.113.0/24'] },
      { clock, issuer: 'T', keyFill: 3 },
    );
    const secret = await enrolThroughEngine(mfa, clock, 'alice');
    const start = await mfa.beginSignIn({ userId: 'alice', amr: ['hwk'], app: 'portal', ...CTX });
    assert.ok(start.status === 'complete' && start.stamp.skippedBy === 'trusted_network', start.status);
    const stamp = { ...start.stamp, firstFactorMethodId: 'passkey-1' } as AuthStamp;
    clock.advance(60_000);

    const raised = await mfa.stepUp(stamp, { code: codeFor(secret, clock) }, CTX);
    assert.ok(raised.ok, JSON.stringify(raised));
    assert.equal(raised.stamp.firstFactorMethodId, 'passkey-1');
    assert.match(stamp.sessionId ?? '', /^[A-Za-z0-9_-]{22,}$/);
    assert.equal(
      raised.stamp.sessionId,
      stamp.sessionId,
      'the same session: its later step-ups stay bound to it',
    );
    assert.equal(raised.stamp.app, 'portal');
    assert.equal(raised.stamp.authTime, stamp.authTime);
    assert.equal(raised.stamp.mfaAt, clock.now());
    assert.equal(raised.stamp.skippedBy, undefined);
    assert.equal('rememberedDeviceId' in raised.stamp, false);
  });
});
