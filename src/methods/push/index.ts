// Push notifications with number matching (src/methods/push/): a phone app registered with a QR
// code holds a key of its own, is notified at sign-in, and approves by typing the number the
// sign-in page shows; its answer is signed with its key. amr `swk` (RFC 8176).
import type { MethodDefinition } from '../method.ts';
import { type PushOptions, resolvePushOptions } from './options.ts';
import { createPushMethod } from './push-method.ts';

export type { PushDelivery, PushNotification, PushOutbox } from './delivery.ts';
export { pushOutbox } from './delivery.ts';
export type { PushOptions } from './options.ts';

/** Push notifications as a sign-in method: `createMfa({ methods: [totp, pushMethod({ endpoint }), …] })`. */
export function pushMethod(options: PushOptions): MethodDefinition {
  const resolved = resolvePushOptions(options);
  return { kind: 'push', create: (services) => createPushMethod(services, resolved) };
}
