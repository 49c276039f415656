// A test's setup for a user who already has an authenticator app: registered straight through
// the engine (no pages), confirmed with the previous period's code so the current one is still
// unused for the test's own sign-in.
import assert from 'node:assert/strict';
import type { Mfa } from '../../src/index.ts';
import { codeFor } from './app.ts';
import type { TestClock } from './test-clock.ts';
import { totpSecretOf } from './totp-now.ts';

/** Registers an authenticator app for `user`; returns its secret. */
export async function enrolThroughEngine(mfa: Mfa, clock: TestClock, user: string): Promise<string> {
  const draft = await mfa.enrollment.begin('totp', user, user);
  const secret = totpSecretOf(draft);
  const confirmed = await mfa.enrollment.confirm(
    'totp',
    user,
    draft.draftId,
    { code: codeFor(secret, clock, -1) },
    'app',
    { ip: '127.0.0.1' },
  );
  assert.equal(confirmed.ok, true);
  return secret;
}
