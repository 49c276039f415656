// What a push method keeps in its record's `data`: the device's public key (P-256, as a JWK: it
// checks every request the device signs), the name the device gave itself, and the token its
// platform's push service gave the app, sealed under a context bound to the user and the method
// (null when the app gave none: it then finds its notifications by asking). The record's id is
// the device id the app signs its requests with (`kid`), also its lookup key.
import type { Sealer } from '../../crypto/seal.ts';
import { StoreError } from '../../errors.ts';
import type { MethodRecord } from '../../store/ports.ts';

/** A P-256 public key as a JWK: only the public members. */
export interface DevicePublicKey {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

export interface PushData {
  publicKey: DevicePublicKey;
  deviceName: string;
  sealedPushToken: string | null;
}

const COORDINATE = /^[A-Za-z0-9_-]{43}$/;

/** The public members of a P-256 JWK, or null when it is not one (private members are refused). */
export function devicePublicKeyOf(value: unknown): DevicePublicKey | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const jwk = value as Record<string, unknown>;
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || 'd' in jwk) return null;
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') return null;
  if (!COORDINATE.test(jwk.x) || !COORDINATE.test(jwk.y)) return null;
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}

/** The AES-GCM context a device's push token is sealed under. */
export const sealedPushTokenContext = (userId: string, methodId: string) =>
  `push-token:${userId}:${methodId}`;

/** The push fields of a record; a store error if they are not there. */
export function pushDataOf(record: MethodRecord): PushData {
  const { publicKey, deviceName, sealedPushToken } = record.data;
  const key = devicePublicKeyOf(publicKey);
  if (
    key !== null &&
    typeof deviceName === 'string' &&
    (sealedPushToken === null || typeof sealedPushToken === 'string')
  )
    return { publicKey: key, deviceName, sealedPushToken };
  throw new StoreError(`method ${record.id}: its push data is not valid`);
}

/** The record's push token, opened, or null. */
export function pushTokenOf(sealer: Sealer, record: MethodRecord): string | null {
  const { sealedPushToken } = pushDataOf(record);
  return sealedPushToken === null
    ? null
    : sealer.open(sealedPushToken, sealedPushTokenContext(record.userId, record.id)).toString('utf8');
}
