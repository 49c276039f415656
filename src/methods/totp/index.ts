// TOTP (RFC 6238): authenticator apps the user registers themselves (src/methods/totp/
// enrollment.ts) and time-based OATH hardware tokens an administrator assigns (src/methods/
// oath-tokens/). A code is accepted within ±`totp.toleranceSteps` time steps of now, once.
import type { MethodDefinition } from '../method.ts';
import { totpMatchStep } from '../otp/otp.ts';
import { createOtpMethod } from '../otp/otp-method.ts';
import { createTotpEnrollment } from './enrollment.ts';

export const totp: MethodDefinition = {
  kind: 'totp',
  create(services) {
    const { clock, options } = services;
    return createOtpMethod(services, {
      kind: 'totp',
      softwareDescription: 'Authenticator app',
      match: (seed, code, data) =>
        totpMatchStep(seed, code, {
          algorithm: data.algorithm,
          digits: data.digits,
          period: data.period,
          epochSeconds: Math.floor(clock.now() / 1000),
          toleranceSteps: options.totp.toleranceSteps,
        }),
      enrollment: createTotpEnrollment(services),
    });
  },
};
