// Text-message and phone-call fixtures: an engine with TOTP, SMS, voice and recovery codes whose
// messages go to an outbox the test reads (nothing printed), a phone registered through the
// engine's own enrollment (the code read from the outbox), and the code of the last message;
// the same engine with calls answered on the keypad (`keypadMfa`).
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import {
  type Mfa,
  type MfaOptions,
  type Outbox,
  outboxDelivery,
  recoveryCode,
  type Stores,
  smsMethod,
  totp,
  type VoiceOptions,
  voiceMethod,
} from '../../src/index.ts';
import { type TestClock, testClock } from './test-clock.ts';
import { createTestMfa } from './test-mfa.ts';

export const CTX = { ip: '192.0.2.10' };
export const PHONE_METHODS = [totp, smsMethod(), voiceMethod(), recoveryCode];

export function phoneMfa(overrides: Partial<MfaOptions> & { stores?: Stores; clock?: TestClock } = {}) {
  const clock = overrides.clock ?? testClock();
  const outbox = outboxDelivery({ print: false });
  const stores = overrides.stores ?? createMemoryStores({ clock });
  const { mfa, events } = createTestMfa(
    { methods: PHONE_METHODS, ...overrides, stores, phone: { delivery: outbox, ...overrides.phone } },
    { clock, issuer: 'Test Co', keyFill: 7 },
  );
  return { mfa, outbox, clock, events, stores };
}

/**
 * The same engine with phone calls answered on the keypad (`voiceMethod(voice)`, keypad mode
 * unless `voice.answer` says otherwise).
 */
export function keypadMfa(
  voice: VoiceOptions = {},
  overrides: Partial<MfaOptions> & { stores?: Stores; clock?: TestClock } = {},
) {
  return phoneMfa({
    methods: [totp, smsMethod(), voiceMethod({ answer: 'keypad', ...voice }), recoveryCode],
    ...overrides,
  });
}

/** The code of the last message (to `to`, if given). */
export function lastCode(outbox: Outbox, to?: string): string {
  const message = outbox.last(to);
  assert.ok(message, 'a message was sent');
  return message.code;
}

/** Registers a phone of `kind` for `userId` through the engine (code read from the outbox); its method id. */
export async function registerPhone(
  mfa: Mfa,
  outbox: Outbox,
  userId: string,
  kind: 'sms' | 'voice',
  phoneNumber: string,
  fields: { pin?: string } = {},
): Promise<string> {
  const draft = await mfa.enrollment.begin(kind, userId, userId, { phoneNumber, ...fields }, CTX);
  const confirmed = await mfa.enrollment.confirm(
    kind,
    userId,
    draft.draftId,
    { code: lastCode(outbox) },
    '',
    CTX,
  );
  assert.ok(confirmed.ok, 'the phone is registered');
  return confirmed.method.id;
}

/** A sign-in after the password, waiting for its second factor; its pending id. */
export async function pendingSignIn(mfa: Mfa, userId: string): Promise<string> {
  const started = await mfa.beginSignIn({ userId, amr: ['pwd'], ip: CTX.ip, userAgent: 'test' });
  assert.equal(started.status, 'mfa');
  if (started.status !== 'mfa') throw new Error('unreachable');
  return started.pending.id;
}
