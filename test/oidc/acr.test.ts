import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { acrFor, createMfa } from '../../src/index.ts';
import { acrRank, meetsAcr, requestedAcr } from '../../src/oidc/acr.ts';
import { codeFor } from '../helpers/app.ts';
import { testClock } from '../helpers/test-clock.ts';
import { totpSecretOf } from '../helpers/totp-now.ts';

const PWD = 'urn:mfakit:acr:pwd';
const MFA = 'urn:mfakit:acr:mfa';
const PHR = 'urn:mfakit:acr:phr';

describe('acr values: what a client asks for and what a session reached', () => {
  it('orders pwd < mfa < phr; anything else ranks below all', () => {
    assert.deepEqual([PWD, MFA, PHR, 'urn:x', undefined].map(acrRank), [0, 1, 2, -1, -1]);
  });

  it('acr_values is a set of acceptable levels: the weakest known one decides', () => {
    assert.deepEqual(requestedAcr({ acr_values: `${PHR} ${MFA}` }), { minimum: MFA, strengths: ['mfa'] });
    assert.deepEqual(requestedAcr({ acr_values: PHR }), { minimum: PHR, strengths: ['phishingResistant'] });
    assert.deepEqual(requestedAcr({ acr_values: `urn:other ${PWD}` }), { minimum: PWD, strengths: [] });
    assert.deepEqual(requestedAcr({ acr_values: 'urn:other gold' }), { minimum: null, strengths: [] });
    assert.deepEqual(requestedAcr({}), { minimum: null, strengths: [] });
  });

  it("a client's required acr is the floor: a request can raise it, never lower it; an unknown one is refused", () => {
    assert.deepEqual(requestedAcr({}, MFA), { minimum: MFA, strengths: ['mfa'] });
    assert.deepEqual(requestedAcr({ acr_values: PWD }, MFA), { minimum: MFA, strengths: ['mfa'] });
    assert.deepEqual(requestedAcr({ acr_values: `${PWD} ${PHR}` }, MFA), {
      minimum: MFA,
      strengths: ['mfa'],
    });
    assert.deepEqual(requestedAcr({ acr_values: PHR }, MFA), {
      minimum: PHR,
      strengths: ['phishingResistant'],
    });
    const claims = JSON.stringify({ id_token: { acr: { essential: true, value: PWD } } });
    assert.equal(requestedAcr({ claims }, PHR).minimum, PHR);
    assert.deepEqual(requestedAcr({ acr_values: MFA }, undefined), { minimum: MFA, strengths: ['mfa'] });
    assert.throws(() => requestedAcr({ acr_values: MFA }, 'urn:example:gold'), /not an acr mfakit issues/);
  });

  it('reads an essential acr from the claims parameter (string or object), ignoring malformed ones', () => {
    const claims = JSON.stringify({ id_token: { acr: { essential: true, value: MFA } } });
    assert.equal(requestedAcr({ claims }).minimum, MFA);
    assert.equal(requestedAcr({ claims: { id_token: { acr: { values: [PHR] } } } }).minimum, PHR);
    assert.equal(requestedAcr({ claims: '{not json' }).minimum, null);
    assert.equal(
      requestedAcr({ claims: JSON.stringify({ id_token: { acr: { values: [1, {}] } } }) }).minimum,
      null,
    );
    // Padding never drops the request (a cap would fail open).
    assert.equal(
      requestedAcr({ claims: `{"id_token":{"acr":{"value":"${MFA}"}},"x":"${'a'.repeat(3000)}"}` }).minimum,
      MFA,
    );
    assert.equal(requestedAcr({ acr_values: `${MFA}${' '.repeat(3000)}` }).minimum, MFA);
  });

  it('meetsAcr: a session meets a request at or below its level, and any request without a known level', () => {
    assert.equal(meetsAcr(MFA, requestedAcr({ acr_values: MFA })), true);
    assert.equal(meetsAcr(PHR, requestedAcr({ acr_values: MFA })), true);
    assert.equal(meetsAcr(PWD, requestedAcr({ acr_values: MFA })), false);
    assert.equal(meetsAcr(MFA, requestedAcr({ acr_values: PHR })), false);
    assert.equal(meetsAcr('urn:forged:high', requestedAcr({ acr_values: MFA })), false);
    assert.equal(meetsAcr(PWD, requestedAcr({})), true);
  });

  it('acrFor: from the methods really verified — a security key is phr, two factors mfa, else pwd', () => {
    assert.equal(acrFor(['password', 'webauthn'], ['pwd', 'hwk', 'mfa']), PHR);
    assert.equal(acrFor(['password', 'totp'], ['pwd', 'otp', 'mfa']), MFA);
    assert.equal(acrFor(['password'], ['pwd']), PWD);
  });
});

describe('requested strengths in the engine (what acr_values becomes)', () => {
  const setup = async () => {
    const clock = testClock();
    const mfa = createMfa({
      stores: createMemoryStores({ clock }),
      clock,
      issuer: 'T',
      sealingKeys: [{ id: 'k', key: Buffer.alloc(32, 3) }],
      trustedNetworks: ['10.0.0.0/8'],
      audit: () => {},
      rememberDevice: { enabled: true, days: 14, maxDays: 60, cookieName: 'rd', secureCookie: false },
    });
    const draft = await mfa.enrollment.begin('totp', 'u', 'u');
    await mfa.enrollment.confirm(
      'totp',
      'u',
      draft.draftId,
      { code: codeFor(totpSecretOf(draft), clock) },
      '',
      {
        ip: '10.0.0.1',
      },
    );
    return { mfa, clock, secret: totpSecretOf(draft) };
  };

  it('a trusted network skips MFA, but not when the client asked for it', async () => {
    const { mfa } = await setup();
    const plain = await mfa.beginSignIn({ userId: 'u', amr: ['pwd'], ip: '10.1.1.1' });
    assert.equal(plain.status, 'complete');
    const asked = await mfa.beginSignIn({
      userId: 'u',
      amr: ['pwd'],
      ip: '10.1.1.1',
      requestedStrengths: ['mfa'],
    });
    assert.equal(asked.status, 'mfa');
  });

  it('a user with MFA disabled is still asked when the client requires it', async () => {
    const { mfa } = await setup();
    await mfa.admin.setUserState('u', 'disabled', { ip: '10.0.0.1' });
    assert.equal((await mfa.beginSignIn({ userId: 'u', amr: ['pwd'], ip: '192.0.2.1' })).status, 'complete');
    const asked = await mfa.beginSignIn({
      userId: 'u',
      amr: ['pwd'],
      ip: '192.0.2.1',
      requestedStrengths: ['mfa'],
    });
    assert.equal(asked.status, 'mfa');
  });

  it('a remembered device never satisfies a requested level', async () => {
    const { mfa } = await setup();
    const issued = await mfa.devices.remember('u', 'UA', { ip: '192.0.2.1' }, 14);
    const input = {
      userId: 'u',
      amr: ['pwd'],
      ip: '192.0.2.1',
      userAgent: 'UA',
      rememberedDeviceCookie: issued.cookieValue,
    };
    assert.equal((await mfa.beginSignIn(input)).status, 'complete');
    assert.equal((await mfa.beginSignIn({ ...input, requestedStrengths: ['mfa'] })).status, 'mfa');
  });

  it("a level none of the user's methods reaches is blocked with the reason", async () => {
    const { mfa } = await setup();
    const start = await mfa.beginSignIn({
      userId: 'u',
      amr: ['pwd'],
      ip: '192.0.2.1',
      requestedStrengths: ['phishingResistant'],
    });
    assert.equal(start.status, 'blocked');
    assert.equal(start.decision.reasons.at(-1)?.code, 'strength_unavailable');
  });

  it('an upstream sign-in alone (amr fed) is one factor: a local code is asked, then acr is mfa', async () => {
    const { mfa, clock, secret } = await setup();
    const start = await mfa.beginSignIn({ userId: 'u', amr: ['fed'], ip: '192.0.2.1' });
    assert.equal(start.status, 'mfa');
    if (start.status !== 'mfa') return;
    const done = await mfa.verifyPending(
      start.pending.id,
      { code: codeFor(secret, clock, 1) },
      { ip: '192.0.2.1' },
    );
    assert.equal(done.ok, true);
    if (done.ok) {
      assert.deepEqual(done.stamp.amr, ['fed', 'otp', 'mfa']);
      assert.equal(done.stamp.acr, MFA);
    }
  });

  it("an upstream IdP's MFA (amr mfa as the first factor) meets a requested mfa level", async () => {
    const { mfa } = await setup();
    const start = await mfa.beginSignIn({
      userId: 'u',
      amr: ['pwd', 'mfa'],
      ip: '192.0.2.1',
      requestedStrengths: ['mfa'],
    });
    assert.equal(start.status, 'complete');
    if (start.status === 'complete') assert.equal(start.stamp.acr, MFA);
  });
});
