/**
 * What a completed sign-in leaves in the session: who, how (RFC 8176 `amr`), at what
 * level (`acr`), when. Integrations store it and read it back; only the engine creates it.
 */
export interface AuthStamp {
  userId: string;
  amr: string[];
  acr: string;
  /** When the sign-in completed (ms). */
  authTime: number;
  /** When a second factor was last actually verified in this session (ms), or null if it was skipped. */
  mfaAt: number | null;
  skippedBy?: 'user_disabled' | 'trusted_network' | 'remembered_device';
}

export const ACR_PASSWORD = 'urn:mfakit:acr:pwd';
export const ACR_MFA = 'urn:mfakit:acr:mfa';

/** Union of first- and second-factor amr values, plus `mfa` when two distinct factors were used. */
export function combineAmr(first: readonly string[], second: readonly string[]): string[] {
  const all = [...new Set([...first, ...second])];
  if (first.length > 0 && second.length > 0) all.push('mfa');
  return all;
}
