// Push fixtures: an engine with TOTP, push notifications and recovery codes whose notifications
// go to an outbox the test reads (nothing printed), and a device registered through the
// engine's own enrollment by a real app (test/helpers/push-app.ts).
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import {
  type Mfa,
  type MfaOptions,
  pushMethod,
  pushOutbox,
  recoveryCode,
  type Stores,
  totp,
} from '../../src/index.ts';
import { createPushApp, type DeviceTransport, engineTransport, type PushApp } from './push-app.ts';
import { type TestClock, testClock } from './test-clock.ts';
import { createTestMfa } from './test-mfa.ts';

export const CTX = { ip: '192.0.2.10' };
export const PUSH_ENDPOINT = 'https://idp.example.test/mfa/device';

export function pushMfa(
  overrides: Partial<MfaOptions> & {
    stores?: Stores;
    clock?: TestClock;
    push?: Partial<Parameters<typeof pushMethod>[0]>;
  } = {},
) {
  const clock = overrides.clock ?? testClock();
  const outbox = pushOutbox({ print: false });
  const stores = overrides.stores ?? createMemoryStores({ clock });
  const { push, ...rest } = overrides;
  const methods = [totp, pushMethod({ endpoint: PUSH_ENDPOINT, delivery: outbox, ...push }), recoveryCode];
  const { mfa, events } = createTestMfa(
    { methods, ...rest, stores },
    { clock, issuer: 'Test Co', keyFill: 9 },
  );
  return { mfa, outbox, clock, events, stores };
}

/**
 * Registers a phone app for `userId` through the engine: the app activates (by `transport`: the
 * engine, or an app's device API over HTTP), the user types its code.
 */
export async function registerPushApp(
  mfa: Mfa,
  clock: TestClock,
  userId: string,
  options: { name?: string; pushToken?: string; transport?: DeviceTransport } = {},
): Promise<{ app: PushApp; methodId: string }> {
  const { transport = engineTransport(mfa), ...appOptions } = options;
  const app = await createPushApp(transport, { now: () => clock.now(), ...appOptions });
  const draft = await mfa.enrollment.begin('push', userId, userId, undefined, CTX);
  const activated = await app.activate(String(draft.fields.activationUri));
  assert.equal(activated.status, 200, JSON.stringify(activated.body));
  const confirmed = await mfa.enrollment.confirm(
    'push',
    userId,
    draft.draftId,
    { code: activated.body.confirmationCode },
    '',
    CTX,
  );
  assert.ok(confirmed.ok, 'the app is registered');
  return { app, methodId: confirmed.method.id };
}

/** A sign-in after the password, waiting for its second factor; its pending id. */
export async function pendingSignIn(mfa: Mfa, userId: string): Promise<string> {
  const started = await mfa.beginSignIn({ userId, amr: ['pwd'], ip: CTX.ip, userAgent: 'test' });
  assert.equal(started.status, 'mfa');
  if (started.status !== 'mfa') throw new Error('unreachable');
  return started.pending.id;
}

/** Sends a notification for a pending sign-in: its number to match. */
export async function sendPush(mfa: Mfa, pendingId: string, methodId: string): Promise<string> {
  const sent = await mfa.sendPendingCode(pendingId, methodId, CTX);
  assert.ok(sent.ok, JSON.stringify(sent));
  assert.match(sent.number ?? '', /^[1-9]\d$/);
  return sent.number ?? '';
}
