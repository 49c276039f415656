// Push notifications with number matching, as a sign-in method (amr `swk`: proof of a key held in
// the app). The prompt's button sends a notification to one registered device; the page shows a
// two-digit number; the app fetches the request, the user types that number and approves, and the
// app signs its answer with the device's key. The page's "Continue" then finds the approval bound
// to this sign-in and uses it once. Until the device answers, Continue says so without counting
// an attempt (`awaiting`). Defences against push fatigue: the number (a tap alone approves
// nothing, and a wrong number ends the request), `perUser` sends a window (5 per 5 minutes), a
// short lifetime (2 minutes), one request waiting per device at a time (another sign-in's send
// is refused meanwhile, so the request the app shows is the one whose number the user's page
// shows), a user reported for fraud is sent nothing until the flag is cleared, and the send
// limits the engine adds (per client address, none while locked out).
import { ConfigError, SlowDownError } from '../../errors.ts';
import { reservePlaces } from '../../store/count-places.ts';
import type { MethodRecord } from '../../store/ports.ts';
import { createApprovalFlow, isApprovalInput } from '../approvals/approval-flow.ts';
import { createApprovalRequests } from '../approvals/requests.ts';
import type { MethodServices, SignInMethod } from '../method.ts';
import { type PushDelivery, pushOutbox } from './delivery.ts';
import { createDeviceRequests } from './device-requests.ts';
import { createDeviceTokens } from './device-token.ts';
import { createPushEnrollment } from './enrollment.ts';
import type { ResolvedPushOptions } from './options.ts';
import { pushDataOf, pushTokenOf, sealedPushTokenContext } from './record.ts';

/** The options' sender, or the development outbox (refused under NODE_ENV=production: nothing would be delivered). */
function deliveryOf(given: PushDelivery | undefined): PushDelivery {
  if (given) return given;
  if (process.env.NODE_ENV === 'production')
    throw new ConfigError(
      'pushMethod: delivery is required (your APNs/FCM sender); the development outbox delivers nothing, and NODE_ENV is production',
    );
  return pushOutbox();
}

export function createPushMethod(services: MethodServices, options: ResolvedPushOptions): SignInMethod {
  const { sealer, clock, ephemeral } = services;
  const lifetimeMs = options.lifetimeSeconds * 1000;
  const delivery: PushDelivery = deliveryOf(options.delivery);
  const requests = createApprovalRequests(services, { prefix: 'push', lifetimeMs });
  const registration = createPushEnrollment(services, options);
  const tokens = createDeviceTokens({ clock, ephemeral, audience: options.endpoint });
  const nameOf = (record: MethodRecord) => pushDataOf(record).deviceName;
  const approvals = createApprovalFlow(services, requests, {
    channel: 'push',
    detailPrefix: 'push',
    nameOf,
    amr: ['swk'],
    strength: 'push',
    words: {
      paused:
        'Notifications are paused because a sign-in request was reported as fraud. Contact your administrator.',
      busy: (seconds) =>
        `A sign-in request is already waiting in your app. Answer it there, or wait ${seconds} seconds and try again.`,
    },
  });

  return {
    kind: 'push',
    provides: ['push'],
    keepsRecords: true,
    accepts: isApprovalInput,
    awaiting: approvals.awaiting,
    verify: (_userId, _input, candidates, binding) => approvals.verify(candidates, binding),
    sends: {
      label: (record) => `Send a notification to ${nameOf(record)}`,
      send: (record, binding, origin) =>
        approvals.send(record, binding, origin?.ip ?? null, {
          async reserve() {
            const { perUser } = options;
            const reserved = await reservePlaces(ephemeral, [
              { key: `push-sends:user:${record.userId}`, ...perUser, windowMs: perUser.windowSeconds * 1000 },
            ]);
            if (!reserved.ok)
              throw new SlowDownError(
                `Too many notifications were sent. Wait ${perUser.windowSeconds} seconds and try again.`,
                perUser.windowSeconds,
              );
            return reserved;
          },
          deliver: (tx) =>
            delivery.send({
              to: { deviceId: record.id, pushToken: pushTokenOf(sealer, record), name: nameOf(record) },
              transactionId: tx.id,
              title: `Approve sign-in to ${registration.service}?`,
              body: 'Open the app and enter the number shown on the sign-in page.',
            }),
        }),
    },
    device: createDeviceRequests(services, tokens, registration, requests, approvals),
    strength: () => 'push',
    amr: () => ['swk'],
    describe: (record) => ({ description: `Notifications to ${nameOf(record)}`, details: {} }),
    reseal(record, reseal) {
      const data = pushDataOf(record);
      return {
        publicKey: { ...data.publicKey },
        deviceName: data.deviceName,
        sealedPushToken:
          data.sealedPushToken === null
            ? null
            : reseal(data.sealedPushToken, sealedPushTokenContext(record.userId, record.id)),
      };
    },
    enrollment: registration.enrollment,
  };
}
