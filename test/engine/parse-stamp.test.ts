// parseStamp(), the boundary where a stamp comes back from storage: today's shape as written,
// the unversioned shapes of earlier releases upgraded once (what each older reader assumed of a
// missing field), and everything else refused with null — which integrations treat as no
// session, so the user signs in again.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import {
  ACR_MFA,
  ACR_PASSWORD,
  type AuthStamp,
  createMfa,
  parseStamp,
  STAMP_VERSION,
} from '../../src/index.ts';
import { codeFor } from '../helpers/app.ts';
import { testClock } from '../helpers/test-clock.ts';
import { totpSecretOf } from '../helpers/totp-now.ts';

const T = Date.UTC(2026, 0, 5, 9, 0, 0);

/** A stamp as the engine writes it today. */
const current: AuthStamp = {
  version: STAMP_VERSION,
  userId: 'alice',
  amr: ['pwd', 'otp', 'mfa'],
  acr: ACR_MFA,
  firstFactorAmr: ['pwd'],
  authTime: T,
  mfaAt: T,
  methods: ['password', 'totp'],
  verifiedAt: { totp: T },
  app: 'payroll',
  clientAppType: 'browser',
  groups: ['finance'],
  roles: ['approver'],
  risk: { newDevice: false, newNetwork: true, fraudFlagged: false, recentFailures: 0 },
};

/** The defaults an upgraded stamp gets for the conditional-access facts an old one lacks. */
const NO_FACTS = { app: null, clientAppType: 'browser', groups: [], roles: [], risk: {} } as const;

describe('parseStamp: stamps read back from storage', () => {
  it("a stamp the engine wrote survives the store's JSON round trip unchanged", async () => {
    const clock = testClock();
    const mfa = createMfa({
      stores: createMemoryStores({ clock }),
      clock,
      issuer: 'Test',
      sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 9) }],
      audit: () => {},
      defaultUserState: 'enforced',
    });
    const draft = await mfa.enrollment.begin('totp', 'alice', 'alice');
    const ctx = { ip: '198.51.100.7' };
    assert.ok(
      (
        await mfa.enrollment.confirm(
          'totp',
          'alice',
          draft.draftId,
          { code: codeFor(totpSecretOf(draft), clock) },
          'app',
          ctx,
        )
      ).ok,
    );
    clock.advance(31_000);
    const start = await mfa.beginSignIn({ userId: 'alice', amr: ['pwd'], ...ctx });
    assert.ok(start.status === 'mfa');
    const done = await mfa.verifyPending(
      start.pending.id,
      { code: codeFor(totpSecretOf(draft), clock) },
      ctx,
    );
    assert.ok(done.ok);
    assert.equal(done.stamp.version, STAMP_VERSION);
    assert.deepEqual(parseStamp(JSON.parse(JSON.stringify(done.stamp))), done.stamp);
    assert.deepEqual(parseStamp(current), current);
  });

  it('keeps each skip with what it needs, and drops a device named on a skip that is not a device', () => {
    const remembered = {
      ...current,
      skippedBy: 'remembered_device',
      rememberedDeviceId: 'dev-1',
      rememberedDeviceAt: T - 1000,
    };
    assert.deepEqual(parseStamp(remembered), remembered);
    const trusted = { ...current, skippedBy: 'trusted_network' };
    assert.deepEqual(parseStamp(trusted), trusted);
    assert.deepEqual(parseStamp({ ...trusted, rememberedDeviceId: 'dev-1', rememberedDeviceAt: T }), trusted);
  });

  describe('older shapes are upgraded once', () => {
    it('the first release (who, amr, acr, times): methods from amr, second factors dated from mfaAt', () => {
      const old = { userId: 'alice', amr: ['pwd', 'otp', 'mfa'], acr: ACR_MFA, authTime: T, mfaAt: T + 5 };
      assert.deepEqual(parseStamp(old), {
        version: STAMP_VERSION,
        ...old,
        firstFactorAmr: ['pwd'],
        methods: ['password', 'totp'],
        verifiedAt: { totp: T + 5 },
        ...NO_FACTS,
      });
    });

    it('a hardware token (hwk) and a federated first factor (fed) read as such', () => {
      const old = { userId: 'bob', amr: ['fed', 'otp', 'hwk', 'mfa'], acr: ACR_MFA, authTime: T, mfaAt: T };
      const upgraded = parseStamp(old);
      assert.deepEqual(upgraded?.methods, ['password', 'hardwareOath']);
      assert.deepEqual(upgraded?.firstFactorAmr, ['fed']);
      assert.deepEqual(upgraded?.verifiedAt, { hardwareOath: T });
    });

    it('conditional access (methods, app, groups, roles, risk) without per-method times: no factor gets younger', () => {
      const old = {
        userId: 'alice',
        amr: ['pwd', 'otp', 'hwk', 'mfa'],
        acr: ACR_MFA,
        authTime: T,
        mfaAt: T - 7_200_000,
        methods: ['password', 'hardwareOath'],
        app: 'payroll',
        groups: ['finance'],
        roles: [],
        risk: { newDevice: true },
      };
      assert.deepEqual(parseStamp(old), {
        ...old,
        version: STAMP_VERSION,
        firstFactorAmr: ['pwd'],
        verifiedAt: { hardwareOath: T - 7_200_000 },
        clientAppType: 'browser',
      });
    });

    it('a skipped sign-in verified nothing: no second factor gets a time', () => {
      const old = {
        userId: 'alice',
        amr: ['pwd'],
        acr: ACR_PASSWORD,
        authTime: T,
        mfaAt: null,
        skippedBy: 'trusted_network',
      };
      const upgraded = parseStamp(old);
      assert.equal(upgraded?.skippedBy, 'trusted_network');
      assert.deepEqual(upgraded?.verifiedAt, {});
      assert.deepEqual(upgraded?.methods, ['password']);
    });

    it("a remembered-device stamp with its device but not the device's age dates it from the sign-in", () => {
      const old = {
        userId: 'alice',
        amr: ['pwd'],
        acr: ACR_PASSWORD,
        authTime: T,
        mfaAt: null,
        skippedBy: 'remembered_device',
        rememberedDeviceId: 'dev-1',
      };
      const upgraded = parseStamp(old);
      assert.ok(upgraded?.skippedBy === 'remembered_device');
      assert.equal(upgraded.rememberedDeviceId, 'dev-1');
      assert.equal(upgraded.rememberedDeviceAt, T);
    });

    it('the release just before versions (everything but the version) only gains the version', () => {
      const { version: _none, ...unversioned } = current;
      assert.deepEqual(parseStamp(unversioned), current);
    });
  });

  describe('refused: the session signs in again', () => {
    const refused: Array<[string, unknown]> = [
      ['nothing', undefined],
      ['null', null],
      ['a string (a stamp still in JSON)', JSON.stringify(current)],
      ['a number', 42],
      ['an array', [current]],
      ['an empty object', {}],
      ['no user', { ...current, userId: undefined }],
      ['an empty user id', { ...current, userId: '' }],
      ['amr not a list', { ...current, amr: 'pwd otp' }],
      ['a time that is not a number', { ...current, authTime: '2026-01-05' }],
      ['a time that is not finite', { ...current, mfaAt: Number.POSITIVE_INFINITY }],
      ['a method that does not exist', { ...current, methods: ['password', 'magic'] }],
      ['a client type that does not exist', { ...current, clientAppType: 'telnet' }],
      ['an unknown skip', { ...current, skippedBy: 'asked_nicely' }],
      ['a version this code does not know (a newer release)', { ...current, version: STAMP_VERSION + 1 }],
      ['a version that is not a number', { ...current, version: String(STAMP_VERSION) }],
      ['the current version missing a field (per-method times)', { ...current, verifiedAt: undefined }],
      ['the current version missing the first factor', { ...current, firstFactorAmr: undefined }],
      [
        'a remembered-device skip that names no device',
        { ...current, skippedBy: 'remembered_device', rememberedDeviceAt: T },
      ],
      [
        'a remembered-device skip without its age (the current version always has it)',
        { ...current, skippedBy: 'remembered_device', rememberedDeviceId: 'dev-1' },
      ],
      [
        'an old remembered-device stamp from before device ids',
        {
          userId: 'alice',
          amr: ['pwd'],
          acr: ACR_PASSWORD,
          authTime: T,
          mfaAt: null,
          skippedBy: 'remembered_device',
        },
      ],
    ];
    for (const [what, value] of refused)
      it(what, () => {
        assert.equal(parseStamp(value), null);
      });
  });

  it('the compiler refuses the impossible stamps', () => {
    const stamps: AuthStamp[] = [
      // @ts-expect-error a remembered-device skip names its device
      { ...current, skippedBy: 'remembered_device', rememberedDeviceAt: T },
      // @ts-expect-error a trusted-network skip has no device
      { ...current, skippedBy: 'trusted_network', rememberedDeviceId: 'dev-1' },
      // @ts-expect-error every stamp has its version
      { ...current, version: undefined },
    ];
    const deviceOf = (s: AuthStamp) => {
      // @ts-expect-error the device is only known once the stamp is a remembered-device skip
      void s.rememberedDeviceId;
      return s.skippedBy === 'remembered_device' ? s.rememberedDeviceId : null;
    };
    assert.equal(deviceOf(stamps[0] as AuthStamp), undefined);
  });
});
