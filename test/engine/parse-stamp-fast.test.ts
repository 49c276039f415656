// parseStamp's quick check of today's shape (src/engine/stamp-fast-check.ts) against the zod
// schema it stands in for: over valid stamps of every state and thousands of mutations of them
// (keys removed, added, or given values of every wrong kind), whatever the quick check accepts
// the schema accepts with the same result, and parseStamp answers exactly what the schema
// alone would.
import assert from 'node:assert/strict';
import { currentStampSchema, parseStamp } from '../../src/engine/parse-stamp.ts';
import { STAMP_VERSION } from '../../src/engine/stamp.ts';
import { currentStampFastCheck } from '../../src/engine/stamp-fast-check.ts';

const T = Date.UTC(2026, 0, 5, 9, 0, 0);
const facts = {
  version: STAMP_VERSION,
  userId: 'alice',
  amr: ['pwd', 'otp', 'mfa'],
  acr: 'urn:mfakit:acr:mfa',
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
const valid: Record<string, unknown>[] = [
  facts,
  { ...facts, mfaAt: null, app: null, verifiedAt: {}, risk: {}, groups: [], roles: [] },
  { ...facts, skippedBy: 'user_disabled' },
  { ...facts, skippedBy: 'trusted_network', clientAppType: 'legacy' },
  { ...facts, skippedBy: 'remembered_device', rememberedDeviceId: 'dev-1', rememberedDeviceAt: T - 1000 },
  // The passkey that signed in as one factor (optional: stamps written before have none).
  { ...facts, amr: ['hwk'], firstFactorAmr: ['hwk'], methods: ['password'], firstFactorMethodId: 'pk-1' },
  { ...facts, skippedBy: 'trusted_network', amr: ['hwk'], firstFactorMethodId: 'pk-1' },
  {
    ...facts,
    skippedBy: 'remembered_device',
    rememberedDeviceId: 'dev-1',
    rememberedDeviceAt: T,
    firstFactorMethodId: 'pk-1',
  },
  // The session's own id (optional: stamps written before have none), alone and with the passkey.
  { ...facts, sessionId: 'c2Vzc2lvbi1pZC0xMjM0NQ' },
  { ...facts, skippedBy: 'user_disabled', sessionId: 's-1', firstFactorMethodId: 'pk-1' },
  {
    ...facts,
    skippedBy: 'remembered_device',
    rememberedDeviceId: 'dev-1',
    rememberedDeviceAt: T,
    sessionId: 's-1',
  },
];

/** Values of every kind a field might wrongly hold. */
const ODD: unknown[] = [
  undefined,
  null,
  '',
  'x',
  'totp',
  'browser',
  0,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  [],
  ['x'],
  [1],
  ['password'],
  ['password', 7],
  {},
  { totp: T },
  { bogus: T },
  { totp: 'T' },
  { newDevice: true },
  { newDevice: 'yes' },
  { recentFailures: Number.NaN },
  { extra: 1 },
  Object.create({ inherited: 1 }),
  STAMP_VERSION,
  STAMP_VERSION + 1,
  'remembered_device',
  'user_disabled',
];
const KEYS = [
  ...Object.keys(facts),
  'firstFactorMethodId',
  'sessionId',
  'skippedBy',
  'rememberedDeviceId',
  'rememberedDeviceAt',
  'extra',
  '__proto__',
];

/** Every stamp with one key removed, or set to each odd value; and some with two changes. */
function* mutations(): Generator<unknown> {
  for (const stamp of valid) {
    yield stamp;
    yield JSON.parse(JSON.stringify(stamp));
    for (const key of KEYS) {
      const without = { ...stamp };
      delete without[key];
      yield without;
      for (const odd of ODD) {
        const changed: Record<string, unknown> = { ...stamp };
        Object.defineProperty(changed, key, {
          value: odd,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        yield changed;
        // Nested: the odd value inside verifiedAt and risk too.
        yield { ...stamp, verifiedAt: { totp: T, [key]: odd } };
        yield { ...stamp, risk: { newDevice: false, [key]: odd } };
      }
    }
  }
  yield JSON.parse(`{"version":${STAMP_VERSION},"__proto__":{"userId":"mallory"}}`);
  yield [facts];
  const sparse: string[] = [];
  sparse[1] = 'pwd';
  yield { ...facts, amr: sparse };
  yield Object.assign(Object.create({ polluted: true }), facts);
}

describe("parseStamp: the quick check of today's shape agrees with the schema", () => {
  it('whatever the quick check accepts, the schema accepts alike; parseStamp answers as the schema does', () => {
    let accepted = 0;
    let total = 0;
    for (const value of mutations()) {
      total++;
      const bySchema = currentStampSchema.safeParse(value);
      const quick = currentStampFastCheck(value);
      if (quick !== undefined) {
        accepted++;
        assert.ok(bySchema.success, `accepted quickly but not by the schema: ${JSON.stringify(value)}`);
        assert.deepEqual(quick, bySchema.data, JSON.stringify(value));
      }
      const version = (value as { version?: unknown } | null)?.version;
      if (version === STAMP_VERSION)
        assert.deepEqual(parseStamp(value), bySchema.success ? bySchema.data : null, JSON.stringify(value));
    }
    // The quick check is not idle: the valid stamps and many harmless variations take it.
    assert.ok(accepted >= valid.length * 2, `${accepted} of ${total} accepted quickly`);
    assert.ok(total > 5000, `${total} cases`);
  });

  it('reads the first-factor passkey when recorded, and a stamp written before it without one', () => {
    const before = JSON.parse(JSON.stringify(facts));
    const withPasskey = JSON.parse(JSON.stringify({ ...facts, firstFactorMethodId: 'pk-1' }));
    const old = parseStamp(before);
    assert.ok(old && !('firstFactorMethodId' in old));
    assert.deepEqual(old, currentStampFastCheck(before));
    assert.equal(parseStamp(withPasskey)?.firstFactorMethodId, 'pk-1');
    assert.equal(currentStampFastCheck(withPasskey)?.firstFactorMethodId, 'pk-1');
    // Not a method id: the quick check leaves it to the schema, which refuses it.
    assert.equal(currentStampFastCheck({ ...withPasskey, firstFactorMethodId: '' }), undefined);
    assert.equal(parseStamp({ ...withPasskey, firstFactorMethodId: 7 }), null);
  });

  it("reads the session's id when recorded, and a stamp written before it without one; round-trips both", () => {
    const before = JSON.parse(JSON.stringify(facts));
    const withId = JSON.parse(JSON.stringify({ ...facts, sessionId: 's-1', firstFactorMethodId: 'pk-1' }));
    const old = parseStamp(before);
    assert.ok(old && !('sessionId' in old));
    assert.deepEqual(parseStamp(JSON.parse(JSON.stringify(old))), old);
    const read = parseStamp(withId);
    assert.equal(read?.sessionId, 's-1');
    assert.equal(read?.firstFactorMethodId, 'pk-1');
    assert.deepEqual(read, currentStampFastCheck(withId));
    assert.deepEqual(read, currentStampSchema.parse(withId));
    // As the session store gives it back (JSON), it reads the same again.
    assert.deepEqual(parseStamp(JSON.parse(JSON.stringify(read))), read);
    // Not an id: the quick check leaves it to the schema, which refuses it.
    for (const odd of ['', 7, null, ['s-1'], { id: 's-1' }]) {
      const forged = { ...withId, sessionId: odd };
      assert.equal(currentStampFastCheck(forged), undefined, JSON.stringify(odd));
      assert.equal(parseStamp(forged), null, JSON.stringify(odd));
    }
  });

  it('hands back copies: changing the result does not change the stored value', () => {
    const stored = JSON.parse(JSON.stringify(facts));
    const stamp = currentStampFastCheck(stored);
    assert.ok(stamp);
    stamp.amr.push('x');
    stamp.methods.push('webauthn');
    (stamp.verifiedAt as Record<string, number>).sms = 1;
    stamp.risk.fraudFlagged = true;
    assert.deepEqual(stored, JSON.parse(JSON.stringify(facts)));
  });
});
