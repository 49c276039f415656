// A passkey or security key as its method record keeps it: the credential id is the record's
// lookup key (unique: a credential belongs to one account), the public key and what the
// authenticator said of itself (AAGUID, transports, synced or device-bound, backed up) are its
// data, with the user handle the authenticator stores for passwordless sign-in. The signature
// counter lives on the record's counter, moved atomically.
import { z } from 'zod';
import { StoreError } from '../../errors.ts';
import type { MethodRecord } from '../../store/ports.ts';

export const WEBAUTHN_KIND = 'webauthn';

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/);

export const credentialDataSchema = z.object({
  publicKey: base64url,
  /** The WebAuthn user.id this account's credentials were created with (base64url). */
  userHandle: base64url,
  transports: z.array(z.string().max(32)).max(10),
  aaguid: z.string(),
  /** `multiDevice`: a synced passkey; `singleDevice`: bound to one authenticator. */
  deviceType: z.enum(['singleDevice', 'multiDevice']),
  backedUp: z.boolean(),
  attestationFormat: z.string(),
});

export type CredentialData = z.infer<typeof credentialDataSchema>;

export function credentialDataOf(record: MethodRecord): CredentialData {
  const parsed = credentialDataSchema.safeParse(record.data);
  if (!parsed.success) throw new StoreError(`method ${record.id}: its webauthn data is not valid`);
  return parsed.data;
}

/** RFC 8176 values of a verification: `swk` for a synced passkey, `hwk` for a device-bound key, `user` when verified. */
export function credentialAmr(data: Pick<CredentialData, 'deviceType'>, userVerified: boolean): string[] {
  return [data.deviceType === 'multiDevice' ? 'swk' : 'hwk', ...(userVerified ? ['user'] : [])];
}

export const counterKeyOf = (credentialId: string) => `webauthn:${credentialId}`;
