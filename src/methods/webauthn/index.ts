// WebAuthn: passkeys and security keys, as a second factor and as a passwordless first factor
// (`webauthn({ rpID, rpName, origins, … })` in `createMfa({ methods })`). Built on
// @simplewebauthn/server: registration (registration.ts), authentication and passwordless
// sign-in (authentication.ts), the record (credential.ts). A verification gives the strength
// method `webauthn` (phishing-resistant) and `amr` `hwk` (device-bound) or `swk` (synced
// passkey), plus `user` when the authenticator verified the user.
import type { MethodDefinition, SignInMethod } from '../method.ts';
import { createWebAuthnAuthentication } from './authentication.ts';
import { credentialAmr, credentialDataOf, WEBAUTHN_KIND } from './credential.ts';
import { createWebAuthnEnrollment } from './registration.ts';
import { resolveWebAuthnSettings, type WebAuthnSettingsInput } from './settings.ts';

export type { WebAuthnSettings, WebAuthnSettingsInput } from './settings.ts';

/** The WebAuthn method with these settings; a ConfigError names every bad setting at once. */
export function webauthn(input: WebAuthnSettingsInput): MethodDefinition {
  const settings = resolveWebAuthnSettings(input);
  return {
    kind: WEBAUTHN_KIND,
    create(services): SignInMethod {
      const auth = createWebAuthnAuthentication(services, settings);
      return {
        kind: WEBAUTHN_KIND,
        provides: ['webauthn'],
        keepsRecords: true,
        accepts: (input) => 'credential' in input,
        verify: (userId, input, candidates, binding) =>
          'credential' in input
            ? auth.verify(userId, input.credential, candidates, binding)
            : Promise.resolve({ ok: false, detail: 'credential_missing' }),
        challenge: auth.challenge,
        ...(settings.passwordless.enabled
          ? {
              passwordless: {
                begin: auth.passwordless.begin,
                verify: (input, binding) =>
                  'credential' in input
                    ? auth.passwordless.verify(input.credential, binding)
                    : Promise.resolve({ ok: false, detail: 'credential_missing' }),
              },
            }
          : {}),
        strength: () => 'webauthn',
        amr: (record) => credentialAmr(credentialDataOf(record), false),
        describe(record) {
          const data = credentialDataOf(record);
          return {
            description:
              data.deviceType === 'multiDevice' ? 'Passkey (synced)' : 'Security key or device-bound passkey',
            details: {
              synced: data.deviceType === 'multiDevice',
              backedUp: data.backedUp,
              aaguid: data.aaguid,
            },
          };
        },
        released: (record) => (record.counterKey !== null ? { counterKey: record.counterKey } : {}),
        enrollment: createWebAuthnEnrollment(services, settings),
      };
    },
  };
}
