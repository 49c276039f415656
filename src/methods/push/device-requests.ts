// The device API's three requests, each a JWT the app signs with its key (device-token.ts):
//   - activate: `{ act: 'activate', code, name, pushToken? }` signed by the new key, which rides
//     in the header; answered with the device id and the confirmation code to show;
//   - pending: `{ act: 'pending' }` by a registered device (`kid`); answered with its waiting
//     notification (the service, the sign-in's client address, when it lapses: never the number);
//   - answer: `{ act: 'answer', tx, answer: 'approve' | 'deny' | 'fraud', number }`: an approval
//     counts only with the number the sign-in page shows; a wrong number ends the transaction as
//     denied, so each notification allows one guess. A notification replaced by a newer send is
//     no longer the device's to answer; an answered one (approved by mistake, or denied) can
//     still be reported as fraud, which spends an approval not used yet.
// A request's `jti` is spent only once everything else about it was checked. Refusals are a
// status, a stable error and a sentence for the app; `detail` is for the audit.
import type { JWTPayload } from 'jose';
import type { MethodRecord } from '../../store/ports.ts';
import { type ApprovalFlow, sameNumber } from '../approvals/approval-flow.ts';
import type { ApprovalAnswer, ApprovalRequests } from '../approvals/requests.ts';
import type { DeviceAnswer, MethodServices } from '../method.ts';
import type { DeviceTokens } from './device-token.ts';
import { deviceIdOf, requestTokenOf } from './device-token.ts';
import type { ActivatedDevice, createPushEnrollment } from './enrollment.ts';
import { pushDataOf } from './record.ts';

const NAME_MAX = 64;
const PUSH_TOKEN_MAX = 4096;
const CODE = /^[A-Za-z0-9_-]{16,64}$/;
const TX = /^[A-Za-z0-9_-]{16,64}$/;
const ANSWERS: Record<string, ApprovalAnswer> = { approve: 'approved', deny: 'denied', fraud: 'fraud' };
// Control characters (C0, DEL, C1), bidirectional marks, overrides and isolates, line and
// paragraph separators, zero-width characters and the BOM: none belongs in a name a page shows
// ("Send a notification to …").
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
const UNSHOWABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

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
const MALFORMED = (detail: string, userId?: string) =>
  refuse(
    400,
    'invalid_request',
    'The request must be {"request": "<signed JWT>"} and well formed.',
    detail,
    userId,
  );
const UNAUTHORIZED = (detail: string, userId?: string) =>
  refuse(
    401,
    'invalid_device',
    'This device is not registered, or its request is not valid.',
    detail,
    userId,
  );
const REPLAYED = (userId?: string) =>
  refuse(
    401,
    'invalid_device',
    'This request was already sent once. Sign a new one.',
    'request_replayed',
    userId,
  );
const NO_TRANSACTION = (userId: string) =>
  refuse(
    404,
    'unknown_transaction',
    'This sign-in request has expired or is not for this device.',
    'transaction_unknown',
    userId,
  );

/** A showable device name (default "Phone"), at most 64 characters; null when there is none left. */
function deviceName(value: unknown): string | null {
  if (value === undefined) return 'Phone';
  if (typeof value !== 'string') return null;
  const name = value.replace(UNSHOWABLE, '').trim();
  return name.length > 0 && Array.from(name).length <= NAME_MAX ? name : null;
}

/** The push token an activation gave: none, or 1 to 4096 characters of text. */
function pushTokenOf(value: unknown): string | null | undefined {
  if (value === undefined) return null;
  return typeof value === 'string' && value.length > 0 && value.length <= PUSH_TOKEN_MAX ? value : undefined;
}

export function createDeviceRequests(
  services: MethodServices,
  tokens: DeviceTokens,
  registration: ReturnType<typeof createPushEnrollment>,
  requests: ApprovalRequests,
  approvals: ApprovalFlow,
) {
  const { repository } = services;

  /** The registered device a request names, its signature checked with its key; or why not. */
  async function signedByDevice(
    body: unknown,
    action: string,
  ): Promise<
    { record: MethodRecord; payload: JWTPayload; spend: () => Promise<boolean> } | { refusal: DeviceAnswer }
  > {
    const token = requestTokenOf(body);
    if (token === null) return { refusal: MALFORMED('request_missing') };
    const deviceId = deviceIdOf(token);
    if (deviceId === null) return { refusal: UNAUTHORIZED('kid_missing') };
    const record = await repository.findMethodByLookupKey('push', deviceId);
    if (record === null) return { refusal: UNAUTHORIZED('device_unknown') };
    const checked = await tokens.verify(token, pushDataOf(record).publicKey, action);
    if (!checked.ok) return { refusal: UNAUTHORIZED(checked.detail, record.userId) };
    return { record, payload: checked.payload, spend: checked.spend };
  }

  return {
    async activate(body: unknown): Promise<DeviceAnswer> {
      const token = requestTokenOf(body);
      if (token === null) return MALFORMED('request_missing');
      const checked = await tokens.verify(token, 'embedded', 'activate');
      if (!checked.ok)
        return refuse(401, 'invalid_request', 'The activation request is not valid.', checked.detail);
      const { code } = checked.payload;
      const name = deviceName(checked.payload.name);
      const pushToken = pushTokenOf(checked.payload.pushToken);
      if (typeof code !== 'string' || !CODE.test(code) || name === null || pushToken === undefined)
        return MALFORMED('activation_malformed');
      if (!(await registration.knows(code)))
        return refuse(
          404,
          'activation_unknown',
          'This activation code is unknown or has expired. Start again on the sign-in page.',
          'activation_unknown',
        );
      if (!(await checked.spend())) return REPLAYED();
      const device: ActivatedDevice = { publicKey: checked.key, name, pushToken };
      const activated = await registration.activate(code, device);
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
      if (!(await signed.spend())) return REPLAYED(signed.record.userId);
      const tx = await requests.waitingFor(signed.record.id);
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
                    ip: tx.ip,
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
        return MALFORMED('answer_malformed', record.userId);
      // Only the device's newest notification is its to answer: a replaced one is not.
      const tx = await requests.newestOf(record.id);
      if (tx === null || tx.id !== payload.tx || tx.userId !== record.userId)
        return NO_TRANSACTION(record.userId);
      if (!(await signed.spend())) return REPLAYED(record.userId);
      // An approval with the wrong number is no approval: the request ends as denied.
      const mismatch = given === 'approved' && !sameNumber(payload.number, tx.number);
      const recorded = await approvals.record(tx, given, mismatch ? 'number_mismatch' : null);
      if (!recorded.ok)
        return refuse(
          409,
          'already_answered',
          'This sign-in request was already answered.',
          'already_answered',
          record.userId,
        );
      const { answer, detail } = recorded;
      return {
        ok: true,
        userId: record.userId,
        methodId: record.id,
        body: {
          answer,
          ...(detail === 'number_mismatch'
            ? { message: 'That number did not match. The sign-in was not approved.' }
            : {}),
        },
        event: { type: 'answered', answer, ...(detail ? { detail } : {}) },
      };
    },
  };
}
