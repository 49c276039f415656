// What a browser sends back from a WebAuthn ceremony, checked for shape and size before any
// cryptography: base64url fields of bounded length, `type: "public-key"`. Anything else is a
// malformed answer (a 400 at the web layer, an audited failure in the engine), never an exception.
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import type { CredentialResponse } from '../method.ts';

/** A base64url field of at most `max` characters. */
const b64 = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/, 'must be base64url');

const common = {
  id: b64(1400).min(1),
  rawId: b64(1400).min(1),
  type: z.literal('public-key'),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
};

const registrationSchema = z.object({
  ...common,
  response: z.object({
    clientDataJSON: b64(8192).min(1),
    attestationObject: b64(16384).min(1),
    authenticatorData: b64(8192).optional(),
    transports: z.array(z.string().max(32)).max(10).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: b64(8192).optional(),
  }),
});

const authenticationSchema = z.object({
  ...common,
  response: z.object({
    clientDataJSON: b64(8192).min(1),
    authenticatorData: b64(8192).min(1),
    signature: b64(4096).min(1),
    userHandle: b64(1400).optional(),
  }),
});

export function registrationResponse(credential: CredentialResponse): RegistrationResponseJSON | null {
  const parsed = registrationSchema.safeParse(credential);
  // The shape is checked above; the library's type names the transports it knows as a union.
  return parsed.success ? (parsed.data as RegistrationResponseJSON) : null;
}

export function authenticationResponse(credential: CredentialResponse): AuthenticationResponseJSON | null {
  const parsed = authenticationSchema.safeParse(credential);
  return parsed.success ? (parsed.data as AuthenticationResponseJSON) : null;
}
