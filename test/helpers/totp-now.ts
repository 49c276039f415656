import { base32Decode } from '../../src/methods/base32.ts';
import { totpCode } from '../../src/methods/otp.ts';

/** The code an authenticator app shows now (or `offsetSteps` periods later) for a base32 secret. */
export function totpNow(secret: string, offsetSteps = 0): string {
  return totpCode(base32Decode(secret), {
    algorithm: 'sha1',
    digits: 6,
    period: 30,
    epochSeconds: Math.floor(Date.now() / 1000) + offsetSteps * 30,
  });
}
