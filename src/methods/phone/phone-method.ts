// The part of the text-message and phone-call methods they share, written once: the number
// (sealed in the record, masked when shown), the code sent on demand for a sign-in or step-up
// (phone-sender limits, bound to that sign-in, single use), its check, registration, and
// resealing — of the number, and of a secret a channel keeps with it (`spec.secret`: the voice
// method's PIN; this folder knows no PIN). A channel only says how it is called and what it gives: `sms` (amr `sms`) or
// `voice` (amr `tel`), RFC 8176.
import type { AuthMethod } from '../../policy/model.ts';
import { codeOf, type MethodServices, type SignInMethod } from '../method.ts';
import { createPhoneCodes } from './codes.ts';
import { createPhoneEnrollment, type PhoneEnrollmentWords } from './enrollment.ts';
import { maskPhoneNumber } from './number.ts';
import {
  numberOf,
  type PhoneSecretField,
  sealedNumberContext,
  sealedNumberOf,
  sealedSecretOf,
} from './record.ts';
import { createPhoneSender, type PhoneChannel, phoneCode } from './sender.ts';

const CODE = /^\d{6}$/;

export interface PhoneMethodSpec {
  channel: PhoneChannel & AuthMethod;
  amr: string;
  /** What a record is called, e.g. "Text message". */
  description: string;
  /** The prompt's button: "Text a code to" / "Call". */
  sendLabel: string;
  enrollment: PhoneEnrollmentWords;
  /** A secret kept sealed with the number (a keypad call's PIN), asked for when registering if `asked`. */
  secret?: PhoneSecretField;
}

export function createPhoneMethod(services: MethodServices, spec: PhoneMethodSpec): SignInMethod {
  const { sealer, repository, clock } = services;
  const sender = createPhoneSender(services);
  const codes = createPhoneCodes(services);
  const masked = (record: Parameters<typeof numberOf>[1]) => maskPhoneNumber(numberOf(sealer, record));
  return {
    kind: spec.channel,
    provides: [spec.channel],
    keepsRecords: true,
    accepts: (input) => CODE.test(codeOf(input) ?? ''),
    async verify(_userId, input, candidates, binding) {
      const checked = await codes.check(binding, candidates, codeOf(input) ?? '');
      if (!checked.ok) return checked;
      await repository.markMethodUsed(checked.record.userId, checked.record.id, clock.now());
      return { ok: true, record: checked.record, amr: [spec.amr], strength: spec.channel };
    },
    sends: {
      label: (record) => `${spec.sendLabel} ${masked(record)}`,
      async send(record, binding) {
        const code = phoneCode(services);
        await sender.send(spec.channel, record.userId, numberOf(sealer, record), code, 'sign-in');
        const expiresAt = await codes.issue(binding, record, code);
        return { channel: spec.channel, to: masked(record), expiresAt };
      },
    },
    strength: () => spec.channel,
    amr: () => [spec.amr],
    describe: (record) => ({ description: `${spec.description} ${masked(record)}`, details: {} }),
    reseal(record, reseal) {
      const { secret } = spec;
      const sealedSecret = secret ? sealedSecretOf(record, secret) : null;
      return {
        sealedNumber: reseal(sealedNumberOf(record), sealedNumberContext(record.userId, record.id)),
        ...(secret && sealedSecret !== null
          ? { [secret.dataKey]: reseal(sealedSecret, secret.context(record.userId, record.id)) }
          : {}),
      };
    },
    enrollment: createPhoneEnrollment(services, spec.channel, sender, spec.enrollment, spec.secret),
  };
}
