// Passwordless sign-in: a method that signs a user in on its own (a discoverable passkey with
// user verification) as the first factor, with no user name and no password. `begin` hands the
// browser a challenge (for conditional UI / autofill) under a fresh challenge id; `verify` takes
// that challenge once and answers which account the credential belongs to, with the first
// factor's `amr` for `beginSignIn` — `hwk`/`swk` and `user`, plus `mfa` when the method counts
// such a sign-in as multi-factor. Failures and successes are audited like a password's, and
// every answer is checked only after it has claimed a place in the first-factor throttle's
// per-address window (`claimAddress`): failed passkeys and failed passwords spend one budget per
// address, a refusal is `throttled` with the seconds to wait (audited like the gate's: once a
// minute per address, the rest counted), and a success gives back only its own place.
import { MfaError } from '../errors.ts';
import type { ChallengeOptions, FactorInput } from '../methods/method.ts';
import { randomId } from './capabilities.ts';
import type { EngineContext } from './engine-context.ts';
import { answerRefusedClaim } from './first-factor-throttle.ts';
import { addressBucket } from './lockout.ts';
import type { RequestContext } from './sign-in-types.ts';

export type PasswordlessResult =
  | { ok: true; userId: string; amr: string[]; methodId: string }
  | { ok: false; error: 'invalid_credential' }
  /** The address spent its first-factor failures (passwords' too): 429 with Retry-After. */
  | { ok: false; error: 'throttled'; retryAfterSeconds: number };

export interface PasswordlessService {
  /** The enabled methods that sign users in without a password (`webauthn`), in the options' order. */
  available(): string[];
  /**
   * A challenge for the browser; `challengeId` names it in `verify` (keep it with the browser's
   * session). With `ctx`, at most PASSWORDLESS_PER_MINUTE per client address (IPv6 /64) a minute:
   * `slow_down` (429) beyond, so a script cannot fill the store with challenges.
   */
  begin(
    kind?: string,
    ctx?: RequestContext,
  ): Promise<{ kind: string; challengeId: string; options: ChallengeOptions }>;
  /**
   * The account the browser's answer proves, once per challenge. `accept`: whether that account
   * may sign in with a passkey alone here (e.g. still active, not a partner's account); a refusal
   * is audited and answered like a wrong credential. Throttled, before anything is checked, once
   * `ctx.ip` has spent the per-address failure budget it shares with passwords.
   */
  verify(
    challengeId: string,
    input: FactorInput,
    ctx: RequestContext,
    options?: { kind?: string; accept?: (userId: string) => boolean | Promise<boolean> },
  ): Promise<PasswordlessResult>;
}

/** Passwordless challenges handed to one address (IPv6 /64) per minute. */
export const PASSWORDLESS_PER_MINUTE = 60;

/** Challenge ids: url-safe, as `begin` makes them. */
export const CHALLENGE_ID = /^[A-Za-z0-9_-]{16,64}$/;

export function createPasswordless(engine: EngineContext): PasswordlessService {
  const { methods, random, audit, ephemeral, clock, firstFactorThrottle } = engine;
  const capable = () => methods.all.filter((m) => m.passwordless !== undefined);
  const methodOf = (kind: string | undefined) => {
    const method = kind === undefined ? capable()[0] : capable().find((m) => m.kind === kind);
    if (!method?.passwordless)
      throw new MfaError('unknown_method', 'No sign-in method here signs in without a password.', 404);
    return { kind: method.kind, passwordless: method.passwordless };
  };
  const binding = (challengeId: string) => `passwordless:${challengeId}`;
  return {
    available: () => capable().map((m) => m.kind),
    async begin(kind, ctx) {
      const method = methodOf(kind);
      if (ctx) {
        const minute = Math.floor(clock.now() / 60_000);
        const count = await ephemeral.increment(`passwordless:${addressBucket(ctx.ip)}:${minute}`, 60_000);
        if (count > PASSWORDLESS_PER_MINUTE)
          throw new MfaError('slow_down', 'Too many passkey sign-in attempts from here. Wait a minute.', 429);
      }
      const challengeId = randomId(random, 18);
      return {
        kind: method.kind,
        challengeId,
        options: await method.passwordless.begin(binding(challengeId)),
      };
    },
    async verify(challengeId, input, ctx, options = {}) {
      const method = methodOf(options.kind);
      const claim = await firstFactorThrottle.claimAddress(ctx.ip);
      if (!claim.allowed) return answerRefusedClaim(audit, null, ctx, 'passkey', claim);
      const checked = CHALLENGE_ID.test(challengeId)
        ? await method.passwordless.verify(input, binding(challengeId))
        : { ok: false as const, detail: 'challenge_missing' };
      const accepted = checked.ok && (!options.accept || (await options.accept(checked.record.userId)));
      await claim.finish(accepted ? 'success' : 'failure');
      if (!checked.ok) {
        await audit(null, ctx, {
          type: 'first_factor_failed',
          detail: checked.detail,
          data: { kind: 'passkey' },
        });
        return { ok: false, error: 'invalid_credential' };
      }
      const { record } = checked;
      if (!accepted) {
        await audit(record.userId, ctx, {
          type: 'first_factor_failed',
          detail: 'passkey_sign_in_not_allowed',
          data: { kind: 'passkey' },
        });
        return { ok: false, error: 'invalid_credential' };
      }
      await audit(record.userId, ctx, {
        type: 'first_factor_verified',
        data: { kind: 'passkey' },
        methodId: record.id,
        methodKind: record.kind,
      });
      const amr = checked.amr.includes('user') ? [...checked.amr, 'mfa'] : checked.amr;
      return { ok: true, userId: record.userId, amr, methodId: record.id };
    },
  };
}
