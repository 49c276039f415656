// Recovery codes: single-use codes shown once, for when the user has lost their other methods.
// They keep their own store (hashes, not method records), so they are verified without
// candidates and count only where the policies accept `recoveryCode`. Regenerating and counting
// them is the account-security service's (src/engine/account-security.ts).
import { codeOf, type MethodDefinition, type SignInMethod } from '../method.ts';
import { createRecoveryCodes, RECOVERY_CODE_PATTERN } from './codes.ts';

export const recoveryCode: MethodDefinition = {
  kind: 'recovery_code',
  create(services): SignInMethod {
    const codes = createRecoveryCodes(services);
    return {
      kind: 'recovery_code',
      provides: ['recoveryCode'],
      keepsRecords: false,
      accepts: (input) =>
        input.methodId === undefined && RECOVERY_CODE_PATTERN.test((codeOf(input) ?? '').toLowerCase()),
      async verify(userId, input) {
        return (await codes.consume(userId, codeOf(input) ?? ''))
          ? { ok: true, record: null, amr: ['otp'], strength: 'recoveryCode' }
          : { ok: false, detail: 'recovery_code_mismatch_or_used' };
      },
      strength: () => 'recoveryCode',
      amr: () => ['otp'],
      describe: () => ({ description: 'Recovery code', details: {} }),
    };
  },
};
