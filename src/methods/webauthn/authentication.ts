// Signing in with a passkey or security key: request options bound to one pending sign-in,
// step-up or passwordless attempt, then the browser's assertion verified with the stored public
// key — the challenge taken once, the origin and rpID checked, user verification when required,
// the credential one of the candidates (or, passwordless, found by its id with its user handle),
// and the signature counter moved forward atomically: a counter that fails to increase (when
// either is non-zero) is refused and audited as a possible clone.
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { MfaError } from '../../errors.ts';
import type { MethodRecord } from '../../store/ports.ts';
import type { ChallengeOptions, MethodServices, PasswordlessCheck } from '../method.ts';
import { createChallengeStore } from './challenges.ts';
import { credentialAmr, credentialDataOf, WEBAUTHN_KIND } from './credential.ts';
import { webauthnLibrary } from './library.ts';
import { refusalDetail } from './refusals.ts';
import { authenticationResponse } from './responses.ts';
import type { WebAuthnSettings } from './settings.ts';

const asJson = (options: object): ChallengeOptions => JSON.parse(JSON.stringify(options)) as ChallengeOptions;

/** The challenge the browser says it signed (clientDataJSON.challenge), or null if unreadable. */
function signedChallengeOf(response: AuthenticationResponseJSON): string | null {
  try {
    const client: unknown = JSON.parse(
      Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8'),
    );
    const challenge = (client as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(challenge) ? challenge : null;
  } catch {
    return null;
  }
}

/** Challenges one sign-in or session may have outstanding (each page load makes one). */
export const MAX_CHALLENGES_PER_BINDING = 20;

type Assertion = { ok: true; record: MethodRecord; userVerified: boolean } | { ok: false; detail: string };

export function createWebAuthnAuthentication(services: MethodServices, settings: WebAuthnSettings) {
  const { repository, ephemeral, clock } = services;
  const ttlMs = settings.timeoutSeconds * 1000;
  const challenges = createChallengeStore(ephemeral, ttlMs);

  async function options(allow: readonly MethodRecord[], userVerification: 'preferred' | 'required') {
    const { generateAuthenticationOptions } = await webauthnLibrary();
    return generateAuthenticationOptions({
      rpID: settings.rpID,
      timeout: settings.timeoutSeconds * 1000,
      userVerification,
      allowCredentials: allow.flatMap((m) =>
        m.lookupKey === null ? [] : [{ id: m.lookupKey, transports: credentialDataOf(m).transports }],
      ),
    });
  }

  /** The cryptographic check of one assertion against one record, and the counter's atomic move. */
  async function checkAssertion(
    response: AuthenticationResponseJSON,
    record: MethodRecord,
    challenge: string,
    requireUserVerification: boolean,
  ): Promise<Assertion> {
    const data = credentialDataOf(record);
    const counterKey = record.counterKey ?? '';
    const stored = (await repository.getCounter(counterKey)) ?? 0;
    const { verifyAuthenticationResponse } = await webauthnLibrary();
    const verifyAgainst = (counter: number) =>
      verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: settings.origins,
        expectedRPID: settings.rpID,
        requireUserVerification,
        credential: {
          id: record.lookupKey ?? '',
          publicKey: Buffer.from(data.publicKey, 'base64url'),
          counter,
          transports: data.transports,
        },
      });
    let info: Awaited<ReturnType<typeof verifyAuthenticationResponse>>['authenticationInfo'];
    try {
      const verified = await verifyAgainst(Math.max(0, stored));
      if (!verified.verified) return { ok: false, detail: 'signature_invalid' };
      info = verified.authenticationInfo;
    } catch (error) {
      const detail = refusalDetail(error, 'assertion_invalid');
      if (detail !== 'counter_regression') return { ok: false, detail };
      // The library compares counters before the signature: only an answer the key really
      // signed is a possible clone; anyone can send an old counter with a made-up signature.
      const signed = await verifyAgainst(0).then(
        (v) => v.verified,
        () => false,
      );
      return { ok: false, detail: signed ? 'possible_clone_counter_regression' : 'signature_invalid' };
    }
    if (info.newCounter > 0) {
      // Atomic: of two assertions racing with one counter value, one moves it.
      const moved = await repository.recordUse({
        counterKey,
        value: info.newCounter,
        methodId: record.id,
        at: clock.now(),
      });
      if (!moved) return { ok: false, detail: 'possible_clone_counter_regression' };
    } else if (stored > 0) {
      return { ok: false, detail: 'possible_clone_counter_regression' };
    } else {
      // An authenticator that counts nothing (synced passkeys): the single-use challenge is the
      // replay guard; the use is still recorded for the user's list.
      await repository.markMethodUsed(record.userId, record.id, clock.now());
    }
    return { ok: true, record, userVerified: info.userVerified };
  }

  return {
    challenge: {
      label: 'Use a passkey or security key',
      async begin(userId: string, candidates: readonly MethodRecord[], binding: string) {
        // Bounded per binding: a prompt reloaded in a loop cannot fill the store with challenges.
        const outstanding = await ephemeral.increment(`webauthn:challenges:${binding}`, ttlMs);
        if (outstanding > MAX_CHALLENGES_PER_BINDING)
          throw new MfaError('slow_down', 'Too many passkey prompts for this sign-in. Wait a moment.', 429);
        const made = await options(candidates, settings.userVerification);
        // Keyed by the challenge too: two pages (two sessions signed in at the same moment, two
        // tabs) each keep their own, and an answer can only take the one it signed.
        await challenges.put(`${binding}:${made.challenge}`, { challenge: made.challenge, userId });
        return asJson(made);
      },
    },

    async verify(
      userId: string,
      credential: ChallengeOptions,
      candidates: readonly MethodRecord[],
      binding: string,
    ) {
      const response = authenticationResponse(credential);
      if (response === null) return { ok: false as const, detail: 'credential_malformed' };
      const signed = signedChallengeOf(response);
      const stored = signed === null ? null : await challenges.take(`${binding}:${signed}`);
      if (stored === null) return { ok: false as const, detail: 'challenge_missing' };
      if (stored.userId !== userId) return { ok: false as const, detail: 'challenge_of_another_user' };
      const record = candidates.find((m) => m.lookupKey === response.id);
      if (!record) return { ok: false as const, detail: 'unknown_credential' };
      const handle = response.response.userHandle;
      if (handle !== undefined && handle !== credentialDataOf(record).userHandle)
        return { ok: false as const, detail: 'user_handle_mismatch' };
      const checked = await checkAssertion(
        response,
        record,
        stored.challenge,
        settings.userVerification === 'required',
      );
      if (!checked.ok) return checked;
      return {
        ok: true as const,
        record,
        amr: credentialAmr(credentialDataOf(record), checked.userVerified),
        strength: 'webauthn' as const,
      };
    },

    passwordless: {
      async begin(binding: string) {
        // No allow list: the browser offers the user's discoverable credentials (conditional UI).
        const made = await options([], 'required');
        await challenges.put(binding, { challenge: made.challenge, userId: null });
        return asJson(made);
      },
      async verify(credential: ChallengeOptions, binding: string): Promise<PasswordlessCheck> {
        const stored = await challenges.take(binding);
        if (stored === null || stored.userId !== null) return { ok: false, detail: 'challenge_missing' };
        const response = authenticationResponse(credential);
        if (response === null) return { ok: false, detail: 'credential_malformed' };
        const record = await repository.findMethodByLookupKey(WEBAUTHN_KIND, response.id);
        if (!record) return { ok: false, detail: 'unknown_credential' };
        // A discoverable credential names its account: the handle must be the one it was created with.
        if (response.response.userHandle !== credentialDataOf(record).userHandle)
          return { ok: false, detail: 'user_handle_mismatch' };
        const checked = await checkAssertion(response, record, stored.challenge, true);
        if (!checked.ok) return checked;
        const amr = credentialAmr(credentialDataOf(record), settings.passwordless.countsAsMultiFactor);
        return { ok: true, record, amr };
      },
    },
  };
}
