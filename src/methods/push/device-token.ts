// The signed requests a push app sends: each one a JWT (RFC 7519) signed ES256 with the device's
// own key, typed `mfakit-push+jwt`, for the device API's URL (`aud`), issued within the last two
// minutes (`iat`, a minute of clock skew allowed) and used once (`jti`, remembered as long as the
// request could be accepted). An activation carries its new key in the header (`jwk`, as DPoP
// does) and so proves it holds the key; every later request names its device (`kid`) and is
// checked with the key registered for it. Parsing and checking are jose's; what this file adds
// is which keys and claims are accepted.
import { decodeProtectedHeader, EmbeddedJWK, importJWK, type JWTPayload, jwtVerify } from 'jose';
import type { Clock } from '../../engine/capabilities.ts';
import type { EphemeralStore } from '../../store/ports.ts';
import { type DevicePublicKey, devicePublicKeyOf } from './record.ts';

const DEVICE_TOKEN_TYPE = 'mfakit-push+jwt';
/** A request is at most this long: a key, a push token and a few claims. */
export const DEVICE_TOKEN_MAX = 8192;
const MAX_AGE_SECONDS = 120;
const SKEW_SECONDS = 60;
const JTI = /^[A-Za-z0-9_-]{16,64}$/;

export type DeviceTokenCheck =
  /** `spend`: uses the request's `jti` (false: it was used before, a replay); call it once the rest was checked. */
  | { ok: true; payload: JWTPayload; key: DevicePublicKey; spend: () => Promise<boolean> }
  | { ok: false; detail: string };

/** The request's `kid` (a device id) as its unverified header says it, or null. */
export function deviceIdOf(token: string): string | null {
  try {
    const { kid } = decodeProtectedHeader(token);
    return typeof kid === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(kid) ? kid : null;
  } catch {
    return null;
  }
}

/** The request body's `request` (the JWT), or null when it is missing, too long or not text. */
export function requestTokenOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const token = (body as { request?: unknown }).request;
  return typeof token === 'string' && token.length > 0 && token.length <= DEVICE_TOKEN_MAX ? token : null;
}

export function createDeviceTokens(deps: { clock: Clock; ephemeral: EphemeralStore; audience: string }) {
  const { clock, ephemeral, audience } = deps;

  /**
   * Checks signature, type, audience, age, action and `jti`'s shape. Spending the `jti` is the
   * caller's last step (`spend`), so a request refused for what it asks (an unknown activation
   * code) leaves nothing in the store.
   */
  async function verify(
    token: string,
    key: DevicePublicKey | 'embedded',
    action: string,
  ): Promise<DeviceTokenCheck> {
    let payload: JWTPayload;
    let used: DevicePublicKey | null;
    try {
      const result = await jwtVerify(
        token,
        key === 'embedded' ? EmbeddedJWK : await importJWK({ ...key }, 'ES256'),
        {
          algorithms: ['ES256'],
          typ: DEVICE_TOKEN_TYPE,
          audience,
          maxTokenAge: MAX_AGE_SECONDS,
          clockTolerance: SKEW_SECONDS,
          currentDate: new Date(clock.now()),
          requiredClaims: ['iat', 'jti'],
        },
      );
      payload = result.payload;
      used = key === 'embedded' ? devicePublicKeyOf(result.protectedHeader.jwk) : key;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return { ok: false, detail: typeof code === 'string' ? code.toLowerCase() : 'request_malformed' };
    }
    if (used === null) return { ok: false, detail: 'key_not_p256' };
    if (payload.act !== action) return { ok: false, detail: 'wrong_action' };
    if (typeof payload.jti !== 'string' || !JTI.test(payload.jti))
      return { ok: false, detail: 'jti_malformed' };
    const ttlMs = (MAX_AGE_SECONDS + 2 * SKEW_SECONDS) * 1000;
    const jtiKey = `push-jti:${used.x}:${payload.jti}`;
    return { ok: true, payload, key: used, spend: () => ephemeral.consumeOnce(jtiKey, ttlMs) };
  }

  return { verify };
}

export type DeviceTokens = ReturnType<typeof createDeviceTokens>;
