// The device API's three requests, each a JWT the app signs with its key (device-token.ts):
//   - activate: `{ act: 'activate', code, name, pushToken? }` signed by the new key, which rides
//     in the header; answered with the device id and the confirmation code to show;
//   - pending: `{ act: 'pending' }` by a registered device (`kid`); answered with its newest
//     unanswered notification (the service, when it lapses: never the number to match);
//   - answer: `{ act: 'answer', tx, answer: 'approve' | 'deny' | 'fraud', number }`: an approval
//     counts only with the number the sign-in page shows; a wrong number ends the transaction as
//     denied, so each notification allows one guess.
// Refusals are a status, a stable error and a sentence for the app; `detail` is for the audit.
import { timingSafeEqual } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { MethodRecord } from '../../store/ports.ts';
import type { DeviceAnswer, MethodServices } from '../method.ts';
import type { DeviceTokens } from './device-token.ts';
import { deviceIdOf, requestTokenOf } from './device-token.ts';
import type { ActivatedDevice, createPushEnrollment } from './enrollment.ts';
import { devicePublicKeyOf, pushDataOf } from './record.ts';
import type { PushAnswer, PushTransactions } from './transactions.ts';

const NAME_MAX = 64;
const PUSH_TOKEN_MAX = 4096;
const CODE = /^[A-Za-z0-9_-]{16,64}$/;
const TX = /^[A-Za-z0-9_-]{16,64}$/;
const ANSWERS: Record<string, PushAnswer> = { approve: 'approved', deny: 'denied', fraud: 'fraud' };

const refuse = (
  status: number,
  error: string,
  message: string,
  detail: string,
  userId?: string,
): DeviceAnswer => ({
  ok: false,
  status,
  error,
  message,
  detail,
  ...(userId !== undefined ? { userId } : {}),
});
const MALFORMED = (detail: string) =>
  refuse(400, 'invalid_request', 'The request must be {"request": "<signed JWT>"} and well formed.', detail);
const UNAUTHORIZED = (detail: string, userId?: string) =>
  refuse(
    401,
    'invalid_device',
    'This device is not registered, or its request is not valid.',
    detail,
    userId,
  );

function sameNumber(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/** A printable device name: control characters dropped, at most 64 characters. */
function deviceName(value: unknown): string | null {
  if (value === undefined) return 'Phone';
  if (typeof value !== 'string') return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is dropped
  const name = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  return name.length > 0 && name.length <= NAME_MAX ? name : null;
}

export function createDeviceRequests(
  services: MethodServices,
  tokens: DeviceTokens,
  registration: ReturnType<typeof createPushEnrollment>,
  transactions: PushTransactions,
) {
  const { repository } = services;

  /** The registered device a request names, checked with its key; or why not. */
  async function signedByDevice(
    body: unknown,
    action: string,
  ): Promise<{ record: MethodRecord; payload: JWTPayload } | { refusal: DeviceAnswer }> {
    const token = requestTokenOf(body);
    if (token === null) return { refusal: MALFORMED('request_missing') };
    const deviceId = deviceIdOf(token);
    if (deviceId === null) return { refusal: UNAUTHORIZED('kid_missing') };
    const record = await repository.findMethodByLookupKey('push', deviceId);
    if (record === null) return { refusal: UNAUTHORIZED('device_unknown') };
    const checked = await tokens.verify(token, pushDataOf(record).publicKey, action);
    if (!checked.ok) return { refusal: UNAUTHORIZED(checked.detail, record.userId) };
    return { record, payload: checked.payload };
  }

  return {
    async activate(body: unknown): Promise<DeviceAnswer> {
      const token = requestTokenOf(body);
      if (token === null) return MALFORMED('request_missing');
      const checked = await tokens.verify(token, 'embedded', 'activate');
      if (!checked.ok)
        return refuse(401, 'invalid_request', 'The activation request is not valid.', checked.detail);
      const { code, name, pushToken } = checked.payload;
      const device: ActivatedDevice | null =
        typeof code === 'string' && CODE.test(code)
          ? {
              publicKey: checked.key,
              name: deviceName(name) ?? '',
              pushToken:
                typeof pushToken === 'string' && pushToken.length <= PUSH_TOKEN_MAX ? pushToken : null,
            }
          : null;
      if (device === null || device.name === '' || (pushToken !== undefined && device.pushToken === null))
        return MALFORMED('activation_malformed');
      if (devicePublicKeyOf(checked.key) === null) return MALFORMED('key_not_p256');
      const activated = await registration.activate(code as string, device);
      if (!activated.ok)
        return activated.detail === 'already_activated'
          ? refuse(
              409,
              'already_activated',
              'This QR code was already used. Start again on the sign-in page.',
              activated.detail,
            )
          : refuse(
              404,
              'activation_unknown',
              'This activation code is unknown or has expired. Start again on the sign-in page.',
              activated.detail,
            );
      return {
        ok: true,
        userId: activated.userId,
        methodId: null,
        body: {
          deviceId: activated.deviceId,
          confirmationCode: activated.confirmationCode,
          service: registration.service,
        },
        event: { type: 'activated' },
      };
    },

    async pending(body: unknown): Promise<DeviceAnswer> {
      const signed = await signedByDevice(body, 'pending');
      if ('refusal' in signed) return signed.refusal;
      const tx = await transactions.waitingFor(signed.record.id);
      return {
        ok: true,
        userId: signed.record.userId,
        methodId: signed.record.id,
        body: {
          notifications:
            tx === null
              ? []
              : [
                  {
                    id: tx.id,
                    service: registration.service,
                    createdAt: tx.createdAt,
                    expiresAt: tx.expiresAt,
                  },
                ],
        },
      };
    },

    async answer(body: unknown): Promise<DeviceAnswer> {
      const signed = await signedByDevice(body, 'answer');
      if ('refusal' in signed) return signed.refusal;
      const { record, payload } = signed;
      const given = typeof payload.answer === 'string' ? ANSWERS[payload.answer] : undefined;
      if (typeof payload.tx !== 'string' || !TX.test(payload.tx) || given === undefined)
        return MALFORMED('answer_malformed');
      const tx = await transactions.get(payload.tx);
      if (tx === null || tx.methodId !== record.id || tx.userId !== record.userId)
        return refuse(
          404,
          'unknown_transaction',
          'This sign-in request has expired or was not sent to this device.',
          'transaction_unknown',
          record.userId,
        );
      // An approval with the wrong number is no approval: the transaction ends as denied.
      const mismatch = given === 'approved' && !sameNumber(payload.number, tx.number);
      const answer: PushAnswer = mismatch ? 'denied' : given;
      const detail = mismatch ? 'number_mismatch' : null;
      if (!(await transactions.answer(tx, answer, detail)))
        return refuse(
          409,
          'already_answered',
          'This sign-in request was already answered.',
          'already_answered',
          record.userId,
        );
      return {
        ok: true,
        userId: record.userId,
        methodId: record.id,
        body: {
          answer,
          ...(mismatch ? { message: 'That number did not match. The sign-in was not approved.' } : {}),
        },
        event: { type: 'answered', answer, ...(detail ? { detail } : {}) },
      };
    },
  };
}
