// Registering a passkey or security key: creation options for the browser (discoverable and
// user verification as configured, attestation `none` by default, the user's credentials
// excluded), then the browser's answer verified against the draft's challenge, origin and rpID.
// Refused, with nothing stored: a replayed or foreign draft, a wrong origin or rpID, an
// authenticator model the AAGUID lists refuse, a credential already registered (to anyone).
import { randomId } from '../../engine/capabilities.ts';
import { StoreError } from '../../errors.ts';
import { html } from '../../web/html.ts';
import type { ChallengeOptions, EnrollmentDraft, MethodEnrollment, MethodServices } from '../method.ts';
import { createChallengeStore } from './challenges.ts';
import { counterKeyOf, credentialAmr, credentialDataOf, WEBAUTHN_KIND } from './credential.ts';
import { webauthnLibrary } from './library.ts';
import { refusalDetail } from './refusals.ts';
import { registrationResponse } from './responses.ts';
import type { WebAuthnSettings } from './settings.ts';

/**
 * COSE algorithms offered: EdDSA, ES256, RS256 (what authenticators implement). Named so the
 * library does not probe Node's experimental post-quantum Web Crypto on every registration.
 */
export const SUPPORTED_ALGORITHMS = [-8, -7, -257];

/** The browser's options as the JSON they are (the library's type has optional fields). */
const asJson = (options: object): ChallengeOptions => JSON.parse(JSON.stringify(options)) as ChallengeOptions;

export function createWebAuthnEnrollment(
  services: MethodServices,
  settings: WebAuthnSettings,
): MethodEnrollment {
  const { repository, ephemeral, clock, random } = services;
  const ttlMs = settings.timeoutSeconds * 1000;
  const drafts = createChallengeStore(ephemeral, ttlMs);
  const binding = (userId: string, draftId: string) => `register:${userId}:${draftId}`;
  const credentialsOf = async (userId: string) =>
    (await repository.listMethods(userId, { lastUsed: false })).filter((m) => m.kind === WEBAUTHN_KIND);

  return {
    strength: 'webauthn',
    title: 'Passkey or security key',
    async begin(userId, accountName) {
      const existing = await credentialsOf(userId);
      // One user handle per account, random (no personal data), shared by all its credentials.
      const first = existing[0];
      const userHandle = first ? credentialDataOf(first).userHandle : random.bytes(32).toString('base64url');
      const { generateRegistrationOptions } = await webauthnLibrary();
      const options = await generateRegistrationOptions({
        rpName: settings.rpName,
        rpID: settings.rpID,
        userName: accountName,
        userDisplayName: accountName,
        userID: Buffer.from(userHandle, 'base64url'),
        timeout: ttlMs,
        attestationType: settings.attestation,
        excludeCredentials: existing.flatMap((m) =>
          m.lookupKey === null ? [] : [{ id: m.lookupKey, transports: credentialDataOf(m).transports }],
        ),
        authenticatorSelection: {
          residentKey: settings.residentKey,
          userVerification: settings.userVerification,
        },
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      });
      const draftId = randomId(random, 18);
      await drafts.put(binding(userId, draftId), { challenge: options.challenge, userId, userHandle });
      const draft: EnrollmentDraft = {
        kind: WEBAUTHN_KIND,
        draftId,
        expiresAt: clock.now() + ttlMs,
        fields: { options: asJson(options) },
        page: {
          title: 'Add a passkey or security key',
          instructions: html`<p>Your browser will ask you to create a passkey (on this device, your phone or
            a password manager) or to touch your security key, and to confirm with your PIN, fingerprint
            or face.</p>`,
          proof: 'credential',
          codeLabel: 'Create a passkey',
          codeHint: 'Nothing is sent until you confirm on your device.',
          defaultLabel: 'Passkey',
        },
      };
      return draft;
    },
    // A ceremony cannot be resumed: a reloaded page begins a new one.
    resume: async () => null,
    async confirm(userId, draftId, input, label) {
      if (!('credential' in input)) return { ok: false, detail: 'credential_missing' };
      const stored = await drafts.take(binding(userId, draftId));
      if (stored === null || stored.userId !== userId || stored.userHandle === undefined)
        return { ok: false, detail: 'draft_expired' };
      const response = registrationResponse(input.credential);
      if (response === null) return { ok: false, detail: 'credential_malformed' };
      const { verifyRegistrationResponse } = await webauthnLibrary();
      let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
      try {
        verified = await verifyRegistrationResponse({
          response,
          expectedChallenge: stored.challenge,
          expectedOrigin: settings.origins,
          expectedRPID: settings.rpID,
          requireUserVerification: settings.userVerification === 'required',
          supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
        });
      } catch (error) {
        return { ok: false, detail: refusalDetail(error, 'credential_invalid') };
      }
      if (!verified.verified) return { ok: false, detail: 'credential_invalid' };
      const info = verified.registrationInfo;
      const aaguid = info.aaguid.toLowerCase();
      if (
        settings.aaguids.deny.includes(aaguid) ||
        (settings.aaguids.allow && !settings.aaguids.allow.includes(aaguid))
      )
        return { ok: false, detail: 'authenticator_not_allowed' };
      const credentialId = info.credential.id;
      if (await repository.findMethodByLookupKey(WEBAUTHN_KIND, credentialId))
        return { ok: false, detail: 'credential_exists' };
      const id = randomId(random, 12);
      const method = {
        id,
        userId,
        kind: WEBAUTHN_KIND,
        label:
          label.slice(0, 64) || (info.credentialDeviceType === 'multiDevice' ? 'Passkey' : 'Security key'),
        data: {
          publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
          userHandle: stored.userHandle,
          transports: (info.credential.transports ?? []).slice(0, 10),
          aaguid,
          deviceType: info.credentialDeviceType,
          backedUp: info.credentialBackedUp,
          attestationFormat: info.fmt,
        },
        counterKey: counterKeyOf(credentialId),
        lookupKey: credentialId,
        createdAt: clock.now(),
        lastUsedAt: null,
      };
      try {
        // With the authenticator's signature count, when it keeps one, in the same write.
        await repository.insertMethod(
          method,
          info.credential.counter > 0 ? info.credential.counter : undefined,
        );
      } catch (error) {
        // A store that failed is an outage (503), not a refusal; two registrations of one
        // credential that raced meet the unique lookup key.
        if (error instanceof StoreError) throw error;
        if (await repository.findMethodByLookupKey(WEBAUTHN_KIND, credentialId))
          return { ok: false, detail: 'credential_exists' };
        throw error;
      }
      return { ok: true, method, amr: credentialAmr(method.data, info.userVerified) };
    },
  };
}
