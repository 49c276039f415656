// HOTP (RFC 4226): counter-based OATH hardware tokens an administrator assigns (src/methods/
// oath-tokens/). A code is looked for in the `hotp.lookAhead` counters after the last accepted
// one, so a button pressed a few times in a drawer still works; resynchronisation beyond that is
// the token inventory's (two consecutive codes).
import type { MethodDefinition } from '../method.ts';
import { hotpMatchCounter } from '../otp/otp.ts';
import { createOtpMethod } from '../otp/otp-method.ts';

export const hotp: MethodDefinition = {
  kind: 'hotp',
  create(services) {
    const { repository, options } = services;
    return createOtpMethod(services, {
      kind: 'hotp',
      softwareDescription: 'OATH token',
      async match(seed, code, data, record) {
        const last =
          record.counterKey === null ? -1 : ((await repository.getCounter(record.counterKey)) ?? -1);
        return hotpMatchCounter(seed, code, {
          algorithm: data.algorithm,
          digits: data.digits,
          from: last + 1,
          lookAhead: options.hotp.lookAhead,
        });
      },
    });
  },
};
