import { base32Decode } from '../../src/methods/otp/base32.ts';
import { totpCode } from '../../src/methods/otp/otp.ts';

/** The code an authenticator app shows now (or `offsetSteps` periods later) for a base32 secret. */
export function totpNow(secret: string, offsetSteps = 0): string {
  return totpCode(base32Decode(secret), {
    algorithm: 'sha1',
    digits: 6,
    period: 30,
    epochSeconds: Math.floor(Date.now() / 1000) + offsetSteps * 30,
  });
}

/** The base32 secret an authenticator-app draft shows (`mfa.enrollment.begin('totp', …)`). */
export function totpSecretOf(draft: { fields: { readonly [field: string]: unknown } }): string {
  const secret = draft.fields.secret;
  if (typeof secret !== 'string') throw new Error('not an authenticator-app draft: no secret');
  return secret;
}
